"""Road networks as they come (issue 11): OS Open Roads (GeoPackage and shapefile), OS
MasterMap Highways RoadLink (3D multi-part, GeoPackage and GML, grade separation), networks in
feet and in Web Mercator, and field detection. Fixtures follow the published schemas
(shared/domain.md); lengths are checked against Vincenty on the ellipsoid (hb_geodesy).
"""

from __future__ import annotations

import re

import pytest
from hb_feedback import Log
from hb_geodesy import line_length, srs, transform
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import (
    QgsProcessingException,
    QgsVectorLayer,
)


def blocks_of(uri):
    layer = QgsVectorLayer(uri, "blocks", "ogr")
    assert layer.isValid(), uri
    return layer, {f["block_id"]: f for f in layer.getFeatures()}


def nodes(features):
    return {n for f in features for n in (f["from_node"], f["to_node"])}


# --- OS Open Roads ----------------------------------------------------------------------------

# A high street, a side road ending on the middle of its first link (the links are not split
# there), a numbered road without a name, and a stale length attribute.
OPEN_ROADS = [
    ("LINESTRING (0 0, 300 0)", "L1", "High Street", "A Road", "A4", "Single Carriageway", 999),
    ("LINESTRING (300 0, 400 0)", "L2", "High Street", "A Road", "A4", "Single Carriageway", 100),
    (
        "LINESTRING (150 0, 150 120)",
        "L3",
        "Mill Lane",
        "Unclassified",
        None,
        "Single Carriageway",
        120,
    ),
    ("LINESTRING (400 0, 400 -200)", "L4", None, "B Road", "B4520", "Single Carriageway", 200),
]


@pytest.fixture(params=["gpkg", "shp"])
def open_roads(request, tmp_path):
    if request.param == "gpkg":
        names = [
            "id",
            "name_1",
            "road_classification",
            "road_classification_number",
            "form_of_way",
            "length",
        ]
        return write_gpkg(
            tmp_path / "oproad.gpkg",
            "road_link",
            ogr.wkbLineString,
            [(wkt, dict(zip(names, values))) for wkt, *values in OPEN_ROADS],
            [(n, "real" if n == "length" else "str") for n in names]
            + [("start_node", "str"), ("end_node", "str")],
        )
    names = ["identifier", "name1", "class", "roadNumber", "formOfWay", "length"]
    path = tmp_path / "RoadLink.shp"
    source = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
    layer = source.CreateLayer("RoadLink", srs(27700), ogr.wkbLineString)
    for n in names + ["startNode", "endNode"]:
        layer.CreateField(ogr.FieldDefn(n, ogr.OFTReal if n == "length" else ogr.OFTString))
    for wkt, *values in OPEN_ROADS:
        feature = ogr.Feature(layer.GetLayerDefn())
        for n, v in zip(names, values):
            if v is not None:
                feature.SetField(n, v)
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    source = None
    return str(path)


def test_open_roads_as_shipped_gives_named_classed_connected_blocks(run, open_roads, tmp_path):
    log = Log()
    result = run("buildblocks", {"INPUT": open_roads, "OUTPUT": str(tmp_path / "b.gpkg")}, log)
    _, blocks = blocks_of(result["OUTPUT"])
    # L1 is cut where Mill Lane ends on it (150), then into blocks of at most 100 m
    assert sorted(blocks) == [
        "L1:1",
        "L1:2",
        "L1:3",
        "L1:4",
        "L2:1",
        "L3:1",
        "L3:2",
        "L4:1",
        "L4:2",
    ]
    assert [blocks[f"L1:{i}"]["length_m"] for i in range(1, 5)] == pytest.approx([75] * 4)
    assert blocks["L1:1"]["name"] == "High Street" and blocks["L1:1"]["road_class"] == "A Road"
    assert blocks["L4:1"]["name"] == "B4520"  # a numbered road without a name
    assert blocks["L3:1"]["description"] == "Mill Lane off High Street"
    assert blocks["L1:1"]["description"] == "High Street off Mill Lane"  # a dead end at 0
    assert blocks["L1:3"]["description"] == "High Street between Mill Lane and B4520"
    assert blocks["L3:1"]["from_node"] in {blocks["L1:2"]["to_node"]}  # the T-junction
    assert (result["COMPONENT_COUNT"], result["ISOLATED_COUNT"], result["JUNCTION_COUNT"]) == (
        1,
        0,
        1,
    )
    assert "Before noding: 2 components" in log.text


# --- OS MasterMap Highways RoadLink -------------------------------------------------------------

