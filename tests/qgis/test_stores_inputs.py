"""The algorithms take what the layer shows (finding 5) and read it fast (finding 8).

Run as a user runs them: processing.run with the layer object (unsaved edits, a virtual
field), a sublayer URI, or a "selected features only" source definition.
"""

from __future__ import annotations

import pytest
from hb_feedback import Log
from hb_layers import write_gpkg
from osgeo import ogr, osr
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingFeatureSourceDefinition,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

T = "2025-06-06T23:30:00"
pytestmark = pytest.mark.usefixtures("plugin")


def run(algorithm, parameters, feedback=None, project=None):
    import processing

    context = QgsProcessingContext()
    if project is not None:
        context.setProject(project)
    return processing.run(
        f"hotblocking:{algorithm}", parameters, context=context, feedback=feedback or Log()
    )


@pytest.fixture()
def blocks(tmp_path):
    return write_gpkg(
        tmp_path / "blocks.gpkg",
        "blocks",
        ogr.wkbLineString,
        [
            ("LINESTRING (0 0, 100 0)", {"block_id": "B1"}),
            ("LINESTRING (0 500, 100 500)", {"block_id": "B2"}),
        ],
        [("block_id", "str")],
    )


@pytest.fixture()
def incidents(tmp_path):
    rows = [(f"POINT ({10 * i} 5)", {"ref": f"r{i}", "t": T}) for i in range(1, 6)]
    return write_gpkg(
        tmp_path / "inc.gpkg", "inc", ogr.wkbPoint, rows, [("ref", "str"), ("t", "str")]
    )


def joined(result):
    layer = QgsVectorLayer(result["OUTPUT"], "j", "ogr")
    return {f["ref"]: f["block_id"] for f in layer.getFeatures()}


def join(inc, blocks, tmp_path, feedback=None, project=None, **extra):
    params = {
        "INCIDENTS": inc,
        "SOURCE": "s",
        "BLOCKS": blocks,
        "MAX_DISTANCE": 50,
        "TIME_FIELD": "t",
        "OUTPUT": str(tmp_path / "j.gpkg"),
        "UNMATCHED": str(tmp_path / "u.gpkg"),
    }
    params.update(extra)
    return run("joinincidents", params, feedback, project)


def test_unsaved_edits_are_joined_as_shown(blocks, incidents, tmp_path):
    layer = QgsVectorLayer(incidents, "inc", "ogr")
    assert layer.startEditing()
    layer.deleteFeature(1)  # r1: deleted, must not be joined
    layer.changeGeometry(2, QgsGeometry.fromPointXY(QgsPointXY(50, 505)))  # r2 moved to B2
    added = QgsFeature(layer.fields())
    added.setAttributes([None, "added", T])
    added.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(20, 495)))
    layer.addFeature(added)
    try:
        result = join(layer, blocks, tmp_path)
    finally:
        layer.rollBack()
    assert result["READ_COUNT"] == 5
    assert joined(result) == {"r2": "B2", "r3": "B1", "r4": "B1", "r5": "B1", "added": "B2"}


def test_virtual_time_field_is_read(blocks, incidents, tmp_path):
    layer = QgsVectorLayer(incidents, "inc", "ogr")
    layer.addExpressionField("'2025-06-07T01:00:00'", QgsField("t_virtual", QVariant.String))
    result = join(layer, blocks, tmp_path, TIME_FIELD="t_virtual")
    assert result["MATCHED_COUNT"] == 5  # not "missing time"
    times = {
        f["time_start"].toString("HH:mm") for f in QgsVectorLayer(result["OUTPUT"]).getFeatures()
    }
    assert times == {"01:00"}


def test_sublayer_geometry_type_is_honoured(blocks, tmp_path):
    path = tmp_path / "mixed.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    layer = ds.CreateLayer("mixed", srs, ogr.wkbUnknown)
    for name in ("ref", "t"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for i, wkt in enumerate(
        [
            "POINT (10 5)",
            "POLYGON ((0 0, 10 0, 10 10, 0 0))",
            "POINT (20 5)",
            "LINESTRING (0 1, 5 1)",
        ]
    ):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("ref", f"f{i}")
        feature.SetField("t", T)
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    result = join(f"{path}|layername=mixed|geometrytype=Point", blocks, tmp_path)
    assert result["READ_COUNT"] == 2 and set(joined(result)) == {"f0", "f2"}


def test_selected_features_only_read_in_bulk(blocks, incidents, tmp_path):
    layer = QgsVectorLayer(incidents, "inc", "ogr")
    QgsProject.instance().addMapLayer(layer)
    try:
        layer.selectByIds([2, 4])
        log = Log()
        result = join(
            QgsProcessingFeatureSourceDefinition(layer.id(), True),
            blocks,
            tmp_path,
            feedback=log,
            project=QgsProject.instance(),
        )
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
    assert result["READ_COUNT"] == 2 and set(joined(result)) == {"r2", "r4"}
    route = next(line for line in log.lines if line.startswith("Read route"))
    assert route.startswith("Read route: incidents bulk"), route
