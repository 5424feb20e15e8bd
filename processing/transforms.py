"""Reprojection through QGIS's own QgsCoordinateTransform, in bulk (no pyproj)."""

from __future__ import annotations

import struct

import numpy as np
import shapely
from qgis.core import QgsCoordinateTransform, QgsCsException, QgsGeometry


def transform_geometries(
    geometries: np.ndarray, source_crs, dest_crs, transform_context
) -> np.ndarray:
    """Reproject shapely geometries with the transform QGIS would use in this context."""
    transform = _xy_transform(source_crs, dest_crs, transform_context)
    return geometries if transform is None else shapely.transform(geometries, transform)


def transform_xy(xy: np.ndarray, source_crs, dest_crs, transform_context) -> np.ndarray:
    """Reproject (n, 2) coordinates (NaN rows stay NaN) as :func:`transform_geometries`.

    A point the transform cannot handle comes back as inf (the join then gives it a reason).
    """
    transform = _xy_transform(source_crs, dest_crs, transform_context)
    return xy if transform is None else transform(xy)


# Points per QGIS transform call: bounds the temporary geometry (16 bytes a point).
_TRANSFORM_CHUNK = 1_000_000
_LINESTRING_HEADER = struct.Struct("<BII")  # little-endian, type 2 (LineString), n points


def _xy_transform(source_crs, dest_crs, transform_context):
    """(n, 2) -> (n, 2) reprojection by QGIS itself, or None when no transform is needed.

    QGIS's own QgsCoordinateTransform does the work, so the operation chosen in the
    project's/context's transform settings is honoured and QGIS's own PROJ is used: a pip
    wheel bundling a second PROJ (pyproj) aborts QGIS when loaded into it. Coordinates are
    handed over in bulk as the vertices of one LineString (WKB in, WKB out): QGIS transforms
    a line's coordinate arrays in one PROJ call, with no Python object per point.
    """
    if not source_crs.isValid() or not dest_crs.isValid() or source_crs == dest_crs:
        return None
    qgs_transform = QgsCoordinateTransform(source_crs, dest_crs, transform_context)

    def _apply(coords: np.ndarray) -> np.ndarray:
        coords = np.asarray(coords, dtype=np.float64)
        out = np.full(coords.shape, np.nan)
        finite = np.flatnonzero(np.isfinite(coords).all(axis=1))
        for begin in range(0, finite.size, _TRANSFORM_CHUNK):
            rows = finite[begin : begin + _TRANSFORM_CHUNK]
            out[rows] = _transform_vertices(coords[rows], qgs_transform)
        return out

    return _apply


def _transform_vertices(xy: np.ndarray, qgs_transform) -> np.ndarray:
    """(n, 2) finite coordinates through ``qgs_transform``; failures come back as inf."""
    if len(xy) == 1:  # a LineString needs two vertices
        return _transform_vertices(np.vstack([xy, xy]), qgs_transform)[:1]
    line = QgsGeometry()
    line.fromWkb(_LINESTRING_HEADER.pack(1, 2, len(xy)) + np.ascontiguousarray(xy).tobytes())
    try:
        line.transform(qgs_transform)
    except QgsCsException:  # the whole batch failed: mark every point as not transformable
        return np.full(xy.shape, np.inf)
    wkb = np.frombuffer(bytes(line.asWkb()), dtype=np.uint8)
    return wkb[_LINESTRING_HEADER.size :].view("<f8").reshape(-1, 2).copy()
