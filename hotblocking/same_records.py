"""The same records arriving twice, found by content: counted twice, every block's risk
doubles where they are and false hot blocks appear.

Two ways a record is recognised, one rule for a pair of layers:

* :func:`content_keys`, for incident layers as given (the one-step pipeline): the point (to
  the millimetre, in one CRS) and the start and end times, so a copy in another file, format,
  order or CRS is found whatever its file name or feature ids;
* :func:`record_keys`, for joined layers (computerisk): the feature id after the source label,
  the block and the times, so one incident layer joined twice under two labels is found.

Two genuinely different sources can share a few records by coincidence, mostly with
month-only data (many records share a month and a busy block, and both layers number their
features from 1). A pair counts as "the same records" only when at least :data:`SAME_SHARE`
of the smaller layer's distinct records are also in the other (:func:`pair_overlaps`,
:func:`repeated_layers`); a repeat of a whole layer gives 100%, coincidence a few percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAME_SHARE = 0.5
# Points closer than this (CRS units, metres for the blocks) are the same place: far below
# any real position's precision, far above a reprojection's round-off.
KEY_RESOLUTION = 0.001
_NAT_KEY = np.iinfo(np.int64).min


@dataclass(frozen=True)
class RepeatedLayers:
    first: int  # index of a layer
    second: int  # index of a later layer
    shared: int  # records of the smaller one also in the other
    smaller: int  # records of the smaller one


def record_keys(
    incident_ids: np.ndarray,
    block_ids: np.ndarray,
    time_start: np.ndarray,
    time_end: np.ndarray,
) -> np.ndarray:
    """One 64-bit hash per record of (feature id without its source label, block, times).

    ``incident_ids`` are ``<label>:<feature id>``; the label may itself hold ':', the id
    does not.
    """
    ids = pd.Series(np.asarray(incident_ids, dtype=object), dtype=object)
    if len(ids) == 0:
        return np.zeros(0, dtype=np.uint64)
    feature_ids = ids.str.rpartition(":")[2]
    frame = pd.DataFrame(
        {
            "feature_id": feature_ids.to_numpy(dtype=object),
            "block_id": np.asarray(block_ids, dtype=object),
            "start": np.asarray(time_start, dtype="datetime64[ms]").view("int64"),
            "end": np.asarray(time_end, dtype="datetime64[ms]").view("int64"),
        }
    )
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def content_keys(xy: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The distinct keys (uint64 hashes) of records given as (n, 2) coordinates (NaN: no
    point) and ``datetime64`` start and end times (NaT: none)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    cells = np.round(np.nan_to_num(xy, nan=np.inf, posinf=np.inf) / KEY_RESOLUTION)
    finite = np.isfinite(cells)
    grid = np.where(finite, cells, 0).astype(np.int64)
    grid[~finite] = _NAT_KEY
    frame = pd.DataFrame(
        {
            "x": grid[:, 0],
            "y": grid[:, 1],
            "start": _time_key(start),
            "end": _time_key(end),
        }
    )
    return np.unique(pd.util.hash_pandas_object(frame, index=False).to_numpy())


def shared_share(keys_a: np.ndarray, keys_b: np.ndarray) -> float:
    """The share of the smaller set of distinct records also found in the other (0 to 1)."""
    shared, smaller = _shared(keys_a, keys_b)
    return shared / smaller if smaller else 0.0


def pair_overlaps(keys: list[np.ndarray]) -> list[RepeatedLayers]:
    """Every pair of layers (given as key arrays) sharing any record, in layer order."""
    distinct = [np.unique(k) for k in keys]
    found = []
    for i in range(len(distinct)):
        for j in range(i + 1, len(distinct)):
            shared, smaller = _shared(distinct[i], distinct[j])
            if shared:
                found.append(RepeatedLayers(i, j, shared, smaller))
    return found


def repeated_layers(keys: list[np.ndarray], share: float = SAME_SHARE) -> list[RepeatedLayers]:
    """Pairs of layers where at least ``share`` of the smaller layer's distinct records are
    also in the other."""
    return [pair for pair in pair_overlaps(keys) if pair.shared >= share * pair.smaller]


def _shared(keys_a: np.ndarray, keys_b: np.ndarray) -> tuple[int, int]:
    """(distinct records of the smaller set also in the other, distinct records in it)."""
    a, b = np.unique(keys_a), np.unique(keys_b)
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) == 0:
        return 0, 0
    return int(np.isin(small, large, assume_unique=True).sum()), len(small)


def _time_key(times) -> np.ndarray:
    values = np.asarray(times).astype("datetime64[ms]")
    keys = values.astype(np.int64)
    keys[np.isnat(values)] = _NAT_KEY
    return keys
