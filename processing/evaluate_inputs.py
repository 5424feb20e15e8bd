"""The backtest's inputs as the core wants them: blocks, joined incidents and their points.

The one place hotblocking:evaluate reads layers. Blocks are read by computerisk's own reader;
the joined incidents as computerisk reads them (the same columns and checks), plus each
record's point in the blocks' CRS for the grid KDE baseline. When the bridge offers public
readers of blocks and joined incidents, only this module changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from qgis.core import QgsProcessingException, QgsProcessingFeatureSource

from ..hotblocking import schema
from .bridge import as_text, plain_values, read_source, transform_xy
from .common import tr
from .compute_risk import (
    INCIDENT_FIELDS,
    ComputeRiskAlgorithm,
    _network,
    _refuse_duplicates,
    _times,
)


def read_blocks(source, layer, per_unit: float) -> tuple[pd.DataFrame, np.ndarray]:
    """(block_id, link_id, name, description, from_node, to_node, length_m in true metres;
    2D line geometries), as computerisk reads them."""
    return ComputeRiskAlgorithm._read_blocks(source, layer, per_unit)


def block_network(blocks, per_unit: float, bandwidth, feedback):
    """The blocks' adjacency exactly as computerisk builds it (buildblocks' node ids when the
    layer has them), its connectivity logged when ``bandwidth`` (a units.Distance) smooths."""
    return _network(blocks, per_unit, bandwidth, feedback)


def read_incidents(layers, blocks_crs, context, feedback) -> tuple[pd.DataFrame, np.ndarray]:
    """The joined incident layers as one frame (computerisk's columns) and their points as
    (n, 2) coordinates in ``blocks_crs`` (NaN where a record has no point)."""
    frames, points, ids = [], [], []
    for layer in layers:
        names = layer.fields().names()
        missing = [n for n in INCIDENT_FIELDS if n not in names]
        if missing:
            raise QgsProcessingException(
                tr(
                    "'{layer}' lacks {fields}: give the output of 'Join incidents to blocks'."
                ).format(layer=layer.name(), fields=", ".join(missing))
            )
        optional = [n for n in (schema.INCIDENT_ID, schema.TIME_PRECISION) if n in names]
        arrays = read_source(
            QgsProcessingFeatureSource(layer, context),
            layer,
            INCIDENT_FIELDS + optional,
            points_as_xy=True,
        )
        values = arrays.attributes
        frame = pd.DataFrame(
            {
                schema.BLOCK_ID: as_text(values[schema.BLOCK_ID]),
                schema.SOURCE: as_text(values[schema.SOURCE]),
                schema.TIME_START: _times(values[schema.TIME_START]),
                schema.TIME_END: _times(values[schema.TIME_END]),
                schema.WEIGHT: plain_values(values[schema.WEIGHT]).astype(float),
            }
        )
        if schema.TIME_PRECISION in values:
            frame[schema.TIME_PRECISION] = as_text(values[schema.TIME_PRECISION])
        frames.append(frame)
        ids.append(as_text(values[schema.INCIDENT_ID]) if schema.INCIDENT_ID in values else None)
        xy = _points(arrays)
        points.append(transform_xy(xy, arrays.crs, blocks_crs, context.transformContext()))
        feedback.pushInfo(
            tr("{layer}: {count} joined incidents").format(layer=layer.name(), count=len(arrays))
        )
    _refuse_duplicates([i for i in ids if i is not None])
    incidents = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return incidents, (np.vstack(points) if points else np.zeros((0, 2)))


def _points(arrays) -> np.ndarray:
    """(n, 2) coordinates of a point layer read by the bridge; NaN for a missing point."""
    if arrays.xy is not None:
        return np.asarray(arrays.xy, dtype=float)
    geometries = np.asarray(arrays.geometries, dtype=object)
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    xy = np.full((len(geometries), 2), np.nan)
    if present.any():
        # a multipoint or any other shape stands at its centroid
        xy[present] = shapely.get_coordinates(shapely.centroid(geometries[present]))
    return xy
