"""hotblocking:buildblocks on small hand-made road layers."""

import math

import pytest
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import QgsVectorLayer

FIELDS = [("identifier", "str"), ("name1", "str"), ("class", "str")]


@pytest.fixture()
def roads(tmp_path):
    return write_gpkg(
        tmp_path / "roads.gpkg",
        "roadlink",
        ogr.wkbLineString,
        [
            (
                "LINESTRING (0 0, 250 0)",
                {"identifier": "L1", "name1": "High St", "class": "A Road"},
            ),
            (
                "LINESTRING (250 0, 250 80)",
                {"identifier": "L2", "name1": "Mill Ln", "class": "Unclassified"},
            ),
            (None, {"identifier": "L3", "name1": "Ghost Rd", "class": "Unclassified"}),
            (
                "LINESTRING (5 5, 5 5)",
                {"identifier": "L4", "name1": "Dot", "class": "Unclassified"},
            ),
            (
                "LINESTRING (0 100, 100 100, 100 300)",
                {"identifier": "L5", "name1": "Bend", "class": "Motorway"},
            ),
        ],
        FIELDS,
    )


def read(uri):
    layer = QgsVectorLayer(uri, "out", "ogr")
    assert layer.isValid()
    return {f["block_id"]: f for f in layer.getFeatures()}


def test_splits_into_equal_parts_with_detected_fields(run, roads, tmp_path):
    result = run(
        "buildblocks", {"INPUT": roads, "MAX_LENGTH": 100, "OUTPUT": str(tmp_path / "b.gpkg")}
    )
    blocks = read(result["OUTPUT"])
    assert sorted(blocks) == ["L1:1", "L1:2", "L1:3", "L2:1", "L5:1", "L5:2", "L5:3"]
    assert blocks["L1:1"]["length_m"] == pytest.approx(250 / 3)
    assert blocks["L1:1"].geometry().asPolyline()[0].x() == 0  # part 1 starts at vertex 1
    assert blocks["L1:3"].geometry().asPolyline()[-1].x() == pytest.approx(250)
    assert blocks["L1:2"]["name"] == "High St" and blocks["L1:2"]["road_class"] == "A Road"
    assert blocks["L1:2"]["link_id"] == "L1" and blocks["L1:2"]["part"] == 2
    assert blocks["L2:1"]["length_m"] == pytest.approx(80)
    assert result["SKIPPED_COUNT"] == 2 and result["LINK_COUNT"] == 5
    assert result["BLOCK_COUNT"] == 7


def test_zero_keeps_links_whole_and_exclude(run, roads, tmp_path):
    result = run(
        "buildblocks",
        {
            "INPUT": roads,
            "MAX_LENGTH": 0,
            "EXCLUDE": "\"class\" = 'Motorway'",
            "OUTPUT": str(tmp_path / "b.gpkg"),
        },
    )
    assert sorted(read(result["OUTPUT"])) == ["L1:1", "L2:1"]
    assert result["EXCLUDED_COUNT"] == 1


def test_multipart_3d_lines_each_part_split(run, tmp_path):
    roads = write_gpkg(
        tmp_path / "mm.gpkg",
        "RoadLink",
        ogr.wkbMultiLineString25D,
        [
            (
                "MULTILINESTRING Z ((0 0 5, 150 0 6), (0 10 1, 50 10 1))",
                {"TOID": "osgb1", "roadName1": "Strand"},
            )
        ],
        [("TOID", "str"), ("roadName1", "str")],
    )
    blocks = read(
        run("buildblocks", {"INPUT": roads, "MAX_LENGTH": 100, "OUTPUT": str(tmp_path / "b.gpkg")})[
            "OUTPUT"
        ]
    )
    assert sorted(blocks) == ["osgb1:1", "osgb1:2", "osgb1:3"]
    assert [blocks[k]["length_m"] for k in sorted(blocks)] == pytest.approx([75, 75, 50])
    assert blocks["osgb1:3"]["name"] == "Strand"


def test_layer_in_degrees_is_reprojected_to_the_national_grid(run, tmp_path):
    roads = write_gpkg(
        tmp_path / "ll.gpkg",
        "roads",
        ogr.wkbLineString,
        [("LINESTRING (-0.13 51.5, -0.12 51.5)", {})],
        epsg=4326,
    )
    result = run("buildblocks", {"INPUT": roads, "OUTPUT": str(tmp_path / "b.gpkg")})
    layer = QgsVectorLayer(result["OUTPUT"], "b", "ogr")
    assert layer.crs().authid() == "EPSG:27700"  # London: the British National Grid
    # independent truth: 0.01 degrees along the parallel at 51.5 N on the WGS 84 ellipsoid,
    # a cos(lat) / sqrt(1 - e2 sin2(lat)) x 0.01 degrees (the geodesic between the two
    # points is shorter by well under a millimetre); default blocks of at most 100 m
    a, f = 6378137.0, 1 / 298.257223563
    lat = math.radians(51.5)
    arc = a * math.cos(lat) / math.sqrt(1 - f * (2 - f) * math.sin(lat) ** 2) * math.radians(0.01)
    lengths = [f["length_m"] for f in layer.getFeatures()]
    assert sum(lengths) == pytest.approx(arc, rel=1e-3) and len(lengths) == 7


def test_empty_layer_gives_empty_output(run, tmp_path):
    roads = write_gpkg(tmp_path / "e.gpkg", "roads", ogr.wkbLineString, [], [("id", "str")])
    result = run(
        "buildblocks", {"INPUT": roads, "MAX_LENGTH": 100, "OUTPUT": str(tmp_path / "b.gpkg")}
    )
    assert result["BLOCK_COUNT"] == 0
    assert QgsVectorLayer(result["OUTPUT"], "b", "ogr").featureCount() == 0
