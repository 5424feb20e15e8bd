"""Emerging and persistent hot blocks: a trend test and a pattern class per block and window.

Each block's in-window incidents are counted per time step (calendar week or month, by the
date of the evening a window occurrence starts). Then, per block:

* **Trend**: the Mann-Kendall test on the step counts (Kendall 1975; variance corrected for
  ties), with Kendall's tau and a two-sided p-value. No trend word is given below
  ``min_count`` incidents in all: "rising"/"falling" at p <= 0.05, else "no clear trend".
* **Hot in a step**: at least two incidents in that step and a Benjamini-Hochberg q <= 0.05
  across blocks for the Poisson upper tail against the step's length-proportional expectation
  (the same test computerisk applies to the whole period).
* **Pattern**, after the classes of ArcGIS's Emerging Hot Spot Analysis (Esri, built on Gi*
  per step), here on street blocks per recurring time window:

  - *new*: hot in the last step only;
  - *consecutive*: an unbroken run of hot steps up to the last step, never hot before it,
    fewer than 90% of steps hot;
  - *intensifying* / *persistent* / *diminishing*: hot in at least 90% of steps including
    the last, with a rising / no / falling Mann-Kendall trend;
  - *sporadic*: hot in the last step, on and off before it, fewer than 90% of steps hot;
  - *historical*: not hot in the last step but hot in at least 90% of the earlier steps;
  - *no pattern*: none of these (or never hot).

  Esri's *oscillating* class needs cold spots, which counts on streets do not give.

A range (aoristic record) is filed under the step of its real-time middle: its whole in-window
share goes to one step, so the steps add up to the window's count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm

from . import clock
from .errors import HotBlockingError
from .significance import expected_counts, poisson_upper_p
from .windows import Window

__all__ = [
    "PATTERNS",
    "BlockTrends",
    "block_trends",
    "mann_kendall",
    "pattern_classes",
    "step_of_evening",
]

STEPS = ("week", "month")
PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "historical",
    "no pattern",
)
RISING, FALLING, FLAT = "rising", "falling", "no clear trend"
TREND_ALPHA = 0.05
HOT_Q = 0.05
HOT_MIN_STEP_COUNT = 2
MOSTLY = 0.9  # "at least 90% of the steps"


@dataclass(frozen=True)
class BlockTrends:
    """Per block (aligned with the blocks): Kendall's tau, its p, a word and a pattern.

    ``word`` and ``pattern`` are None where the block has fewer than ``min_count`` incidents
    in the window (tau and p are NaN there)."""

    tau: np.ndarray
    p_value: np.ndarray
    word: np.ndarray
    pattern: np.ndarray
    steps: int


def step_of_evening(evening_days: np.ndarray, first_day: np.datetime64, step: str) -> np.ndarray:
    """Step index (0 = the step holding ``first_day``) of each evening date."""
    if step not in STEPS:
        raise HotBlockingError(f"step must be one of {STEPS}, got {step!r}")
    days = np.asarray(evening_days, dtype="datetime64[D]")
    if step == "month":
        return (days.astype("datetime64[M]") - np.datetime64(first_day, "M")).astype(np.int64)
    # weeks start on Monday; 1970-01-05 was a Monday
    monday = np.datetime64("1970-01-05", "D")
    week = np.floor_divide((days - monday).astype(np.int64), 7)
    first_week = np.floor_divide((np.datetime64(first_day, "D") - monday).astype(np.int64), 7)
    return week - first_week


def evening_dates(readings: np.ndarray, window: Window) -> np.ndarray:
    """The date of the evening a reading's window occurrence began (the reading's own date,
    or the day before for the after-midnight part of a window that crosses midnight)."""
    ms = np.asarray(readings, dtype="datetime64[ms]")
    days = ms.astype("datetime64[D]")
    if window.whole_period or not window.crosses_midnight:
        return days
    since_midnight = ms.view(np.int64) - days.astype("datetime64[ms]").view(np.int64)
    minute = since_midnight // 60_000  # NaT rows give nonsense here and stay NaT below
    return days - (minute < window.end_min).astype("timedelta64[D]")


def record_steps(starts_utc, ends_utc, window: Window, first_day, step: str, tz) -> np.ndarray:
    """The step of each record: by the evening of its real-time middle's reading."""
    s = np.asarray(starts_utc, dtype="datetime64[ms]")
    e = np.asarray(ends_utc, dtype="datetime64[ms]")
    e = np.where(np.isnat(e) | (e < s), s, e)
    middle = s + (e - s) // 2
    readings = clock.utc_to_local(middle, tz)
    return step_of_evening(evening_dates(readings, window), first_day, step)


