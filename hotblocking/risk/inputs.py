"""Stage 1: the blocks, the incidents on them in the study period, and the network.

Everything later works on positional arrays: a block is its row in :class:`Blocks`, an
incident its row in :class:`Incidents`, a source its code in :class:`Sources`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .. import schema
from ..arrays import usable_lengths
from ..errors import InputError
from ..network import BlockNetwork, build_network
from ..timeline import local_to_utc, period_bounds

BLOCK_COLUMNS = (schema.BLOCK_ID, schema.LINK_ID, schema.NAME, schema.LENGTH_M)
INCIDENT_COLUMNS = (schema.BLOCK_ID, schema.SOURCE, schema.TIME_START)
UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True, eq=False)
class Blocks:
    """The blocks as aligned arrays; ``lengths`` are usable lengths (0 where unknown);
    ``index`` looks a block id up (its hash table is built once)."""

    ids: np.ndarray
    index: pd.Index
    link_ids: np.ndarray
    names: np.ndarray
    descriptions: np.ndarray
    lengths: np.ndarray
    geometries: np.ndarray | None

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True, eq=False)
class Incidents:
    """Incidents as aligned arrays: block position, source code, local and UTC times
    (naive ``datetime64[ms]``, NaT where missing), harm weight (NaN where missing) and
    whether the time of day is known (False for a date or a month only)."""

    block: np.ndarray
    source: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_utc: np.ndarray
    end_utc: np.ndarray
    weight: np.ndarray
    time_of_day: np.ndarray

    def __len__(self) -> int:
        return int(self.block.shape[0])

    def take(self, rows: np.ndarray, weight: np.ndarray | None = None) -> Incidents:
        """The incidents at ``rows`` (optionally with new weights, aligned with ``rows``)."""
        return Incidents(
            self.block[rows],
            self.source[rows],
            self.start[rows],
            self.end[rows],
            self.start_utc[rows],
            self.end_utc[rows],
            self.weight[rows] if weight is None else weight,
            self.time_of_day[rows],
        )


@dataclass(frozen=True, eq=False)
class Sources:
    """Source labels (sorted; the code of a source is its position), their ``n_`` columns
    and their weights."""

    labels: list[str]
    columns: dict[str, str]
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class InputCounts:
    """What happened to the incidents given (for the summary)."""

    given: int
    unknown_block: int
    without_time: int
    outside_period: int


def check_columns(incidents: pd.DataFrame, blocks: pd.DataFrame) -> None:
    for column in BLOCK_COLUMNS:
        if column not in blocks.columns:
            raise InputError(f"blocks: missing column {column!r}")
    for column in INCIDENT_COLUMNS:
        if column not in incidents.columns:
            raise InputError(f"incidents: missing column {column!r}")


def read_blocks(blocks: pd.DataFrame, geometries: np.ndarray | None) -> Blocks:
    """Blocks with unique ids; a missing ``length_m`` is taken from the geometry; without a
    ``description`` column (blocks not made by buildblocks) the name stands for it."""
    ids = blocks[schema.BLOCK_ID].to_numpy()
    index = pd.Index(ids)
    if not index.is_unique:
        raise InputError("blocks: block_id values must be unique")
    lengths = pd.to_numeric(blocks[schema.LENGTH_M], errors="coerce").to_numpy(dtype=np.float64)
    if geometries is not None:
        geometries = np.asarray(geometries, dtype=object)
        if np.isnan(lengths).any():
            lengths = np.where(np.isnan(lengths), shapely.length(geometries), lengths)
    return Blocks(
        ids=ids,
        index=index,
        link_ids=blocks[schema.LINK_ID].to_numpy(),
        names=blocks[schema.NAME].to_numpy(),
        descriptions=blocks[
            schema.DESCRIPTION if schema.DESCRIPTION in blocks.columns else schema.NAME
        ].to_numpy(),
        lengths=usable_lengths(lengths),
        geometries=geometries,
    )


def block_positions(block_ids: pd.Series, blocks: Blocks) -> np.ndarray:
    """Row of each incident's block in ``blocks`` (-1 when unknown); ids compared as text
    when their types differ."""
    index = blocks.index
    if block_ids.dtype != index.dtype:
        index, block_ids = pd.Index(index.astype(str)), block_ids.astype(str)
    return index.get_indexer(block_ids).astype(np.int64)


def read_sources(labels: pd.Series, weights: dict[str, float] | None) -> tuple[Sources, np.ndarray]:
    """The sources (those of the incidents and those weighted) and each incident's code.

    A missing label reads ``"unknown"``; an unweighted source weighs 1.
    """
    labels = labels.astype(object)
    labels = labels.where(labels.notna(), UNKNOWN_SOURCE).astype(str)
    names = sorted(set(labels.unique()) | set(weights or {}))
    codes = pd.Categorical(labels, categories=names).codes.astype(np.int64)
    by_source = np.array([float((weights or {}).get(s, 1.0)) for s in names])
    return Sources(names, schema.source_columns(names), by_source), codes


def read_incidents(
    incidents: pd.DataFrame,
    blocks: Blocks,
    source_weights: dict[str, float] | None,
    period_start,
    period_end,
    tz,
) -> tuple[Incidents, Sources, InputCounts]:
    """The incidents on known blocks that can count in the study period, with UTC times.

    ``incidents``: block_id, source, time_start and optionally time_end, weight and
    time_precision (naive local times; without time_precision a start means a time of day).
    With no period every incident on a known block is kept, untimed ones included. With a
    period, those whose time overlaps its days or the next day (a night window started on the
    period's last evening ends then) are kept; counting then clips them exactly
    (:func:`hotblocking.timeline.counted_shares`).
    """
    block = block_positions(incidents[schema.BLOCK_ID], blocks)
    sources, source = read_sources(incidents[schema.SOURCE], source_weights)
    start = _local_times(incidents[schema.TIME_START])
    end = _local_times(_column(incidents, schema.TIME_END, pd.NaT))
    weight = pd.to_numeric(_column(incidents, schema.WEIGHT, np.nan), errors="coerce").to_numpy(
        dtype=np.float64
    )
    known = block >= 0
    in_time = _overlaps_period(start, end, period_start, period_end)
    counts = InputCounts(
        given=len(incidents),
        unknown_block=int((~known).sum()),
        without_time=int((known & np.isnat(start)).sum()),
        outside_period=int((known & ~np.isnat(start) & ~in_time).sum()),
    )
    keep = np.flatnonzero(known & in_time)
    start, end = start[keep], end[keep]
    kept = Incidents(
        block=block[keep],
        source=source[keep],
        start=start,
        end=end,
        start_utc=local_to_utc(start, tz),
        end_utc=local_to_utc(end, tz),
        weight=weight[keep],
        time_of_day=_time_of_day(incidents)[keep],
    )
    return kept, sources, counts


def block_network(
    blocks: Blocks, network: BlockNetwork | None, needed: bool, snap_tolerance: float
) -> BlockNetwork | None:
    """The given network, or one built from the block geometries when ``needed``."""
    if needed and network is None:
        if blocks.geometries is None:
            raise InputError("block_geoms are needed for smoothing or duplicate merging")
        network = build_network(blocks.geometries, blocks.lengths, snap_tolerance)
    if network is not None and network.graph.shape[0] != len(blocks):
        raise InputError("network does not match blocks")
    return network


def _time_of_day(incidents: pd.DataFrame) -> np.ndarray:
    """Whether each record's time of day is known (its precision is an instant or a range)."""
    if schema.TIME_PRECISION in incidents.columns:
        precision = incidents[schema.TIME_PRECISION].astype(object)
        return precision.isin(schema.TIME_OF_DAY_PRECISIONS).to_numpy()
    return incidents[schema.TIME_START].notna().to_numpy()


def _overlaps_period(start, end, period_start, period_end) -> np.ndarray:
    """Every record without a period; else those whose [start, end] touches the period's
    days or the day after (untimed records cannot be placed)."""
    first, after = period_bounds(period_start, period_end)
    if np.isnat(first) and np.isnat(after):
        return np.ones(start.shape, dtype=bool)
    finish = np.where(np.isnat(end) | (end < start), start, end)
    keep = ~np.isnat(start)
    if not np.isnat(first):
        keep &= finish >= first
    if not np.isnat(after):
        keep &= start < after + np.timedelta64(1, "D")
    return keep


def _column(frame: pd.DataFrame, name: str, default) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(default, index=frame.index)


def _local_times(values) -> np.ndarray:
    series = pd.Series(values)
    if getattr(series.dtype, "tz", None) is not None:
        raise InputError("time columns must be naive local wall-clock times")
    return pd.to_datetime(series).to_numpy().astype("datetime64[ms]")
