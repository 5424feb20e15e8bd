"""The same records arriving twice through different files, found by content.

A layer exported twice (a GeoPackage and a CSV of it, or a copy in another CRS) carries the
same incidents under another file name; counted twice, every block's risk doubles in those
records' places and false hot blocks appear. Records are compared by what they are: the point
(to the millimetre, in one CRS) and the start and end times, not by file name or feature id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Points closer than this (CRS units, metres for the blocks) are the same place: far below
# any real position's precision, far above a reprojection's round-off.
KEY_RESOLUTION = 0.001
_NAT_KEY = np.iinfo(np.int64).min


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
    smaller, larger = (keys_a, keys_b) if len(keys_a) <= len(keys_b) else (keys_b, keys_a)
    if len(smaller) == 0:
        return 0.0
    return float(np.isin(smaller, larger, assume_unique=True).mean())


def _time_key(times) -> np.ndarray:
    values = np.asarray(times).astype("datetime64[ms]")
    keys = values.astype(np.int64)
    keys[np.isnat(values)] = _NAT_KEY
    return keys
