"""Patrol plans and the small wordings of a printed tasking brief (pure: numpy only).

Patrol plan. Hot-spot patrols work best as short, unpredictable visits: the Koper curve
(Koper 1995, "Just enough police presence") puts the residual deterrence threshold at about
10 minutes, with 11-15 minute stops optimal; deployed systems (HunchLab / ShotSpotter
Missions, Thames Valley's hot-spot app, the Southend and Bedfordshire trials) give officers
15-minute visits at randomised times. :func:`patrol_plan` draws ``n_visits`` non-overlapping
visits of ``visit_minutes`` inside one week of a window's occurrences:

* start times lie on a ``step_minutes`` grid (5 minutes: "23:10", not "23:13"), counted from
  Monday 00:00, and every visit lies wholly inside one occurrence of the window;
* visits are drawn one at a time, each uniformly (or profile-weighted, below) among the
  start times that overlap no earlier visit *and* still leave room for the visits left to
  draw, so a plan that fits is always found and an impossible one fails at once, clearly;
* ``seed`` feeds ``numpy.random.default_rng(seed)`` only (never the global generator): the
  same seed gives the same plan, another seed another plan. A sequence such as
  ``(seed, rank)`` gives each block its own reproducible plan;
* weighting (the documented choice): with a ``profile`` (the block's 168 hour-of-week values),
  a start time's chance is ``(1 - peak_share)`` x uniform + ``peak_share`` x the profile's
  share of that hour. The default 0.5 keeps half the chance spread evenly over the window,
  so visits stay unpredictable to offenders, and puts half where the block's incidents
  concentrate (dosage where the harm is). ``peak_share=0`` is purely uniform, 1 purely
  profile-driven (hours without incidents then get no visits unless nothing else fits).

Minutes are "minute of week": Monday 00:00 = 0. An occurrence starting on Sunday night runs
past 10080 (into the next Monday) rather than wrapping, so visits stay in time order.

Disclosure control (NHS statistics practice, see ``shared/domain.md``): :func:`suppress_count`
prints a count below ``min_shown`` as ``"<N"``; :func:`suppress_row` adds the secondary
suppression that stops a suppressed count being recovered as "total minus the others".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DAY_NAMES",
    "MINUTES_PER_WEEK",
    "PatrolPlanError",
    "busiest_hours",
    "describe_window",
    "format_minute",
    "format_visit",
    "hour_grid",
    "occurrence_minutes",
    "patrol_plan",
    "significance_words",
    "suppress_count",
    "suppress_row",
    "trend_words",
]

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WITHHELD = "*"


class PatrolPlanError(ValueError):
    """The visits asked for cannot fit inside the window (or the arguments are invalid)."""


# --- patrol plan -----------------------------------------------------------------------------


def occurrence_minutes(window) -> list[tuple[int, int]]:
    """Minute-of-week ``[start, end)`` of each occurrence in a week, in day order.

    ``window`` is a :class:`hotblocking.windows.Window` (or anything with ``days``,
    ``start_min`` and ``duration_min``). A Sunday-night occurrence ends after 10080.
    """
    return [
        (
            d * MINUTES_PER_DAY + window.start_min,
            d * MINUTES_PER_DAY + window.start_min + window.duration_min,
        )
        for d in sorted(window.days)
    ]


def _capacity(lo: np.ndarray, hi: np.ndarray, stride: int) -> np.ndarray:
    """Most non-overlapping visits with grid starts in ``[lo, hi]`` (0 when ``hi < lo``)."""
    return np.where(hi >= lo, (hi - lo) // stride + 1, 0)


def _runs(starts: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last start of the run (consecutive on the grid) holding each start."""
    breaks = np.flatnonzero(np.diff(starts) != step) + 1
    run_id = np.zeros(starts.size, dtype=np.int64)
    run_id[breaks] = 1
    run_id = np.cumsum(run_id)
    first = np.concatenate([[0], breaks])
    last = np.concatenate([breaks - 1, [starts.size - 1]])
    return starts[first][run_id], starts[last][run_id]


