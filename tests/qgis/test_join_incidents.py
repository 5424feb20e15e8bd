"""hotblocking:joinincidents on a small hand-made network with known answers."""

import datetime

import pytest
from hb_layers import write_gpkg
from osgeo import ogr, osr
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDateTime

BLOCKS = [
    ("LINESTRING (0 0, 100 0)", {"block_id": "B1"}),
    ("LINESTRING (100 0, 200 0)", {"block_id": "B2"}),
    ("LINESTRING (0 50, 100 50)", {"block_id": "B3"}),
]


@pytest.fixture()
def blocks(tmp_path):
    return write_gpkg(
        tmp_path / "blocks.gpkg", "blocks", ogr.wkbLineString, BLOCKS, [("block_id", "str")]
    )


def incidents_layer(
    tmp_path,
    rows,
    fields=(("ref", "str"), ("t", "datetime")),
    name="ambulance",
    geom=ogr.wkbPoint,
    epsg=27700,
):
    return write_gpkg(tmp_path / f"{name}.gpkg", name, geom, rows, list(fields), epsg=epsg)


def features(uri):
    layer = QgsVectorLayer(uri, "x", "ogr")
    assert layer.isValid(), uri
    return {f["ref"]: f for f in layer.getFeatures()}


def join(run, tmp_path, incidents, blocks, **extra):
    params = {
        "INCIDENTS": incidents,
        "BLOCKS": blocks,
        "MAX_DISTANCE": 50,
        "OUTPUT": str(tmp_path / "joined.gpkg"),
        "UNMATCHED": str(tmp_path / "unmatched.gpkg"),
    }
    params.update(extra)
    result = run("joinincidents", params)
    return result, features(result["OUTPUT"]), features(result["UNMATCHED"])


def test_exact_nearest_ties_and_max_distance(run, tmp_path, blocks):
    t = "2025-06-06T23:30:00"
    incidents = incidents_layer(
        tmp_path,
        [
            ("POINT (50 10)", {"ref": "a", "t": t}),  # B1 at 10
            ("POINT (100 20)", {"ref": "tie", "t": t}),  # B1 and B2 both at 20 -> B1 (first)
            ("POINT (50 30)", {"ref": "c", "t": t}),  # B3 at 20 beats B1 at 30
            ("POINT (150 -50)", {"ref": "edge", "t": t}),  # exactly 50: inclusive
            ("POINT (150 -50.01)", {"ref": "far", "t": t}),
            (None, {"ref": "nogeom", "t": t}),
        ],
    )
    result, joined, unmatched = join(run, tmp_path, incidents, blocks)
    assert {k: f["block_id"] for k, f in joined.items()} == {
        "a": "B1",
        "tie": "B1",
        "c": "B3",
        "edge": "B2",
    }
    assert joined["a"]["snap_dist"] == pytest.approx(10)
    assert joined["tie"]["snap_dist"] == pytest.approx(20)
    assert joined["edge"]["snap_dist"] == pytest.approx(50)
    assert {k: f["reason"] for k, f in unmatched.items()} == {
        "far": "beyond max distance",
        "nogeom": "no geometry",
    }
    assert (
        result["MATCHED_COUNT"] == 4
        and result["UNMATCHED_COUNT"] == 2
        and result["READ_COUNT"] == 6
    )
    assert (
        joined["a"]["incident_id"].startswith("ambulance:") and joined["a"]["source"] == "ambulance"
    )
    assert joined["a"]["time_start"] == QDateTime.fromString(
        "2025-06-06T23:30:00", "yyyy-MM-ddTHH:mm:ss"
    )
    assert joined["a"]["time_end"] == joined["a"]["time_start"]
    assert joined["a"].geometry().asPoint().y() == 10  # original point, not snapped


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-11-21T23:15:00", "2025-11-21T23:15:00"),
        ("2025-11-21 23:15", "2025-11-21T23:15:00"),
        ("21/11/2025 23:15", "2025-11-21T23:15:00"),
        ("21-11-2025 23:15:00", "2025-11-21T23:15:00"),
        ("2025-07-01T12:00:00Z", "2025-07-01T13:00:00"),  # BST: UTC+1
        ("2025-07-01T12:00:00+02:00", "2025-07-01T11:00:00"),
        ("2025-01-01T12:00:00Z", "2025-01-01T12:00:00"),  # GMT
    ],
)
def test_text_time_forms(run, tmp_path, blocks, text, expected):
    incidents = incidents_layer(
        tmp_path,
        [("POINT (50 10)", {"ref": "a", "when": text})],
        fields=[("ref", "str"), ("when", "str")],
        name="ae",
    )
    _, joined, _ = join(run, tmp_path, incidents, blocks, TIME_FIELD="when")
    assert joined["a"]["time_start"].toString("yyyy-MM-ddTHH:mm:ss") == expected