# A road at ground level (two links meeting at (100, 0)), a bridge over it at level 1 whose
# two links also meet above (100, 0), and a slip road at level 0 ending on the road's middle.
MASTERMAP = [
    ("MULTILINESTRING Z ((0 0 10, 100 0 10))", "osgb1", "Low Road", "A Road", 0, 0),
    ("MULTILINESTRING Z ((100 0 10, 200 0 11))", "osgb2", "Low Road", "A Road", 0, 0),
    ("MULTILINESTRING Z ((100 -150 12, 100 0 17))", "osgb3", "High Road", "Motorway", 1, 1),
    ("MULTILINESTRING Z ((100 0 17, 100 150 12))", "osgb4", "High Road", "Motorway", 1, 1),
    (
        "MULTILINESTRING Z ((50 0 10, 50 -60 10), (50 -60 10, 80 -90 10))",
        "osgb5",
        "Slip Road",
        "A Road",
        0,
        0,
    ),
]
MM_FIELDS = [
    ("TOID", "str"),
    ("roadName1", "str"),
    ("roadClassification", "str"),
    ("startGradeSeparation", "int"),
    ("endGradeSeparation", "int"),
]


def _mastermap_features(levels=True):
    names = [n for n, _ in MM_FIELDS]
    rows = []
    for wkt, *values in MASTERMAP:
        attributes = dict(zip(names, values))
        if not levels:
            attributes = {k: v for k, v in attributes.items() if "Grade" not in k}
        rows.append((wkt, attributes))
    return rows


def _write_gml(path, features):
    source = ogr.GetDriverByName("GML").CreateDataSource(str(path))
    layer = source.CreateLayer("RoadLink", srs(27700), ogr.wkbMultiLineString25D)
    for name, kind in MM_FIELDS:
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTInteger if kind == "int" else ogr.OFTString))
    for wkt, attributes in features:
        feature = ogr.Feature(layer.GetLayerDefn())
        for key, value in attributes.items():
            feature.SetField(key, value)
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    source = None
    return f"{path}|layername=RoadLink"


@pytest.fixture(params=["gpkg", "gml"])
def mastermap(request, tmp_path):
    if request.param == "gpkg":
        return write_gpkg(
            tmp_path / "hw.gpkg",
            "RoadLink",
            ogr.wkbMultiLineString25D,
            _mastermap_features(),
            MM_FIELDS,
        )
    return _write_gml(tmp_path / "RoadLink.gml", _mastermap_features())


def test_mastermap_grade_separation_keeps_the_bridge_apart(run, mastermap, tmp_path):
    result = run("buildblocks", {"INPUT": mastermap, "OUTPUT": str(tmp_path / "b.gpkg")})
    layer, blocks = blocks_of(result["OUTPUT"])
    assert layer.wkbType() == 2  # plain LineString: Z and parts dropped
    low = [f for k, f in blocks.items() if k.startswith(("osgb1", "osgb2"))]
    high = [f for k, f in blocks.items() if k.startswith(("osgb3", "osgb4"))]
    slip = [f for k, f in blocks.items() if k.startswith("osgb5")]
    assert not nodes(low) & nodes(high)  # the bridge never meets the road below
    assert nodes(slip) & nodes(low)  # same level: the slip road joins the road
    assert result["COMPONENT_COUNT"] == 2 and result["ISOLATED_COUNT"] == 0
    assert {f["name"] for f in high} == {"High Road"}
    assert {f["road_class"] for f in high} == {"Motorway"}
    assert blocks["osgb5:1"]["description"] == "Slip Road off Low Road"
    # 3D lengths are not used: planar lengths of the 2D lines
    assert sum(f["length_m"] for f in slip) == pytest.approx(60 + 30 * 2**0.5)


def test_without_grade_separation_the_same_lines_connect(run, tmp_path):
    roads = write_gpkg(
        tmp_path / "flat.gpkg",
        "RoadLink",
        ogr.wkbMultiLineString25D,
        _mastermap_features(levels=False),
        [f for f in MM_FIELDS if "Grade" not in f[0]],
    )
    result = run("buildblocks", {"INPUT": roads, "OUTPUT": str(tmp_path / "b.gpkg")})
    assert result["COMPONENT_COUNT"] == 1


# --- units: feet and Web Mercator ---------------------------------------------------------------

# Market Street, San Francisco: two points 1.2 km apart, as lon/lat
SF = [(-122.4194, 37.7749), (-122.4075, 37.7833)]


