"""compute_risk: the stages of :mod:`hotblocking.risk`, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import schema
from ..constants import LONDON
from ..errors import InputError, check_cancelled
from ..network import BlockNetwork, smooth
from ..windows import Window
from .counts import count_window, in_study_period, window_share
from .inputs import (
    Blocks,
    Incidents,
    block_network,
    check_columns,
    read_blocks,
    read_incidents,
)
from .merging import Events, merge_duplicates
from .period import in_last_third
from .profiles import hour_profiles, long_profiles, peak_labels, window_profiles
from .ranking import HotRule, rank_window
from .table import RiskTable, block_columns, summarise
from .trends import TREND_MIN_COUNT, trend_steps, window_trends
from .weights import age_reference, harm_weight, risk_weights, time_flags


@dataclass
class RiskResult:
    """Output of :func:`compute_risk`: the hot-blocks table
    (:data:`hotblocking.schema.HOT_BLOCKS`), the long profiles table
    (:data:`hotblocking.schema.PROFILES`), the summary and label -> ``n_`` column."""

    table: pd.DataFrame
    profiles: pd.DataFrame
    summary: dict
    source_columns: dict[str, str] = field(default_factory=dict)


def compute_risk(
    incidents: pd.DataFrame,
    blocks: pd.DataFrame,
    block_geoms: np.ndarray | None,
    windows: Sequence[Window],
    *,
    hot_rule: HotRule,
    source_weights: dict[str, float] | None = None,
    use_harm: bool = False,
    half_life_days: float = 0.0,
    reference_time=None,
    bandwidth_m: float = 0.0,
    merge_minutes: float = 0.0,
    merge_repeats: bool = True,
    max_span_hours: float | None = 72.0,
    period_start=None,
    period_end=None,
    snap_tolerance: float = 0.01,
    network: BlockNetwork | None = None,
    trend_step: str = "month",
    trend_min_count: float = TREND_MIN_COUNT,
    tz=LONDON,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RiskResult:
    """Risk per block per time window (:mod:`hotblocking.risk` for methods and conventions).

    ``incidents``: block_id, source, time_start, time_end, weight, time_precision (naive local
    times of zone ``tz``). ``blocks``: block_id, link_id, name, length_m; ``block_geoms``
    aligned LineStrings (needed for ``bandwidth_m > 0`` or ``merge_minutes > 0`` unless a
    ``network`` from :func:`hotblocking.network.build_network` is given; ``snap_tolerance``
    in layer units). Records of one event are merged within ``merge_minutes`` (across sources,
    and within a source when ``merge_repeats``: :mod:`.merging`). ``risk`` = per event, source
    weight x (harm or 1) x ``0.5 ** (age_days / half_life_days)`` (no decay when 0; age from
    ``reference_time``, default the latest start; later events are not boosted), summed per
    block in the window, then smoothed over ``bandwidth_m``. Trends use ``trend_step`` ("week"
    or "month") counts of events and are withheld below ``trend_min_count`` events.
    Raises :class:`hotblocking.errors.Cancelled` when ``cancelled()`` turns True.
    """

    def step(fraction: float) -> None:
        check_cancelled(cancelled)
        if progress is not None:
            progress(fraction)

    windows = _checked_windows(windows)
    if not isinstance(hot_rule, HotRule):
        raise TypeError("hot_rule must be a HotRule")
    check_columns(incidents, blocks)
    step(0.0)

    # 1. blocks, incidents, network
    block_table = read_blocks(blocks, block_geoms)
    nearby, sources, given = read_incidents(
        incidents, block_table, source_weights, period_start, period_end, tz
    )
    shares = [
        window_share(nearby, w, period_start, period_end, max_span_hours, tz) for w in windows
    ]
    found, shares, given = in_study_period(nearby, shares, given, period_start, period_end, tz)
    step(0.1)
    needed = bandwidth_m > 0 or merge_minutes > 0
    network = block_network(block_table, network, needed, snap_tolerance)
    step(0.15)
    # 2. records of one event merged
    events = merge_duplicates(found, len(sources), network, merge_minutes, merge_repeats)
    step(0.2)
    # 3. what counts and what it weighs; 4. study period
    flags = time_flags(found, max_span_hours)
    harm = harm_weight(found)
    reference_local = age_reference(found, flags.has_time, reference_time)
    firsts = found.take(events.first, weight=events.weight)
    event_weight = risk_weights(
        firsts,
        events.source_mask,
        sources,
        time_flags(firsts, max_span_hours),
        use_harm=use_harm,
        half_life_days=half_life_days,
        harm=harm_weight(firsts),
        reference_local=reference_local,
        tz=tz,
    )
    last_third = in_last_third(found, flags.has_time, period_start, period_end)
    step(0.25)
    # 5. hour-of-week profiles
    week_profiles = hour_profiles(found, flags.countable, len(block_table), tz)
    step(0.3)

    # 6. counts per window (and the events' trends); 7. smoothing; 8. ranks, significance...
    table = RiskTable(list(sources.columns.values()), len(block_table), len(windows))
    counting = _Counting(
        found, firsts, events, harm, event_weight, last_third, block_table.lengths,
        period_start, period_end, max_span_hours, trend_step, trend_min_count, tz,
    )  # fmt: skip
    raw_risk = _count_windows(table, windows, shares, counting, step)
    del shares
    risk = _smoothed(raw_risk, network, bandwidth_m, block_table.lengths, step, cancelled)
    del raw_risk
    step(0.85)
    long_frames, by_window = _rank_windows(
        table, windows, risk, week_profiles, block_table, hot_rule, step
    )
    del week_profiles, risk

    # 9. the summary, then the tables (the working arrays freed first: ~0.4 GB at 2M)
    summary = summarise(
        given=given,
        used=found,
        flags=flags,
        events=events,
        blocks=block_table,
        by_window=by_window,
        reference_local=reference_local,
        rule=hot_rule,
        tz=tz,
    )
    del nearby, found, firsts, events, flags, harm, event_weight, last_third, counting, network
    result = RiskResult(
        table=table.frame(block_columns(block_table, windows, sources.columns)),
        profiles=pd.concat(long_frames, ignore_index=True),
        summary=summary,
        source_columns=sources.columns,
    )
    step(1.0)
    return result


def _checked_windows(windows: Sequence[Window]) -> list[Window]:
    windows = list(windows)
    if not windows:
        raise InputError("at least one time window is needed")
    labels = [w.label.casefold() for w in windows]
    if len(set(labels)) != len(labels):
        raise InputError("window labels must be unique")
    return windows


@dataclass(frozen=True, eq=False)
class _Counting:
    """What counting a window needs: the records, the events' first records, their
    weights, the study period and the trend settings."""

    records: Incidents
    firsts: Incidents
    events: Events
    harm: np.ndarray
    event_weight: np.ndarray
    last_third: np.ndarray | None
    lengths: np.ndarray
    period_start: object
    period_end: object
    max_span_hours: float | None
    trend_step: str
    trend_min_count: float
    tz: object


def _count_windows(
    table: RiskTable, windows: list[Window], shares: list, counting: _Counting, step
) -> np.ndarray:
    """Stage 6 for every window: counts and trends into ``table`` from each record's
    ``shares`` of the windows; the unsmoothed risk (blocks x windows) returned."""
    n_blocks = table.n_blocks
    raw_risk = np.zeros((n_blocks, len(windows)))
    steps = trend_steps(counting.records, counting.period_start, counting.period_end)
    for k, window in enumerate(windows):
        share = shares[k]
        counts = count_window(
            counting.records,
            share,
            counting.events,
            counting.harm,
            counting.event_weight,
            counting.last_third,
            n_blocks,
        )
        trends = window_trends(
            counting.firsts, share[counting.events.first], window, steps, counting, n_blocks
        )
        shares[k] = None  # freed as soon as counted
        table.put(
            k,
            incidents=counts.incidents,
            events=counts.events,
            harm=counts.harm,
            first_seen=counts.first_seen,
            last_seen=counts.last_seen,
            trend=counts.trend,
            trend_tau=trends.tau,
            trend_p=trends.p_value,
            trend_word=trends.word,
            pattern=trends.pattern,
            **dict(zip(table.source_columns, counts.by_source)),
        )
        raw_risk[:, k] = counts.risk
        step(0.3 + 0.3 * (k + 1) / len(windows))
    return raw_risk


def _rank_windows(
    table: RiskTable,
    windows: list[Window],
    risk: np.ndarray,
    week_profiles,
    blocks: Blocks,
    rule: HotRule,
    step,
) -> tuple[list[pd.DataFrame], dict[str, dict]]:
    """Stage 8 for every window: risk, ranks, significance, hot, peak and profile text into
    ``table``; the long profiles per window and the per-window summary numbers returned."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per_km = np.where(blocks.lengths > 0, 1000.0 / blocks.lengths, np.nan)
    window_dtype = pd.CategoricalDtype([w.label for w in windows])
    long_frames = []
    by_window: dict[str, dict] = {
        "hot_blocks": {},
        "window_incidents": {},
        "blocks_with_any_by_window": {},
    }
    whole_week = schema.encode_profiles(week_profiles)
    by_window["window_events"] = {}
    for k, window in enumerate(windows):
        window_risk = risk[:, k]
        window_counts = table.get(k, schema.INCIDENTS)
        window_events = table.get(k, schema.EVENTS)
        ranks = rank_window(window_risk, window_events, blocks.lengths, rule)
        window_profile = window_profiles(week_profiles, window)
        table.put(
            k,
            risk=window_risk,
            risk_per_km=window_risk * per_km,
            rank=ranks.rank,
            percentile=ranks.percentile,
            expected=ranks.expected,
            p_value=ranks.p_value,
            q_value=ranks.q_value,
            hot=ranks.hot,
            peak=peak_labels(window_profile, window_counts),
            profile=whole_week,
        )
        long_frames.append(long_profiles(window_profile, blocks.ids, k, window_dtype))
        by_window["hot_blocks"][window.label] = int(ranks.hot.sum())
        by_window["window_incidents"][window.label] = float(window_counts.sum())
        by_window["window_events"][window.label] = float(window_events.sum())
        by_window["blocks_with_any_by_window"][window.label] = int((window_counts > 0).sum())
        del window_profile
        step(0.85 + 0.14 * (k + 1) / len(windows))
    return long_frames, by_window


def _smoothed(raw_risk, network, bandwidth_m, lengths, step, cancelled) -> np.ndarray:
    """Risk spread along the network (:func:`hotblocking.network.smooth`); as is when the
    bandwidth is 0."""
    if bandwidth_m <= 0:
        return raw_risk
    return smooth(
        raw_risk,
        network.graph,
        bandwidth_m,
        lengths,
        progress=lambda fraction: step(0.6 + 0.25 * fraction),
        cancelled=cancelled,
    )