def test_explicit_time_format(run, tmp_path, blocks):
    incidents = incidents_layer(
        tmp_path,
        [("POINT (50 10)", {"ref": "a", "when": "20251121 2315"})],
        fields=[("ref", "str"), ("when", "str")],
        name="ae",
    )
    _, joined, _ = join(
        run, tmp_path, incidents, blocks, TIME_FIELD="when", TIME_FORMAT="%Y%m%d %H%M"
    )
    assert joined["a"]["time_start"].toString("yyyy-MM-ddTHH:mm") == "2025-11-21T23:15"


def test_time_problems_are_rejected_with_reasons(run, tmp_path, blocks):
    future = (datetime.datetime.now() + datetime.timedelta(days=30)).strftime("%d/%m/%Y %H:%M")
    incidents = incidents_layer(
        tmp_path,
        [
            ("POINT (50 10)", {"ref": "ok", "from": "06/06/2025 22:00", "to": "07/06/2025 01:00"}),
            (
                "POINT (50 10)",
                {"ref": "instant", "from": "06/06/2025 22:00", "to": "06/06/2025 22:00"},
            ),
            ("POINT (50 10)", {"ref": "noend", "from": "06/06/2025 22:00", "to": None}),
            (
                "POINT (50 10)",
                {"ref": "reversed", "from": "07/06/2025 01:00", "to": "06/06/2025 22:00"},
            ),
            ("POINT (50 10)", {"ref": "null", "from": None, "to": None}),
            ("POINT (50 10)", {"ref": "junk", "from": "last friday", "to": None}),
            ("POINT (50 10)", {"ref": "future", "from": future, "to": None}),
            ("POINT (50 10)", {"ref": "old", "from": "01/01/1900 00:00", "to": None}),
            ("POINT (50 10)", {"ref": "usdate", "from": "11/21/2025 23:00", "to": None}),
        ],
        fields=[("ref", "str"), ("from", "str"), ("to", "str")],
        name="police",
    )
    result, joined, unmatched = join(
        run, tmp_path, incidents, blocks, TIME_FIELD="from", END_TIME_FIELD="to"
    )
    assert sorted(joined) == ["instant", "noend", "ok"]
    assert joined["ok"]["time_end"].toString("yyyy-MM-ddTHH:mm") == "2025-06-07T01:00"
    assert joined["noend"]["time_end"] == joined["noend"]["time_start"]
    reasons = {k: f["reason"] for k, f in unmatched.items()}
    assert reasons["reversed"] == "end before start"
    assert reasons["null"] == "missing time"
    assert "unreadable" in reasons["junk"] and "last friday" in reasons["junk"]
    assert reasons["future"] == "time in the future"
    assert reasons["old"].startswith("time before 1990")
    assert "unreadable" in reasons["usdate"]
    assert result["MATCHED_COUNT"] + result["UNMATCHED_COUNT"] == result["READ_COUNT"] == 9


def test_latlong_incidents_are_transformed(run, tmp_path):
    blocks = write_gpkg(
        tmp_path / "bng.gpkg",
        "blocks",
        ogr.wkbLineString,
        [("LINESTRING (530000 180000, 530100 180000)", {"block_id": "Strand:1"})],
        [("block_id", "str")],
    )
    lon, lat = _bng_to_lonlat(530050, 180007)
    incidents = incidents_layer(
        tmp_path,
        [(f"POINT ({lon} {lat})", {"ref": "a", "t": "2025-06-06T23:30:00"})],
        name="ll",
        epsg=4326,
    )
    _, joined, _ = join(run, tmp_path, incidents, blocks)
    assert joined["a"]["block_id"] == "Strand:1"
    assert joined["a"]["snap_dist"] == pytest.approx(7, abs=0.01)


def _bng_to_lonlat(x, y):
    """GDAL's osr (QGIS's own PROJ, another API than the plugin's) as the reference."""
    bng, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(bng, wgs84).TransformPoint(x, y)
    return lon, lat


def test_geographic_blocks_refused(run, tmp_path):
    blocks = write_gpkg(
        tmp_path / "llb.gpkg",
        "blocks",
        ogr.wkbLineString,
        [("LINESTRING (-0.1 51.5, -0.09 51.5)", {})],
        epsg=4326,
    )
    incidents = incidents_layer(tmp_path, [("POINT (1 1)", {"ref": "a"})])
    with pytest.raises(QgsProcessingException, match="geographic CRS"):
        join(run, tmp_path, incidents, blocks)


