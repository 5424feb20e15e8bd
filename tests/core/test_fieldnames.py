"""Road and time field detection (hotblocking.fieldnames)."""

import pytest

from hotblocking.fieldnames import (
    AmbiguousFieldError,
    detect_field,
    detect_time_field,
    looks_like_time_name,
)

OPEN_ROADS_SHP = ["identifier", "class", "roadNumber", "name1", "name1_lang", "formOfWay", "length"]
OPEN_ROADS_GPKG = ["fid", "id", "road_classification", "name_1", "form_of_way", "length"]
MASTERMAP = ["gml_id", "TOID", "identifier", "roadClassification", "roadName1", "formOfWay"]
MASTERMAP_GML = ["gml_id", "roadClassification", "roadName1", "length"]
OSM = ["osm_id", "name", "highway", "oneway"]
GEOFABRIK = ["osm_id", "code", "fclass", "name", "ref"]


@pytest.mark.parametrize(
    "fields, expected",
    [
        (OPEN_ROADS_SHP, ("identifier", "name1", "class")),
        (OPEN_ROADS_GPKG, ("id", "name_1", "road_classification")),
        (MASTERMAP, ("identifier", "roadName1", "roadClassification")),
        (MASTERMAP_GML, ("gml_id", "roadName1", "roadClassification")),
        (OSM, ("osm_id", "name", "highway")),
        (GEOFABRIK, ("osm_id", "name", "fclass")),
    ],
)
def test_products(fields, expected):
    assert tuple(detect_field(fields, role) for role in ("id", "name", "class")) == expected


def test_case_insensitive_returns_actual_name():
    assert detect_field(["TOID", "ROADNAME1", "RoadClassification"], "id") == "TOID"
    assert detect_field(["toid", "roadname1"], "name") == "roadname1"
    assert detect_field(["Identifier", "ID"], "id") == "Identifier"
    assert detect_field(["ROAD_CLASSIFICATION"], "class") == "ROAD_CLASSIFICATION"


def test_priority_order_and_exact_case_first():
    # shapefile identifier beats a GeoPackage id, which beats TOID
    assert detect_field(["toid", "id", "identifier"], "id") == "identifier"
    assert detect_field(["toid", "id"], "id") == "id"
    assert detect_field(["name", "name_1", "name1"], "name") == "name1"
    assert detect_field(["highway", "class"], "class") == "class"
    assert detect_field(["ID", "id"], "id") == "id"


def test_missing_and_unknown_role():
    assert detect_field(["fid", "length"], "id") is None
    assert detect_field([], "name") is None
    with pytest.raises(ValueError, match="role"):
        detect_field(["id"], "speed")


def test_single_datetime_field_wins():
    fields = [("call_id", "text"), ("received", "datetime"), ("call_date", "text")]
    assert detect_time_field(fields) == "received"


def test_single_date_field_when_no_datetime():
    fields = [("offence_date", "date"), ("time_text", "text"), ("n", "other")]
    assert detect_time_field(fields) == "offence_date"


def test_text_field_with_time_name():
    assert detect_time_field([("id", "text"), ("call_time", "text")]) == "call_time"
    assert detect_time_field([("ASSAULT_DATETIME", "text"), ("x", "text")]) == "ASSAULT_DATETIME"
    assert detect_time_field([("Committed_From", "text"), ("place", "text")]) == "Committed_From"
    assert detect_time_field([("IncidentTimestamp", "text")]) == "IncidentTimestamp"


def test_known_name_breaks_a_tie():
    # ISTV: the assault time is the incident time, not the arrival at A&E
    fields = [("arrival_datetime", "datetime"), ("assault_datetime", "datetime")]
    assert detect_time_field(fields) == "assault_datetime"
    fields = [("committed_from", "text"), ("committed_to_date", "text")]
    assert detect_time_field(fields) == "committed_from"
    # among several datetimes, the only time-like name wins
    assert detect_time_field([("created", "datetime"), ("event_time", "datetime")]) == "event_time"


def test_ambiguous_raises_with_candidates():
    with pytest.raises(AmbiguousFieldError) as err:
        detect_time_field([("date", "text"), ("time", "text"), ("notes", "text")])
    assert err.value.candidates == ["date", "time"]
    assert "date, time" in str(err.value)
    with pytest.raises(AmbiguousFieldError) as err:
        detect_time_field([("created", "datetime"), ("edited", "datetime")])
    assert err.value.candidates == ["created", "edited"]
    assert isinstance(err.value, ValueError)


def test_no_time_field():
    assert detect_time_field([]) is None
    assert detect_time_field([("month", "text"), ("crime_type", "text")]) == "month"  # police.uk
    assert detect_time_field([("last_updated", "text"), ("candidate", "text")]) is None
    with pytest.raises(ValueError, match="kind"):
        detect_time_field([("t", "timestamp")])


@pytest.mark.parametrize(
    "name, expected",
    [
        ("time", True),
        ("DATE", True),
        ("call_time", True),
        ("AssaultDateTime", True),
        ("committed_from", True),
        ("timestamp", True),
        ("updated", False),
        ("validated", False),
        ("candidate", False),
        ("Month", True),  # data.police.uk: read as a whole month
        ("name", False),
    ],
)
def test_looks_like_time_name(name, expected):
    assert looks_like_time_name(name) is expected


def test_the_plugins_own_blocks_give_their_class():
    blocks = ["fid", "block_id", "link_id", "part", "name", "description", "road_class"]
    assert detect_field(blocks, "class") == "road_class"
    assert detect_field(blocks, "name") == "name"


@pytest.mark.parametrize(
    "fields, number, levels",
    [
        (OPEN_ROADS_SHP, "roadNumber", (None, None)),
        (
            OPEN_ROADS_GPKG + ["road_classification_number"],
            "road_classification_number",
            (None, None),
        ),
        (
            MASTERMAP + ["roadClassificationNumber", "startGradeSeparation", "endGradeSeparation"],
            "roadClassificationNumber",
            ("startGradeSeparation", "endGradeSeparation"),
        ),
        (GEOFABRIK, "ref", (None, None)),
    ],
)
def test_road_numbers_and_grade_separation(fields, number, levels):
    assert detect_field(fields, "number") == number
    assert (detect_field(fields, "start_level"), detect_field(fields, "end_level")) == levels