def patrol_plan(
    window,
    n_visits: int,
    visit_minutes: int,
    *,
    seed,
    week_start=None,
    profile=None,
    peak_share: float = 0.5,
    step_minutes: int = 5,
) -> list[tuple]:
    """Randomised, non-overlapping visits inside one week of ``window`` (see module doc).

    Returns ``[(start, end), ...]`` sorted by start: minute-of-week integers, or, when
    ``week_start`` (a Monday: a date, ``datetime64`` or ISO string) is given,
    ``numpy.datetime64[m]`` wall-clock times of that week. Raises :class:`PatrolPlanError`
    when the visits cannot fit.
    """
    label = getattr(window, "label", str(window))
    n_visits = int(n_visits)
    if n_visits < 0:
        raise PatrolPlanError(f"number of visits must be 0 or more, not {n_visits}")
    if visit_minutes <= 0 or int(visit_minutes) != visit_minutes:
        raise PatrolPlanError(
            f"visit length must be a whole number of minutes > 0, not {visit_minutes}"
        )
    if step_minutes <= 0 or int(step_minutes) != step_minutes:
        raise PatrolPlanError(
            f"start-time step must be a whole number of minutes > 0, not {step_minutes}"
        )
    if not 0.0 <= peak_share <= 1.0:
        raise PatrolPlanError(f"peak_share must be in 0..1, not {peak_share}")
    visit, step = int(visit_minutes), int(step_minutes)
    stride = -(-visit // step) * step  # grid distance between back-to-back visits
    occurrences = occurrence_minutes(window)
    starts = np.concatenate(
        [
            np.arange(-(-a // step) * step, b - visit + 1, step, dtype=np.int64)
            for a, b in occurrences
        ]
        or [np.array([], dtype=np.int64)]
    )
    starts = np.unique(starts)  # a full-day window's occurrences touch: no duplicates
    lo, hi = _runs(starts, step) if starts.size else (starts, starts)
    first_of_run = np.r_[True, np.diff(starts) != step] if starts.size else starts.astype(bool)
    most = int(_capacity(lo, hi, stride)[first_of_run].sum()) if starts.size else 0
    if n_visits > most:
        longest = max(b - a for a, b in occurrences)
        raise PatrolPlanError(
            f"{n_visits} visits of {visit} minutes cannot fit in window '{label}': its "
            f"{len(occurrences)} occurrence(s) a week of {longest} minutes hold at most {most} "
            f"non-overlapping visit(s) starting on a {step}-minute grid. Ask for fewer or "
            "shorter visits."
        )
    weights = _start_weights(starts, visit, profile, peak_share)
    rng = np.random.default_rng(seed)
    free = np.ones(starts.size, dtype=bool)
    chosen: list[int] = []
    for k in range(n_visits):
        cand = starts[free]
        clo, chi = _runs(cand, step)
        first = np.r_[True, np.diff(cand) != step]
        total = int(_capacity(clo, chi, stride)[first].sum())
        # room left for the remaining visits if this start is taken
        left_hi = ((cand - visit) // step) * step
        right_lo = -(-(cand + visit) // step) * step
        after = (
            total
            - _capacity(clo, chi, stride)
            + _capacity(clo, np.minimum(left_hi, chi), stride)
            + _capacity(np.maximum(right_lo, clo), chi, stride)
        )
        ok = after >= n_visits - k - 1
        w = weights[free] * ok
        if w.sum() <= 0:  # only profile-free hours remain feasible: fall back to uniform
            w = ok.astype(float)
        pick = int(cand[rng.choice(cand.size, p=w / w.sum())])
        chosen.append(pick)
        free &= (starts + visit <= pick) | (starts >= pick + visit)
    chosen.sort()
    plan = [(s, s + visit) for s in chosen]
    if week_start is None:
        return plan
    monday = np.datetime64(week_start, "D")
    if (monday.astype(np.int64) + 3) % 7 != 0:  # 1970-01-01 was a Thursday
        raise PatrolPlanError(f"week_start must be a Monday, not {monday}")
    base = monday.astype("datetime64[m]")
    return [(base + np.timedelta64(s, "m"), base + np.timedelta64(e, "m")) for s, e in plan]


def _start_weights(starts: np.ndarray, visit: int, profile, peak_share: float) -> np.ndarray:
    """Chance weight of each start time: uniform, mixed with the profile (module doc)."""
    uniform = np.full(starts.size, 1.0 / max(starts.size, 1))
    if profile is None or peak_share == 0 or starts.size == 0:
        return uniform
    prof = np.asarray(profile, dtype=float).ravel()
    if prof.size != 168 or not np.all(np.isfinite(prof)) or (prof < 0).any():
        raise PatrolPlanError("profile must be 168 finite, non-negative hour-of-week values")
    minutes = (starts[:, None] + np.arange(visit)[None, :]) % MINUTES_PER_WEEK
    by_start = prof[minutes // 60].mean(axis=1)
    if by_start.sum() <= 0:
        return uniform
    return (1.0 - peak_share) * uniform + peak_share * by_start / by_start.sum()


def format_minute(minute: int) -> str:
    """``"Fri 23:10"`` for a minute of week (Monday 00:00 = 0; wraps past Sunday)."""
    minute = int(minute) % MINUTES_PER_WEEK
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def format_visit(visit: tuple) -> str:
    """``"Fri 23:10-23:25"``; an end exactly at midnight prints as ``24:00``."""
    start, end = (int(v) for v in visit)
    end_of_day = end % MINUTES_PER_DAY
    end_text = "24:00" if end_of_day == 0 else f"{end_of_day // 60:02d}:{end_of_day % 60:02d}"
    return f"{format_minute(start)}-{end_text}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_window(window) -> str:
    """``"Fri and Sat, 22:00 to 04:00 next day"``: a window's days and hours in words."""
    days = sorted(window.days)
    if days == list(range(7)):
        day_text = "every day"
    else:
        runs: list[list[int]] = []
        for d in days:
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        parts = [
            DAY_NAMES[r[0]]
            if len(r) == 1
            else f"{DAY_NAMES[r[0]]} and {DAY_NAMES[r[1]]}"
            if len(r) == 2
            else f"{DAY_NAMES[r[0]]} to {DAY_NAMES[r[-1]]}"
            for r in runs
        ]
        day_text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if window.start_min == 0 and window.duration_min == MINUTES_PER_DAY:
        return f"{day_text}, all day"
    end = window.end_min
    end_text = "24:00" if end in (0, MINUTES_PER_DAY) else _clock(end)
    next_day = " next day" if window.crosses_midnight and end != 0 else ""
    return f"{day_text}, {_clock(window.start_min)} to {end_text}{next_day}"


# --- hour-of-week grid -----------------------------------------------------------------------


def hour_grid(profile_text) -> np.ndarray:
    """The ``profile`` text of a computerisk row (168 comma-separated values from Monday
    00:00) as a 7 x 24 array (rows Mon..Sun, columns hours). Empty or NULL -> zeros."""
    if profile_text is None or (isinstance(profile_text, float) and math.isnan(profile_text)):
        return np.zeros((7, 24))
    text = str(profile_text).strip()
    if not text:
        return np.zeros((7, 24))
    parts = text.split(",")
    if len(parts) != 168:
        raise ValueError(f"an hour-of-week profile has 168 values, this one has {len(parts)}")
    try:
        values = np.array([float(p) if p.strip() else 0.0 for p in parts])
    except ValueError as error:
        raise ValueError(f"unreadable hour-of-week profile: {error}") from None
    return values.reshape(7, 24)


def busiest_hours(grid: np.ndarray, k: int = 3) -> list[int]:
    """Hour-of-week indices (Mon 00-01 = 0) of the ``k`` busiest non-empty hours, busiest
    first (ties: earlier in the week first)."""
    flat = np.asarray(grid, dtype=float).ravel()
    order = np.lexsort((np.arange(flat.size), -flat))
    return [int(i) for i in order[:k] if flat[i] > 0]


# --- wording and disclosure control ----------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def suppress_count(n, min_shown: int = 0) -> str:
    """A count as printed: ``"1,234"``; ``"<N"`` when ``0 < n < min_shown`` (N = min_shown).

    Counts may be fractional (aoristic shares): they print rounded, and a non-zero count
    below 0.5 prints ``"<1"`` rather than a false 0. Zero prints ``"0"`` (nothing to
    protect). Missing prints ``"–"``: missing is not zero. ``min_shown`` 0 or 1 = off.
    """
    if _missing(n):
        return "–"
    n = float(n)
    if min_shown and min_shown > 1 and 0 < n < min_shown:
        return f"<{int(min_shown)}"
    if 0 < n < 0.5:
        return "<1"
    return f"{math.floor(n + 0.5):,}"


def is_suppressed(n, min_shown: int = 0) -> bool:
    """True when :func:`suppress_count` hides ``n``'s value."""
    return not _missing(n) and bool(min_shown) and min_shown > 1 and 0 < float(n) < min_shown


def suppress_row(counts: Sequence, total, min_shown: int = 0) -> tuple[list[str], str]:
    """Printed counts of one table row (e.g. per source) and its total, disclosure-safe.

    Primary suppression: each value below ``min_shown`` prints ``"<N"``. Secondary
    suppression: when the total is printed and exactly one count is suppressed, that count
    could be worked out as total minus the others, so the smallest other non-zero count is
    withheld too (``"*"``); when no such count exists the total is withheld instead.
    """
    texts = [suppress_count(c, min_shown) for c in counts]
    total_text = suppress_count(total, min_shown)
    hidden = [i for i, c in enumerate(counts) if is_suppressed(c, min_shown)]
    if len(hidden) == 1 and not is_suppressed(total, min_shown) and not _missing(total):
        others = [
            i for i, c in enumerate(counts) if i not in hidden and not _missing(c) and float(c) > 0
        ]
        if others:
            texts[min(others, key=lambda i: (float(counts[i]), i))] = WITHHELD
        else:
            total_text = WITHHELD
    return texts, total_text


def significance_words(p, q, ratio=None) -> str:
    """Plain words for a block's count against what its share of network length predicts.

    ``q`` is the Benjamini-Hochberg value across all blocks in the window (it allows for
    testing every block at once); ``p`` the block's own Poisson upper-tail value; ``ratio``
    (optional) observed / expected, printed as e.g. ``19 x expected``.
    """
    if _missing(q) or _missing(p):
        return "not tested (no incidents in this window)"
    q, p = float(q), float(p)
    times = ""
    if ratio is not None and not _missing(ratio) and math.isfinite(float(ratio)):
        r = float(ratio)
        times = f"{r:.0f} × expected; " if r >= 10 else f"{r:.1f} × expected; "
    if q < 0.001:
        return f"far more than its length predicts ({times}q < 0.001)"
    if q < 0.01:
        return f"far more than its length predicts ({times}q < 0.01)"
    if q < 0.05:
        return f"more than its length predicts ({times}q < 0.05)"
    if p < 0.05:
        return (
            f"more than its length predicts on its own ({times}p = {p:.2g}), but not once "
            f"every block is tested (q = {q:.2g}): could be chance"
        )
    return f"no more than its length predicts: could be chance ({times}q = {q:.2g})"


def trend_words(trend, incidents=None) -> str:
    """``trend`` (rate in the last third of the period / rate before) in words."""
    if _missing(trend):
        if incidents is not None and not _missing(incidents) and float(incidents) > 0:
            return "new: nothing before the last third of the period"
        return "no trend (nothing in this window)"
    trend = float(trend)
    if trend >= 1.25:
        word = "rising"
    elif trend <= 0.8:
        word = "falling"
    else:
        word = "steady"
    return f"{word} (recent rate {trend:.1f} × the earlier rate)"