def _line_layer(tmp_path, name, epsg, lonlat_points, fields=()):
    xy = transform(lonlat_points, 4326, epsg)
    wkt = "LINESTRING (" + ", ".join(f"{x!r} {y!r}" for x, y in xy) + ")"
    return write_gpkg(
        tmp_path / f"{name}.gpkg",
        name,
        ogr.wkbLineString,
        [(wkt, dict(fields))],
        list((k, "str") for k, _ in fields),
        epsg=epsg,
    ), xy


def test_feet_network_with_defaults_behaves_like_a_metre_network(run, tmp_path):
    roads, xy = _line_layer(tmp_path, "market_st", 2227, SF, [("name", "Market St")])
    truth = line_length(SF)  # metres on the ellipsoid
    log = Log()
    result = run("buildblocks", {"INPUT": roads, "OUTPUT": str(tmp_path / "b.gpkg")}, log)
    layer, blocks = blocks_of(result["OUTPUT"])
    assert layer.crs().authid() == "EPSG:2227"  # kept: its scale error is tiny here
    lengths = [f["length_m"] for f in blocks.values()]
    assert sum(lengths) == pytest.approx(truth, rel=5e-4)  # true metres, not feet
    assert len(lengths) == int(truth // 100) + 1  # blocks of 100 m, not 100 ft
    assert "328.084 ft (100 m)" in log.text

    # incidents 40 m and 60 m off the street's middle: the 50 m default joins only the first
    mx, my = (xy[0][0] + xy[1][0]) / 2, (xy[0][1] + xy[1][1]) / 2
    dx, dy = xy[1][0] - xy[0][0], xy[1][1] - xy[0][1]
    norm = (dx**2 + dy**2) ** 0.5
    feet = 1 / 0.3048006096  # US survey feet in a metre
    points = [
        (
            f"POINT ({mx - dy / norm * d * feet!r} {my + dx / norm * d * feet!r})",
            {"t": "2025-01-03T23:00:00"},
        )
        for d in (40.0, 60.0)
    ]
    incidents = write_gpkg(
        tmp_path / "inc.gpkg", "inc", ogr.wkbPoint, points, [("t", "str")], epsg=2227
    )
    log = Log()
    joined = run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "BLOCKS": result["OUTPUT"],
            "TIME_FIELD": "t",
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
        log,
    )
    assert (joined["MATCHED_COUNT"], joined["UNMATCHED_COUNT"]) == (1, 1)
    [hit] = QgsVectorLayer(joined["OUTPUT"], "j", "ogr").getFeatures()
    assert hit["snap_dist"] == pytest.approx(40.0, abs=0.05)  # metres
    assert "164.042 ft (50 m)" in log.text

    # risk per km on true kilometres; a bandwidth in the blocks' units (feet), logged in metres
    log = Log()
    risk = run(
        "computerisk",
        {
            "BLOCKS": result["OUTPUT"],
            "INCIDENTS": [joined["OUTPUT"]],
            "WINDOWS": "Fri nights=Fri 22:00-04:00",
            "BANDWIDTH": 656.168,
            "OUTPUT": str(tmp_path / "r.gpkg"),
        },
        log,
    )
    rows = list(QgsVectorLayer(risk["OUTPUT"], "r", "ogr").getFeatures())
    length = {k: f["length_m"] for k, f in blocks.items()}
    assert any(f["risk"] > 0 for f in rows)
    for f in rows:
        assert f["risk_per_km"] == pytest.approx(f["risk"] / (length[f["block_id"]] / 1000))
    assert re.search(r"656\.168 ft \(200(\.0+\d*)? m\)", log.text), log.text


def test_a_metre_default_typed_into_a_feet_layer_is_questioned(run, tmp_path):
    roads, _ = _line_layer(tmp_path, "market_st", 2227, SF)
    log = Log()
    run("buildblocks", {"INPUT": roads, "MAX_LENGTH": 100, "OUTPUT": str(tmp_path / "b.gpkg")}, log)
    assert "Enter 328.08 if you meant metres" in log.text


# Oxford Street, London: lon/lat, stored in Web Mercator
LONDON = [(-0.1520, 51.5136), (-0.1310, 51.5160)]


def test_web_mercator_roads_become_true_metre_blocks_in_the_national_grid(run, tmp_path):
    roads, _ = _line_layer(tmp_path, "oxford_st", 3857, LONDON)
    log = Log()
    result = run("buildblocks", {"INPUT": roads, "OUTPUT": str(tmp_path / "b.gpkg")}, log)
    layer, blocks = blocks_of(result["OUTPUT"])
    assert layer.crs().authid() == "EPSG:27700"
    assert sum(f["length_m"] for f in blocks.values()) == pytest.approx(
        line_length(LONDON), rel=1e-3
    )
    assert "x1.6" in log.text and "EPSG:27700" in log.text


