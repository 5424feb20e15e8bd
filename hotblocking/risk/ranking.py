"""Stage 8: ranks, significance and the hot rule in one window; concentration overall."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from ..errors import OptionError
from ..significance import bh_qvalues, expected_counts, poisson_upper_p

HOT_RULE_KINDS = ("top_n", "top_length_share", "significance")


@dataclass(frozen=True)
class HotRule:
    """Which blocks are "hot" in a window.

    * ``top_n``: the N highest-risk blocks (ties at the cut all included; risk > 0).
    * ``top_length_share``: highest-risk blocks until their length would exceed this share
      (0-1) of the network length (risk > 0; ties broken by input order).
    * ``significance``: Benjamini-Hochberg q-value <= value (e.g. 0.05).
    """

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in HOT_RULE_KINDS:
            raise OptionError(f"hot rule kind {self.kind!r}: expected one of {HOT_RULE_KINDS}")
        v = float(self.value)
        if self.kind == "top_n" and (v < 0 or v != int(v)):
            raise OptionError(f"top_n needs a whole number >= 0, got {self.value!r}")
        if self.kind == "top_length_share" and not 0 <= v <= 1:
            raise OptionError(f"top_length_share needs a share in 0..1, got {self.value!r}")
        if self.kind == "significance" and not 0 < v <= 1:
            raise OptionError(f"significance needs a q threshold in (0, 1], got {self.value!r}")


@dataclass(frozen=True, eq=False)
class WindowRanks:
    """Per block in one window: rank (1 = highest risk, ties share the lower rank),
    percentile, expected count, Poisson p, BH q and whether it is hot."""

    rank: np.ndarray
    percentile: np.ndarray
    expected: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    hot: np.ndarray


def rank_window(
    risk: np.ndarray, counts: np.ndarray, lengths: np.ndarray, rule: HotRule
) -> WindowRanks:
    """Ranks by ``risk``; significance of the unsmoothed ``counts`` against a
    length-proportional Poisson null (:mod:`hotblocking.significance`); the hot rule."""
    rank = rankdata(-risk, method="min").astype(np.int64)
    expected = expected_counts(counts.sum(), lengths)
    p_value = poisson_upper_p(counts, expected)
    q_value = bh_qvalues(p_value)
    return WindowRanks(
        rank=rank,
        percentile=rankdata(risk, method="max") / max(risk.size, 1) * 100.0,
        expected=expected,
        p_value=p_value,
        q_value=q_value,
        hot=hot_blocks(rule, risk, rank, q_value, lengths),
    )


def hot_blocks(
    rule: HotRule, risk: np.ndarray, rank: np.ndarray, q_value: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """The blocks ``rule`` calls hot (:class:`HotRule`)."""
    if rule.kind == "top_n":
        return (rank <= rule.value) & (risk > 0)
    if rule.kind == "significance":
        return np.nan_to_num(q_value, nan=np.inf) <= rule.value
    order = np.lexsort((np.arange(risk.size), -risk))
    length_so_far = np.cumsum(lengths[order])
    chosen = (length_so_far <= rule.value * lengths.sum()) & (risk[order] > 0)
    hot = np.zeros(risk.size, dtype=bool)
    hot[order[chosen]] = True
    return hot


def concentration(counts: np.ndarray, lengths: np.ndarray) -> dict[str, float]:
    """Share of incidents on the top 1%/5% of blocks and of network length (by count),
    after Weisburd (2015); NaN without incidents."""
    total = counts.sum()
    out: dict[str, float] = {}
    order = np.lexsort((np.arange(counts.size), -counts))
    sorted_counts = counts[order]
    length_so_far = np.cumsum(lengths[order])
    for pct in (1, 5):
        if total <= 0 or counts.size == 0:
            out[f"share_top_{pct}pct_blocks"] = math.nan
            out[f"share_top_{pct}pct_length"] = math.nan
            continue
        k = max(1, math.ceil(counts.size * pct / 100))
        out[f"share_top_{pct}pct_blocks"] = float(sorted_counts[:k].sum() / total)
        within = length_so_far <= lengths.sum() * pct / 100
        out[f"share_top_{pct}pct_length"] = float(sorted_counts[within].sum() / total)
    return out
