"""Stage 6: aoristic counts per block in one time window."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..timeline import counted_shares
from ..windows import Window, whole_period_window
from .inputs import Incidents, InputCounts
from .merging import Events

_NEVER = np.iinfo(np.int64).max
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class WindowCounts:
    """Per block, in one window: the aoristic count of records, of events (duplicates
    merged), per source (sources x blocks, records), the harm-weighted count (records), the
    unsmoothed risk (events), first and last start counted (local, NaT when none) and the
    trend (records; NaN when undefined)."""

    incidents: np.ndarray
    events: np.ndarray
    by_source: np.ndarray
    harm: np.ndarray
    risk: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    trend: np.ndarray


def window_share(
    incidents: Incidents, window: Window, period_start, period_end, max_span_hours, tz
) -> np.ndarray:
    """Share (0..1) of each record counted in the window: the rule of
    :func:`hotblocking.timeline.counted_shares` (0 for the records that do not count)."""
    return counted_shares(
        incidents.start,
        incidents.end,
        window,
        time_of_day=incidents.time_of_day,
        period_start=period_start,
        period_end=period_end,
        max_span_hours=max_span_hours,
        tz=tz,
        starts_utc=incidents.start_utc,
        ends_utc=incidents.end_utc,
    )


def in_study_period(
    incidents: Incidents, shares: list, given: InputCounts, period_start, period_end, tz
) -> tuple[Incidents, list, InputCounts]:
    """With a study period: only the records that count in it (in one of the windows, or
    anywhere inside its days), their shares, and the others counted as outside the period."""
    if period_start is None and period_end is None:
        return incidents, shares, given
    inside = (
        counted_shares(
            incidents.start,
            incidents.end,
            whole_period_window(),
            period_start=period_start,
            period_end=period_end,
            tz=tz,
            starts_utc=incidents.start_utc,
            ends_utc=incidents.end_utc,
        )
        > 0
    )
    for share in shares:
        inside |= share > 0
    rows = np.flatnonzero(inside)
    outside = given.outside_period + len(incidents) - rows.size
    return (
        incidents.take(rows),
        [share[rows] for share in shares],
        replace(given, outside_period=outside),
    )


def count_window(
    incidents: Incidents,
    share: np.ndarray,
    events: Events,
    harm: np.ndarray,
    event_weight: np.ndarray,
    last_third: np.ndarray | None,
    n_blocks: int,
) -> WindowCounts:
    """Sum each record's ``share`` of the window per block, unweighted, per source and by
    harm; each event's share (its first record's) unweighted and by risk weight; first/last
    seen over the records with a share; ``trend`` = 2 x (count in the period's last third) /
    (count before), NaN when nothing came before."""
    block = incidents.block

    def per_block(weights: np.ndarray, where: np.ndarray = block) -> np.ndarray:
        return np.bincount(where, weights=weights, minlength=n_blocks)

    n_sources = events.source_mask.shape[1]
    by_source = np.empty((n_sources, n_blocks))
    for code in range(n_sources):
        by_source[code] = per_block(share * (incidents.source == code))
    event_share = share[events.first]
    event_block = block[events.first]
    first_seen, last_seen = _seen(incidents, share > 0, n_blocks)
    return WindowCounts(
        incidents=per_block(share),
        events=per_block(event_share, event_block),
        by_source=by_source,
        harm=per_block(share * harm),
        risk=per_block(event_share * event_weight, event_block),
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
