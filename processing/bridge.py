"""The one place where QGIS layers become arrays and arrays become outputs.

Algorithms, the dock and the benchmarks import from here only. Behind it:

* :mod:`.readers` and :mod:`.bulk_read`: an input read exactly as QGIS shows it (filters,
  selections, unsaved edits, virtual fields, time zones), in bulk through GDAL where that is
  provably the same as QGIS's own iteration;
* :mod:`.tables`: the typed readers of Hot Blocking's own layers (blocks, joined incidents,
  hot blocks);
* :mod:`.destinations` and :mod:`.writers`: every vector destination QGIS offers, checked
  before any work and written in bulk;
* :mod:`.transforms`: reprojection by QGIS's own transform, in bulk.
"""

from .destinations import Destination, DestinationError, OutputSpec
from .gpkg_writer import Column, geometry_type_of
from .readers import (
    KINDS,
    InputLayer,
    LayerArrays,
    as_text,
    field_kind,
    input_layer,
    layer_input,
    plain_values,
    read_layer,
    table_name,
)
from .tables import (
    read_blocks,
    read_hot_blocks,
    read_joined_incidents,
    read_joined_incidents_with_points,
    read_times,
)
from .transforms import transform_geometries, transform_xy
from .writers import SHAPEFILE_NAMES, frame_columns, write_output

__all__ = [
    "KINDS",
    "SHAPEFILE_NAMES",
    "Column",
    "Destination",
    "DestinationError",
    "InputLayer",
    "LayerArrays",
    "OutputSpec",
    "as_text",
    "field_kind",
    "frame_columns",
    "geometry_type_of",
    "input_layer",
    "layer_input",
    "plain_values",
    "read_blocks",
    "read_hot_blocks",
    "read_joined_incidents",
    "read_joined_incidents_with_points",
    "read_layer",
    "read_times",
    "table_name",
    "transform_geometries",
    "transform_xy",
    "write_output",
]
