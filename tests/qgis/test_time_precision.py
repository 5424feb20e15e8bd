"""Each joined incident records how precisely its time is known (issue: month-only data)."""

from __future__ import annotations

from hb_feedback import Log
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import QgsVectorLayer

BLOCKS = [("LINESTRING (0 0, 100 0)", {"block_id": "B1"})]


def _features(uri):
    layer = QgsVectorLayer(uri, "x", "ogr")
    assert layer.isValid(), uri
    return {f["ref"]: f for f in layer.getFeatures()}


def test_precision_of_each_time_form(run, tmp_path):
    blocks = write_gpkg(
        tmp_path / "b.gpkg", "blocks", ogr.wkbLineString, BLOCKS, [("block_id", "str")]
    )
    rows = [  # ref, start text, end text -> precision, start, end
        ("instant", "2025-06-06 23:30", None),
        ("range", "2025-06-06 23:30", "2025-06-07 01:30"),
        ("day", "2025-06-06", None),
        ("days", "2025-06-06", "2025-06-08"),  # through the end's whole day
        ("month", "2018-07", None),
        ("months", "2018-07", "2018-08"),
    ]
    incidents = write_gpkg(
        tmp_path / "i.gpkg",
        "police",
        ogr.wkbPoint,
        [("POINT (50 5)", {"ref": r, "from": s, "to": e}) for r, s, e in rows]
        + [("POINT (nan nan)", {"ref": "nolocation", "from": "2018-07"})],
        [("ref", "str"), ("from", "str"), ("to", "str")],
    )
    result = run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "BLOCKS": blocks,
            "TIME_FIELD": "from",
            "END_TIME_FIELD": "to",
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
    )
    joined = _features(result["OUTPUT"])

    def span(ref):
        f = joined[ref]
        fmt = "yyyy-MM-ddTHH:mm"
        return f["time_precision"], f["time_start"].toString(fmt), f["time_end"].toString(fmt)

    assert span("instant") == ("instant", "2025-06-06T23:30", "2025-06-06T23:30")
    assert span("range") == ("range", "2025-06-06T23:30", "2025-06-07T01:30")
    assert span("day") == ("day", "2025-06-06T00:00", "2025-06-07T00:00")
    assert span("days") == ("day", "2025-06-06T00:00", "2025-06-09T00:00")
    assert span("month") == ("month", "2018-07-01T00:00", "2018-08-01T00:00")
    assert span("months") == ("month", "2018-07-01T00:00", "2018-09-01T00:00")
    assert _features(result["UNMATCHED"])["nolocation"]["reason"] == "no geometry"


def test_no_time_field_means_precision_none(run, tmp_path):
    blocks = write_gpkg(
        tmp_path / "b.gpkg", "blocks", ogr.wkbLineString, BLOCKS, [("block_id", "str")]
    )
    incidents = write_gpkg(
        tmp_path / "i.gpkg",
        "calls",
        ogr.wkbPoint,
        [("POINT (5 5)", {"ref": "a"})],
        [("ref", "str")],
    )
    result = run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "BLOCKS": blocks,
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
    )
    assert _features(result["OUTPUT"])["a"]["time_precision"] == "none"


def test_detected_from_to_pair_is_a_range_and_logged(run, tmp_path):
    blocks = write_gpkg(
        tmp_path / "b.gpkg", "blocks", ogr.wkbLineString, BLOCKS, [("block_id", "str")]
    )
    incidents = write_gpkg(
        tmp_path / "i.gpkg",
        "police",
        ogr.wkbPoint,
        [("POINT (5 5)", {"ref": "a", "committed_from": "2025-06-06 23:00",
                          "committed_to": "2025-06-07 01:00", "reported_date": "2025-06-08 10:00"})],
        [("ref", "str"), ("committed_from", "str"), ("committed_to", "str"), ("reported_date", "str")],
    )  # fmt: skip

    log = Log()
    result = run(
        "joinincidents",
        {
            "INCIDENTS": incidents,
            "BLOCKS": blocks,
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
        feedback=log,
    )
    joined = _features(result["OUTPUT"])["a"]
    assert joined["time_precision"] == "range"
    assert joined["time_end"].toString("yyyy-MM-ddTHH:mm") == "2025-06-07T01:00"
    said = [line for line in log.lines if line.startswith("Time field detected")]
    assert said and "'committed_from' to 'committed_to'" in said[0] and "'reported_date'" in said[0]