def test_selection_is_honoured_and_source_from_table_name(run, tmp_path, blocks):
    uri = incidents_layer(
        tmp_path,
        [
            ("POINT (50 10)", {"ref": "a", "t": "2025-06-06T23:30:00"}),
            ("POINT (60 10)", {"ref": "b", "t": "2025-06-06T23:30:00"}),
            ("POINT (70 10)", {"ref": "c", "t": "2025-06-06T23:30:00"}),
        ],
        name="ae_istv",
    )
    layer = QgsVectorLayer(uri, "A&E records", "ogr")
    QgsProject.instance().addMapLayer(layer)
    try:
        layer.selectByExpression("\"ref\" IN ('a', 'c')")
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        result = run(
            "joinincidents",
            {
                "INCIDENTS": QgsProcessingFeatureSourceDefinition(layer.id(), True),
                "BLOCKS": blocks,
                "OUTPUT": str(tmp_path / "j.gpkg"),
                "UNMATCHED": str(tmp_path / "u.gpkg"),
            },
            context=context,
        )
        joined = features(result["OUTPUT"])
        assert sorted(joined) == ["a", "c"]
        assert joined["a"]["source"] == "A&E records"  # a project layer: its name
        assert result["READ_COUNT"] == 2
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def test_source_label_from_table_name_when_given_by_path(run, tmp_path, blocks):
    uri = write_gpkg(
        tmp_path / "extract.gpkg",
        "ae_istv",
        ogr.wkbPoint,
        [("POINT (50 10)", {"ref": "a", "t": "2025-06-06T23:30:00"})],
        [("ref", "str"), ("t", "datetime")],
    )
    _, joined, _ = join(run, tmp_path, incidents=uri, blocks=blocks)
    assert joined["a"]["source"] == "ae_istv"
    assert joined["a"]["incident_id"] == "ae_istv:1"


def test_subset_string_is_honoured(run, tmp_path, blocks):
    uri = incidents_layer(
        tmp_path,
        [
            ("POINT (50 10)", {"ref": "a", "t": "2025-06-06T23:30:00"}),
            ("POINT (60 10)", {"ref": "b", "t": "2025-06-06T23:30:00"}),
        ],
    )
    layer = QgsVectorLayer(uri, "amb", "ogr")
    layer.setSubsetString("\"ref\" = 'b'")
    result, joined, _ = join(run, tmp_path, layer, blocks, SOURCE="ambulance")
    assert sorted(joined) == ["b"] and result["READ_COUNT"] == 1


def test_memory_layer_and_weights_and_clashing_names(run, tmp_path, blocks):
    layer = QgsVectorLayer(
        "Point?crs=EPSG:27700&field=ref:string&field=source:string&field=harm:double&field=t:datetime",
        "mem",
        "memory",
    )
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY

    rows = [("a", "999", 182.0), ("b", "999", None), ("c", "999", -1.0)]
    feats = []
    for ref, src, harm in rows:
        f = QgsFeature(layer.fields())
        f.setAttributes(
            [ref, src, harm, QDateTime.fromString("2025-06-06T23:30:00", "yyyy-MM-ddTHH:mm:ss")]
        )
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(50, 10)))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    result, joined, unmatched = join(
        run, tmp_path, layer, blocks, SOURCE="police", WEIGHT_FIELD="harm"
    )
    assert joined["a"]["weight"] == 182.0
    assert (
        joined["b"]["weight"] is None or str(joined["b"]["weight"]) == "NULL"
    )  # missing stays missing
    assert joined["a"]["source"] == "police" and joined["a"]["source_in"] == "999"
    assert unmatched["c"]["reason"] == "negative weight"


def test_empty_incidents(run, tmp_path, blocks):
    incidents = incidents_layer(tmp_path, [])
    result, joined, unmatched = join(run, tmp_path, incidents, blocks)
    assert result["READ_COUNT"] == 0 and joined == {} and unmatched == {}


def test_multipoint_incidents(run, tmp_path, blocks):
    incidents = incidents_layer(
        tmp_path,
        [
            ("MULTIPOINT ((50 10))", {"ref": "single", "t": "2025-06-06T23:30:00"}),
            ("MULTIPOINT ((50 10), (150 10))", {"ref": "two", "t": "2025-06-06T23:30:00"}),
        ],
        geom=ogr.wkbMultiPoint,
        name="multi",
    )
    _, joined, unmatched = join(run, tmp_path, incidents, blocks)
    assert joined["single"]["block_id"] == "B1"
    assert unmatched["two"]["reason"] == "multipoint with 2 distinct points"


def test_swapped_easting_northing_gets_a_clear_hint(run, tmp_path):
    from qgis.core import QgsProcessingFeedback

    blocks = write_gpkg(
        tmp_path / "bng.gpkg",
        "blocks",
        ogr.wkbLineString,
        [
            ("LINESTRING (530000 180000, 530000 181000)", {"block_id": "A:1"}),
            ("LINESTRING (530000 180000, 531000 180000)", {"block_id": "B:1"}),
        ],
        [("block_id", "str")],
    )
    incidents = incidents_layer(
        tmp_path,
        [
            (f"POINT ({180000 + 100 * i} 530005)", {"ref": str(i), "t": "2025-06-06T23:30:00"})
            for i in range(5)
        ],
        name="swapped",
    )

    class Collect(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.errors = []

        def reportError(self, error, fatalError=False):
            self.errors.append(error)

    feedback = Collect()
    result = run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "BLOCKS": blocks,
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
        feedback=feedback,
    )
    assert result["UNMATCHED_COUNT"] == 5
    assert any("swapped" in e for e in feedback.errors), feedback.errors
