"""The backtest's inputs as the core wants them: blocks, joined incidents and their points.

The one place hotblocking:evaluate reads layers, through the bridge's typed readers (the
same as computerisk's: same columns, same checks, read as QGIS shows the layers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .bridge import layer_input, read_joined_incidents_with_points
from .bridge import read_blocks as _read_blocks
from .risk_step import block_network as _network


def read_blocks(blocks_input, per_unit: float, tz) -> tuple[pd.DataFrame, np.ndarray]:
    """(block_id, link_id, name, description, from_node, to_node, length_m in true metres;
    2D line geometries), as computerisk reads them."""
    return _read_blocks(blocks_input, per_unit, tz)


def block_network(blocks, per_unit: float, bandwidth, feedback):
    """The blocks' adjacency exactly as computerisk builds it (buildblocks' node ids when the
    layer has them), its connectivity logged when ``bandwidth`` (a units.Distance) smooths."""
    return _network(blocks, per_unit, bandwidth, feedback)


def read_incidents(layers, blocks_crs, context, feedback, tz) -> tuple[pd.DataFrame, np.ndarray]:
    """The joined incident layers as one frame (computerisk's columns) and their points as
    (n, 2) coordinates in ``blocks_crs`` (NaN where a record has no point)."""
    inputs = [layer_input(layer, context) for layer in layers]
    return read_joined_incidents_with_points(
        inputs, blocks_crs, context.transformContext(), feedback, tz
    )
