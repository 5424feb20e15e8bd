"""Stage 9: the hot-blocks table in schema order, and the run's summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema
from ..clock import clock_changes
from ..windows import Window
from .inputs import Blocks, Incidents, InputCounts
from .merging import Events
from .ranking import HotRule, concentration
from .weights import TimeFlags

_DTYPES = {schema.INT: np.int64, schema.BOOL: bool, schema.DATETIME: "datetime64[ms]"}


class RiskTable:
    """The :data:`hotblocking.schema.HOT_BLOCKS` table under construction, one row per block
    per window (window by window, blocks in input order).

    The real-valued fields live in one float array (fields x rows); the table takes a view
    of each field's row, without a copy; the other per-window fields are one array each.
    Fill them window by window with :meth:`put`, then call :meth:`frame`.
    """

    def __init__(self, source_columns: list[str], n_blocks: int, n_windows: int) -> None:
        self.n_blocks = n_blocks
        self.source_columns = list(source_columns)
        self.names = schema.HOT_BLOCKS.names(source_columns)
        kinds = {name: schema.HOT_BLOCKS.field(name).kind for name in self.names}
        self.reals = [name for name in self.names if kinds[name] == schema.REAL]
        self._position = {name: i for i, name in enumerate(self.reals)}
        n_rows = n_blocks * n_windows
        self._block = np.zeros((len(self.reals), n_rows))
        self._others = {
            name: np.empty(n_rows, dtype=_DTYPES.get(kinds[name], object))
            for name in (schema.RANK, schema.HOT, schema.PEAK, schema.PROFILE)
            + (schema.FIRST_SEEN, schema.LAST_SEEN, schema.TREND_WORD, schema.PATTERN)
        }

    def _rows(self, window_index: int) -> slice:
        return slice(window_index * self.n_blocks, (window_index + 1) * self.n_blocks)

    def put(self, window_index: int, **columns: np.ndarray) -> None:
        """Set fields (by name) of one window's rows."""
        rows = self._rows(window_index)
        for name, values in columns.items():
            if name in self._position:
                self._block[self._position[name], rows] = values
            else:
                self._others[name][rows] = values

    def get(self, window_index: int, name: str) -> np.ndarray:
        """One real-valued field of one window's rows (a view)."""
        return self._block[self._position[name], self._rows(window_index)]

    def frame(self, whole_columns: dict[str, np.ndarray]) -> pd.DataFrame:
        """The table, with ``whole_columns`` (the fields not set per window) in their place.
        The builder is spent afterwards."""
        columns = {**self._others, **whole_columns}
        columns.update((name, self._block[i]) for name, i in self._position.items())
        # copy=False: each array becomes its own block as it is; inserting columns one by one
        # would copy each (~0.2 GB at 2.3M rows).
        table = pd.DataFrame({name: columns.pop(name) for name in self.names}, copy=False)
        self._others = {}
        del self._block
        return table


def block_columns(blocks: Blocks, windows: list[Window], labels: dict[str, str]) -> dict:
    """The fields that repeat per window (the block's) or per block (the window's), and the
    ``sources`` text."""
    n_blocks, n_windows = len(blocks), len(windows)
    return {
        schema.BLOCK_ID: np.tile(blocks.ids, n_windows),
        schema.LINK_ID: np.tile(blocks.link_ids, n_windows),
        schema.NAME: np.tile(blocks.names, n_windows),
        schema.DESCRIPTION: np.tile(blocks.descriptions, n_windows),
        schema.WINDOW: np.repeat(np.array([w.label for w in windows], dtype=object), n_blocks),
        schema.WINDOW_SPEC: np.repeat(np.array([w.spec for w in windows], dtype=object), n_blocks),
        schema.SOURCES: np.full(n_blocks * n_windows, schema.encode_sources(labels), dtype=object),
    }


def summarise(
    *,
    given: InputCounts,
    used: Incidents,
    flags: TimeFlags,
    events: Events,
    blocks: Blocks,
    by_window: dict[str, dict],
    reference_local: np.datetime64,
    rule: HotRule,
    tz,
) -> dict:
    """The run in numbers (``RiskResult.summary``); ``by_window`` maps each summary key
    that is given per window to its {label: value}."""
    counts = np.bincount(used.block, minlength=len(blocks)).astype(np.float64)
    timed = flags.has_time
    changes = clock_changes(used.start[timed & used.time_of_day], tz)
    return {
        "incidents_input": given.given,
        "incidents_unknown_block": given.unknown_block,
        "incidents_outside_period": given.outside_period,
        "incidents_used": len(used),
        "incidents_without_time": given.without_time,
        "incidents_without_time_of_day": int((timed & ~used.time_of_day).sum()),
        "incidents_counted_in_windows": int(flags.countable.sum()),
        "spans_flagged": int(flags.too_long.sum()),
        "spans_reversed": int(flags.reversed.sum()),
        "events": len(events),
        "merged_duplicates": len(used) - len(events),
        "multi_source_incidents": int((events.source_mask.sum(axis=1) > 1).sum()),
        "clock_change_ambiguous": changes.ambiguous,
        "clock_change_nonexistent": changes.nonexistent,
        "blocks": len(blocks),
        "blocks_with_any": int((counts > 0).sum()),
        "network_length_m": float(blocks.lengths.sum()),
        **concentration(counts, blocks.lengths),
        **by_window,
        "reference_time": None if np.isnat(reference_local) else pd.Timestamp(reference_local),
        "hot_rule": {"kind": rule.kind, "value": rule.value},
    }
