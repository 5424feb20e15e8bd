"""OpenStreetMap lines as shipped (hotblocking.osm)."""

import numpy as np

from hotblocking.osm import WAYS_ALONG, is_osm_layer, road_filter, tag_values


def test_recognised_by_fields_or_file():
    assert is_osm_layer(["osm_id", "name", "highway", "other_tags"])
    assert is_osm_layer(["OSM_ID", "fclass", "name"])  # Geofabrik shapefile
    assert is_osm_layer(["id"], "/data/helsinki.osm.pbf|layername=lines")
    assert not is_osm_layer(["id", "name_1", "road_classification"], "/data/roads.gpkg")
    assert not is_osm_layer(["osm_id", "building"])


def test_only_ways_people_walk_or_drive_along_are_kept_and_each_rule_counted():
    highway = np.array(
        [
            "residential",
            None,
            "footway",
            "platform",
            "",
            "Steps",
            "construction",
            "platform",
            "service",
            "pedestrian",
        ],
        dtype=object,
    )
    tags = np.array(
        [
            None,
            '"building"=>"yes"',
            '"footway"=>"sidewalk"',
            None,
            None,
            None,
            None,
            None,
            None,
            '"area"=>"yes","surface"=>"paving_stones"',
        ],
        dtype=object,
    )
    keep, rules = road_filter(highway, tags)
    assert keep.tolist() == [True, False, True, False, False, True, False, False, True, False]
    assert rules == [
        ("no highway tag (buildings, railways, barriers, waterways, ...)", 2),
        ("highway=construction", 1),
        ("highway=platform", 2),
        ("area=yes (outline of a square or car park)", 1),
    ]


def test_the_kept_list_has_no_indoor_or_unbuilt_values():
    assert not {"corridor", "elevator", "platform", "construction", "proposed"} & set(WAYS_ALONG)
    assert {"footway", "steps", "residential", "primary_link", "living_street"} <= set(WAYS_ALONG)


def test_tag_values_from_other_tags():
    tags = np.array(
        ['"bridge"=>"yes","layer"=>"1"', '"layer"=>"-1"', None, '"bridge:name"=>"x"'], object
    )
    assert tag_values(tags, "layer").tolist() == ["1", "-1", None, None]
    assert tag_values(tags, "bridge").tolist() == ["yes", None, None, None]