def test_other_tools_refuse_web_mercator_blocks_naming_the_error_and_a_crs(run, tmp_path):
    blocks, xy = _line_layer(tmp_path, "oxford_st", 3857, LONDON, [("block_id", "B1")])
    point = f"POINT ({xy[0][0]!r} {xy[0][1]!r})"
    incidents = write_gpkg(tmp_path / "p.gpkg", "p", ogr.wkbPoint, [(point, {})], epsg=3857)
    with pytest.raises(QgsProcessingException, match=r"x1\.6.*EPSG:27700"):
        run(
            "joinincidents",
            {
                "INCIDENTS": incidents,
                "BLOCKS": blocks,
                "OUTPUT": str(tmp_path / "j.gpkg"),
                "UNMATCHED": str(tmp_path / "u.gpkg"),
            },
        )


def test_degrees_are_refused_with_a_crs_for_the_place(run, tmp_path):
    helsinki = [(24.94, 60.17), (24.95, 60.171)]
    blocks, _ = _line_layer(tmp_path, "helsinki", 4326, helsinki, [("block_id", "B1")])
    incidents = write_gpkg(
        tmp_path / "p.gpkg", "p", ogr.wkbPoint, [("POINT (24.945 60.17)", {})], epsg=4326
    )
    with pytest.raises(QgsProcessingException, match=r"geographic CRS.*EPSG:3067"):
        run(
            "joinincidents",
            {
                "INCIDENTS": incidents,
                "BLOCKS": blocks,
                "OUTPUT": str(tmp_path / "j.gpkg"),
                "UNMATCHED": str(tmp_path / "u.gpkg"),
            },
        )


def test_the_national_grid_far_from_home_is_refused(run, tmp_path):
    helsinki = [(24.94, 60.17), (24.95, 60.171)]
    blocks, xy = _line_layer(tmp_path, "helsinki_bng", 27700, helsinki, [("block_id", "B1")])
    incidents = write_gpkg(
        tmp_path / "p.gpkg", "p", ogr.wkbPoint, [(f"POINT ({xy[0][0]!r} {xy[0][1]!r})", {})]
    )
    with pytest.raises(QgsProcessingException, match=r"x1\.03.*EPSG:3067"):
        run(
            "computerisk",
            {"BLOCKS": blocks, "INCIDENTS": [incidents], "OUTPUT": str(tmp_path / "r.gpkg")},
        )


# --- field detection ------------------------------------------------------------------------


def test_real_and_constant_id_fields(run, tmp_path):
    lines = [("LINESTRING (0 0, 50 0)", {}), ("LINESTRING (50 0, 90 0)", {})]
    real = write_gpkg(
        tmp_path / "real.gpkg",
        "roads",
        ogr.wkbLineString,
        [(w, {"id": v}) for (w, _), v in zip(lines, (17.0, 18.0))],
        [("id", "real")],
    )
    _, blocks = blocks_of(
        run("buildblocks", {"INPUT": real, "OUTPUT": str(tmp_path / "a.gpkg")})["OUTPUT"]
    )
    assert sorted(blocks) == ["17:1", "18:1"]
    zeros = write_gpkg(
        tmp_path / "zero.gpkg",
        "roads",
        ogr.wkbLineString,
        [(w, {"id": 0}) for w, _ in lines],
        [("id", "int")],
    )
    log = Log()
    result = run("buildblocks", {"INPUT": zeros, "OUTPUT": str(tmp_path / "b.gpkg")}, log)
    _, blocks = blocks_of(result["OUTPUT"])
    assert sorted(blocks) == ["1:1", "2:1"]  # GeoPackage feature ids
    assert "feature ids are used instead" in log.text


def test_the_plugins_own_blocks_are_read_back_with_their_class(run, tmp_path):
    roads = write_gpkg(
        tmp_path / "r.gpkg",
        "road_link",
        ogr.wkbLineString,
        [
            (
                "LINESTRING (0 0, 150 0)",
                {"id": "L1", "name_1": "Quay", "road_classification": "B Road"},
            )
        ],
        [("id", "str"), ("name_1", "str"), ("road_classification", "str")],
    )
    first = run("buildblocks", {"INPUT": roads, "OUTPUT": str(tmp_path / "a.gpkg")})
    again = run("buildblocks", {"INPUT": first["OUTPUT"], "OUTPUT": str(tmp_path / "b.gpkg")})
    _, blocks = blocks_of(again["OUTPUT"])
    assert {f["road_class"] for f in blocks.values()} == {"B Road"}
    assert {f["name"] for f in blocks.values()} == {"Quay"}