def step_matrix(block_index, steps, shares, n_blocks: int, n_steps: int) -> sp.csr_matrix:
    """Sparse (blocks x steps) in-window counts."""
    ok = (np.asarray(block_index) >= 0) & (shares > 0) & (steps >= 0) & (steps < n_steps)
    return sp.coo_matrix(
        (shares[ok], (np.asarray(block_index)[ok], steps[ok])), shape=(n_blocks, n_steps)
    ).tocsr()


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall per row of ``series`` (rows x steps): (S, tau-a, two-sided p).

    Variance corrected for ties: ``(n(n-1)(2n+5) - sum t(t-1)(2t+5)) / 18`` with a
    continuity correction of 1 on S. Fewer than 3 steps gives NaN.
    """
    x = np.asarray(series, dtype=np.float64)
    rows, n = x.shape
    if n < 3 or rows == 0:
        nan = np.full(rows, np.nan)
        return nan, nan.copy(), nan.copy()
    s = np.zeros(rows)
    for lag in range(1, n):  # all pairs i < j, a lag at a time (no rows x n x n array)
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - _tie_term(x)) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
        p = np.where(var > 0, 2 * norm.sf(np.abs(z)), 1.0)
    tau = s / (n * (n - 1) / 2)
    return s, tau, p


def _tie_term(x: np.ndarray) -> np.ndarray:
    """sum over tie groups of t(t-1)(2t+5), per row."""
    ordered = np.sort(x, axis=1)
    rows, n = ordered.shape
    new_group = np.ones((rows, n), dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group_id = np.cumsum(new_group, axis=1) - 1 + (np.arange(rows) * n)[:, None]
    sizes = np.bincount(group_id.ravel(), minlength=rows * n).reshape(rows, n).astype(float)
    return (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)


def hot_steps(counts: sp.csr_matrix, lengths: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Bool (len(rows) x steps): hot in that step (module doc). The Benjamini-Hochberg
    correction runs over every block; a block with nothing in a step has p = 1, so only the
    blocks with incidents need their p computed (q = p m / rank over them, m = all blocks)."""
    by_step = counts.tocsc()
    n_blocks, n_steps = counts.shape
    position = np.full(n_blocks, -1)
    position[rows] = np.arange(rows.size)
    hot = np.zeros((rows.size, n_steps), dtype=bool)
    for j in range(n_steps):
        lo, hi = by_step.indptr[j], by_step.indptr[j + 1]
        blocks, values = by_step.indices[lo:hi], by_step.data[lo:hi]
        if values.sum() <= 0:
            continue
        expected = expected_counts(values.sum(), lengths)[blocks]
        q = _bh_with_m(poisson_upper_p(values, expected), n_blocks)
        is_hot = (q <= HOT_Q) & (values >= HOT_MIN_STEP_COUNT) & (position[blocks] >= 0)
        hot[position[blocks[is_hot]], j] = True
    return hot


def _bh_with_m(p: np.ndarray, m: int) -> np.ndarray:
    """Benjamini-Hochberg q-values of ``p`` as the smallest of ``m`` tests (the others p = 1)."""
    p = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, p.size + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(ranked, 1.0)
    return q


def pattern_classes(hot: np.ndarray, trend_word: np.ndarray) -> np.ndarray:
    """Pattern per row of a (blocks x steps) hot matrix and its trend words (module doc)."""
    rows, n = hot.shape
    out = np.full(rows, "no pattern", dtype=object)
    if n == 0:
        return out
    last = hot[:, -1]
    share = hot.mean(axis=1)
    earlier_share = hot[:, :-1].mean(axis=1) if n > 1 else np.zeros(rows)
    mostly = share >= MOSTLY
    before_run = _hot_before_final_run(hot)
    out[last & ~hot[:, :-1].any(axis=1)] = "new"
    out[last & ~mostly & (hot[:, :-1].any(axis=1)) & ~before_run] = "consecutive"
    out[last & ~mostly & before_run] = "sporadic"
    out[last & mostly & (trend_word == RISING)] = "intensifying"
    out[last & mostly & (trend_word == FALLING)] = "diminishing"
    out[last & mostly & (trend_word != RISING) & (trend_word != FALLING)] = "persistent"
    out[~last & (earlier_share >= MOSTLY)] = "historical"
    return out


def _hot_before_final_run(hot: np.ndarray) -> np.ndarray:
    """True where a hot step lies before the unbroken run of hot steps ending at the last."""
    rows, n = hot.shape
    cold = ~hot
    # index of the last cold step (-1 when none): the final run starts after it
    last_cold = np.where(cold.any(axis=1), n - 1 - np.argmax(cold[:, ::-1], axis=1), -1)
    before = np.arange(n)[None, :] < last_cold[:, None]
    return (hot & before).any(axis=1)


def block_trends(
    counts: sp.csr_matrix, lengths: np.ndarray, min_count: float = 10.0
) -> BlockTrends:
    """Trend and pattern per block from its step counts (blocks x steps)."""
    n_blocks, n_steps = counts.shape
    totals = np.asarray(counts.sum(axis=1)).ravel()
    eligible = np.flatnonzero(totals >= min_count)
    tau = np.full(n_blocks, np.nan)
    p_value = np.full(n_blocks, np.nan)
    word = np.full(n_blocks, None, dtype=object)
    pattern = np.full(n_blocks, None, dtype=object)
    if eligible.size and n_steps >= 3:
        for chunk in np.array_split(eligible, max(1, eligible.size // 5000)):
            series = counts[chunk].toarray()
            _, tau[chunk], p_value[chunk] = mann_kendall(series)
        significant = np.nan_to_num(p_value, nan=1.0) <= TREND_ALPHA
        word[eligible] = np.where(
            significant[eligible], np.where(tau[eligible] > 0, RISING, FALLING), FLAT
        )
        hot = hot_steps(counts, lengths, eligible)
        pattern[eligible] = pattern_classes(hot, word[eligible])
    return BlockTrends(tau, p_value, word, pattern, n_steps)
