"""Stage 6b: each block's trend and emerging pattern in a window (:mod:`hotblocking.emerging`).

The events counted in the window are filed under the week or month of the evening their
window occurrence began, from the study period's first day (or the first record's) to its
last; the Mann-Kendall test and the pattern classes then run per block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..emerging import BlockTrends, block_trends, record_steps, step_matrix, step_of_evening
from ..timeline import period_bounds
from ..windows import Window
from .inputs import Incidents

TREND_MIN_COUNT = 10.0
"""Events a block needs in a window before a trend word or pattern is given."""


@dataclass(frozen=True)
class TrendSteps:
    """The days the steps cover (None: no record has a time)."""

    first_day: np.datetime64 | None
    last_day: np.datetime64 | None


def trend_steps(records: Incidents, period_start=None, period_end=None) -> TrendSteps:
    """The study period's days, or the first to the last record's."""
    timed = ~np.isnat(records.start)
    if not timed.any():
        return TrendSteps(None, None)
    first, after = period_bounds(period_start, period_end)
    ends = np.where(np.isnat(records.end), records.start, records.end)[timed]
    first_day = (first if not np.isnat(first) else records.start[timed].min()).astype("M8[D]")
    if not np.isnat(after):
        last_day = (after - np.timedelta64(1, "D")).astype("M8[D]")
    else:
        last_day = ends.max().astype("M8[D]")
    return TrendSteps(first_day, last_day)


def window_trends(
    firsts: Incidents,
    event_share: np.ndarray,
    window: Window,
    steps: TrendSteps,
    counting,
    n_blocks,
) -> BlockTrends:
    """Trend and pattern per block from the events' shares of ``window``."""
    if steps.first_day is None:
        return _none(n_blocks)
    index = record_steps(
        firsts.start_utc, firsts.end_utc, window, steps.first_day, counting.trend_step, counting.tz
    )
    n_steps = int(
        step_of_evening(np.array([steps.last_day]), steps.first_day, counting.trend_step)[0] + 1
    )
    counts = step_matrix(firsts.block, index, event_share, n_blocks, max(n_steps, 1))
    return block_trends(counts, counting.lengths, counting.trend_min_count)


def _none(n_blocks: int) -> BlockTrends:
    nan = np.full(n_blocks, np.nan)
    none = np.full(n_blocks, None, dtype=object)
    return BlockTrends(nan, nan.copy(), none, none.copy(), 0)
