"""Stage 6: aoristic counts per block in one time window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timeline import interval_share, occurrence_intervals
from ..windows import Window
from .inputs import Incidents
from .weights import TimeFlags

_NEVER = np.iinfo(np.int64).max
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class WindowCounts:
    """Per block, in one window: the aoristic count, per source (sources x blocks), the
    harm-weighted count, the unsmoothed risk, first and last start counted (local, NaT when
    none) and the trend (NaN when undefined)."""

    incidents: np.ndarray
    by_source: np.ndarray
    harm: np.ndarray
    risk: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    trend: np.ndarray


def window_share(incidents: Incidents, flags: TimeFlags, window: Window, days, tz) -> np.ndarray:
    """Share (0..1) of each incident inside the window's occurrences on ``days`` (a pair of
    local dates from :func:`hotblocking.risk.period.occurrence_days`, or None); 0 for the
    incidents that do not count."""
    if days is None:
        return np.zeros(len(incidents))
    occurrence_starts, occurrence_ends = occurrence_intervals(window, *days, tz)
    share = interval_share(
        incidents.start_utc, incidents.end_utc, occurrence_starts, occurrence_ends
    )
    return np.where(flags.countable, np.nan_to_num(share, nan=0.0), 0.0)


def count_window(
    incidents: Incidents,
    share: np.ndarray,
    source_mask: np.ndarray,
    harm: np.ndarray,
    risk_weight: np.ndarray,
    last_third: np.ndarray | None,
    n_blocks: int,
) -> WindowCounts:
    """Sum each incident's ``share`` of the window per block, unweighted, per source, by
    harm and by risk weight; first/last seen over the incidents with a share; ``trend`` =
    2 x (count in the period's last third) / (count before), NaN when nothing came before."""
    block = incidents.block

    def per_block(weights: np.ndarray) -> np.ndarray:
        return np.bincount(block, weights=weights, minlength=n_blocks)

    by_source = np.empty((source_mask.shape[1], n_blocks))
    for code in range(source_mask.shape[1]):
        by_source[code] = per_block(share * source_mask[:, code])
    first_seen, last_seen = _seen(incidents, share > 0, n_blocks)
    return WindowCounts(
        incidents=per_block(share),
        by_source=by_source,
        harm=per_block(share * harm),
        risk=per_block(share * risk_weight),
        first_seen=first_seen,
        last_seen=last_seen,
        trend=_trend(per_block, share, last_third, n_blocks),
    )


def _seen(incidents: Incidents, counted: np.ndarray, n_blocks: int):
    """Earliest and latest local start per block among the ``counted`` incidents."""
    starts = incidents.start.view(np.int64)[counted]
    blocks = incidents.block[counted]
    earliest = np.full(n_blocks, _NEVER, dtype=np.int64)
    latest = np.full(n_blocks, _NAT, dtype=np.int64)
    np.minimum.at(earliest, blocks, starts)
    np.maximum.at(latest, blocks, starts)
    first_seen = np.where(earliest == _NEVER, _NAT, earliest).view("datetime64[ms]")
    return first_seen, latest.view("datetime64[ms]")


def _trend(per_block, share, last_third, n_blocks: int) -> np.ndarray:
    if last_third is None:
        return np.full(n_blocks, np.nan)
    recent = per_block(share * last_third)
    before = per_block(share * ~last_third)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, 2.0 * recent / before, np.nan)
