"""Small numpy helpers the core's modules share (each written once)."""

from __future__ import annotations

import numpy as np

__all__ = ["exclusive_cumsum", "is_xy", "usable_lengths"]


def exclusive_cumsum(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group of ``counts`` items laid end to end: ``[0, c0, c0 + c1, ...]``
    (int64, same length as ``counts``)."""
    out = np.zeros(counts.shape[0], dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def is_xy(values) -> bool:
    """True for an (n, 2) float array of point coordinates (the fast path for point layers:
    no GEOS object per point), False for an array of shapely geometries."""
    return isinstance(values, np.ndarray) and values.dtype.kind == "f" and values.ndim == 2


def usable_lengths(lengths) -> np.ndarray:
    """Lengths as float64 with NaN, infinite and non-positive values set to 0: such a block
    takes no share of the network (expected counts, smoothing, graph edges)."""
    lens = np.asarray(lengths, dtype=np.float64)
    return np.where(np.isfinite(lens) & (lens > 0), lens, 0.0)
