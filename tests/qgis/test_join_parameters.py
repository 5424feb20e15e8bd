"""hotblocking:joinincidents' TIMEZONE, EARLIEST_DATE and FILTER parameters.

Expected values are worked out by hand (time zones) or by brute force over the rows the
test itself wrote (filters), never by the code under test.
"""

from __future__ import annotations

import csv
import random

import pytest
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import (
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

BLOCKS = [
    ("LINESTRING (0 0, 100 0)", {"block_id": "B1"}),
    ("LINESTRING (100 0, 200 0)", {"block_id": "B2"}),
    ("LINESTRING (0 50, 100 50)", {"block_id": "B3"}),
]


class Log(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, text):  # noqa: N802
        self.lines.append(text)
        super().pushInfo(text)


KINDS = ["Violence and sexual offences", "Burglary", "Anti-social behaviour", "Drugs"]


@pytest.fixture()
def blocks(tmp_path):
    return write_gpkg(
        tmp_path / "blocks.gpkg", "blocks", ogr.wkbLineString, BLOCKS, [("block_id", "str")]
    )


def _features(uri):
    layer = QgsVectorLayer(uri, "x", "ogr")
    assert layer.isValid(), uri
    return {f["ref"]: f for f in layer.getFeatures()}


def _join(run, tmp_path, incidents, blocks, context=None, **extra):
    params = {
        "INCIDENTS": incidents,
        "BLOCKS": blocks,
        "MAX_DISTANCE": 50,
        "OUTPUT": str(tmp_path / "joined.gpkg"),
        "UNMATCHED": str(tmp_path / "unmatched.gpkg"),
    }
    params.update(extra)
    result = run("joinincidents", params, context=context)
    return result, _features(result["OUTPUT"]), _features(result["UNMATCHED"])


# ------------------------------------------------------------------------------ time zone


def test_time_zone_moves_a_z_time_into_or_out_of_a_window(run, tmp_path, blocks):
    # 2025-06-06 is a Friday. 21:30Z is 22:30 in London (BST, +1): inside Fri 22:00-04:00;
    # 14:30 in Phoenix (MST all year, -7): outside; 00:30 Saturday in Helsinki (+3): inside.
    incidents = write_gpkg(
        tmp_path / "calls.gpkg",
        "calls",
        ogr.wkbPoint,
        [("POINT (50 10)", {"ref": "z", "t": "2025-06-06T21:30:00Z"})],
        [("ref", "str"), ("t", "str")],
    )
    expected = {
        "Europe/London": ("2025-06-06T22:30:00", 1),
        "America/Phoenix": ("2025-06-06T14:30:00", 0),
        "Europe/Helsinki": ("2025-06-07T00:30:00", 1),
    }
    for zone, (wall_clock, in_window) in expected.items():
        out = tmp_path / zone.replace("/", "_")
        out.mkdir()
        result, joined, _ = _join(
            run,
            out,
            incidents,
            blocks,
            TIME_FIELD="t",
            TIMEZONE=zone,
        )
        start = joined["z"]["time_start"]
        assert start.toString("yyyy-MM-ddTHH:mm:ss") == wall_clock, zone
        risk = run(
            "computerisk",
            {
                "BLOCKS": blocks,
                "INCIDENTS": [result["OUTPUT"]],
                "WINDOWS": "Nights=Fri-Sat 22:00-04:00",
                "TIMEZONE": zone,
                "OUTPUT": str(out / "hot.gpkg"),
            },
        )
        hot = QgsVectorLayer(risk["OUTPUT"], "hot", "ogr")
        counts = {f["block_id"]: f["incidents"] for f in hot.getFeatures()}
        assert counts["B1"] == in_window, zone


def test_unknown_time_zone_is_refused_before_any_work(run, tmp_path, blocks):
    incidents = write_gpkg(
        tmp_path / "calls.gpkg",
        "calls",
        ogr.wkbPoint,
        [("POINT (50 10)", {"ref": "a", "t": "2025-06-06T21:30:00"})],
        [("ref", "str"), ("t", "str")],
    )
    with pytest.raises(QgsProcessingException, match="Unknown time zone 'Mars/Olympus'"):
        _join(run, tmp_path, incidents, blocks, TIMEZONE="Mars/Olympus")
    assert not (tmp_path / "joined.gpkg").exists()


# -------------------------------------------------------------------------- earliest date


@pytest.fixture()
def old_records(tmp_path):
    return write_gpkg(
        tmp_path / "cases.gpkg",
        "cases",
        ogr.wkbPoint,
        [
            ("POINT (50 10)", {"ref": "1975", "t": "1975-03-01T12:00:00"}),
            ("POINT (50 10)", {"ref": "1989", "t": "1989-12-31T23:59:00"}),
            ("POINT (50 10)", {"ref": "1990", "t": "1990-01-01T00:00:00"}),
            ("POINT (50 10)", {"ref": "2020", "t": "2020-05-01T12:00:00"}),
        ],
        [("ref", "str"), ("t", "str")],
    )


def test_default_earliest_date_rejects_before_1990_with_its_reason(
    run, tmp_path, blocks, old_records
):
    result, joined, unmatched = _join(run, tmp_path, old_records, blocks, TIME_FIELD="t")
    assert sorted(joined) == ["1990", "2020"]
    assert {k: f["reason"] for k, f in unmatched.items()} == {
        "1975": "time before 1990-01-01",
        "1989": "time before 1990-01-01",
    }
    assert result["READ_COUNT"] == 4


def test_an_earlier_date_accepts_historic_cases(run, tmp_path, blocks, old_records):
    result, joined, unmatched = _join(
        run, tmp_path, old_records, blocks, TIME_FIELD="t", EARLIEST_DATE="1970-01-01"
    )
    assert sorted(joined) == ["1975", "1989", "1990", "2020"]
    assert unmatched == {}


def test_a_later_date_rejects_more_with_that_date_in_the_reason(run, tmp_path, blocks, old_records):
    _, joined, unmatched = _join(
        run, tmp_path, old_records, blocks, TIME_FIELD="t", EARLIEST_DATE="2000-01-01"
    )
    assert sorted(joined) == ["2020"]
    assert {f["reason"] for f in unmatched.values()} == {"time before 2000-01-01"}


def test_an_unreadable_earliest_date_is_refused(run, tmp_path, blocks, old_records):
    with pytest.raises(QgsProcessingException, match="is not a date: give it as YYYY-MM-DD"):
        _join(run, tmp_path, old_records, blocks, TIME_FIELD="t", EARLIEST_DATE="1/1/1970")


# ---------------------------------------------------------------------------------- filter

FILTER = '"kind" = \'Violence and sexual offences\' AND "n" >= 3'


def _rows(count=600, seed=7):
    """Incident rows: ref, kind, n, x, y, t; some far from every block, some without a time."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        rows.append(
            {
                "ref": f"r{i}",
                "kind": rng.choice(KINDS),
                "n": rng.randint(0, 6),
                "x": round(rng.uniform(-40, 240), 2),
                "y": round(rng.uniform(-90, 140), 2),
                "t": "" if i % 7 == 0 else f"2025-05-{1 + i % 28:02d}T{i % 24:02d}:15:00",
            }
        )
    return rows


def _kept(rows):
    """Brute force: the rows the filter keeps."""
    return {r["ref"] for r in rows if r["kind"] == KINDS[0] and r["n"] >= 3}


def _gpkg(tmp_path, rows):
    return write_gpkg(
        tmp_path / "crimes.gpkg",
        "crimes",
        ogr.wkbPoint,
        [
            (f"POINT ({r['x']} {r['y']})", {k: r[k] for k in ("ref", "kind", "n", "t")})
            for r in rows
        ],
        [("ref", "str"), ("kind", "str"), ("n", "int"), ("t", "str")],
    )


def _csv(tmp_path, rows):
    path = tmp_path / "crimes.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["ref", "kind", "n", "x", "y", "t"])
        writer.writeheader()
        writer.writerows(rows)
    uri = f"file://{path}?delimiter=,&xField=x&yField=y&crs=EPSG:27700"
    layer = QgsVectorLayer(uri, "crimes", "delimitedtext")
    assert layer.isValid() and layer.featureCount() == len(rows)
    return layer


def _memory(rows):
    layer = QgsVectorLayer(
        "Point?crs=EPSG:27700&field=ref:string&field=kind:string&field=n:integer" "&field=t:string",
        "crimes",
        "memory",
    )
    features = []
    for r in rows:
        feature = QgsFeature(layer.fields())
        feature.setAttributes([r["ref"], r["kind"], r["n"], r["t"] or None])
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(r["x"], r["y"])))
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)[0]
    return layer


def _check_counts(result, joined, unmatched, expected, total):
    assert set(joined) | set(unmatched) == expected
    assert not set(joined) & set(unmatched)
    assert result["READ_COUNT"] == len(expected)
    assert result["MATCHED_COUNT"] + result["UNMATCHED_COUNT"] == len(expected)
    assert result["FILTERED_OUT_COUNT"] == total - len(expected)
    assert {f["kind"] for f in joined.values()} <= {KINDS[0]}


@pytest.mark.parametrize("store", ["gpkg", "csv", "memory"])
def test_filter_keeps_exactly_the_brute_force_records(run, tmp_path, blocks, store):
    rows = _rows()
    expected = _kept(rows)
    assert 40 < len(expected) < len(rows) / 4  # a filter that matters
    incidents = {
        "gpkg": lambda: _gpkg(tmp_path, rows),
        "csv": lambda: _csv(tmp_path, rows),
        "memory": lambda: _memory(rows),
    }[store]()
    log = Log()

    params = {
        "INCIDENTS": incidents,
        "BLOCKS": blocks,
        "MAX_DISTANCE": 50,
        "TIME_FIELD": "t",
        "FILTER": FILTER,
        "OUTPUT": str(tmp_path / "joined.gpkg"),
        "UNMATCHED": str(tmp_path / "unmatched.gpkg"),
    }
    result = run("joinincidents", params, feedback=log)
    joined, unmatched = _features(result["OUTPUT"]), _features(result["UNMATCHED"])
    _check_counts(result, joined, unmatched, expected, len(rows))
    left_out = len(rows) - len(expected)
    assert any(f"{len(expected)} incidents kept, {left_out} left out" in m for m in log.lines)
    # Unmatched reasons are still given to filtered records (far ones, missing times).
    reasons = " ".join(f["reason"] for f in unmatched.values())
    assert "beyond max distance" in reasons and "missing time" in reasons


def test_filter_on_a_selection_with_unsaved_edits_and_a_virtual_field(run, tmp_path, blocks):
    rows = _rows(300, seed=11)
    layer = _memory(rows)
    QgsProject.instance().addMapLayer(layer)
    try:
        # Unsaved edits: one kept record changes kind, one other becomes a violence record.
        layer.startEditing()
        by_ref = {f["ref"]: f for f in layer.getFeatures()}
        expected_rows = {r["ref"]: dict(r) for r in rows}
        kept = sorted(_kept(rows))
        dropped = next(r["ref"] for r in rows if r["ref"] not in kept and r["n"] >= 3)
        kind_index = layer.fields().indexOf("kind")
        layer.changeAttributeValue(by_ref[kept[0]].id(), kind_index, "Burglary")
        layer.changeAttributeValue(by_ref[dropped].id(), kind_index, KINDS[0])
        expected_rows[kept[0]]["kind"] = "Burglary"
        expected_rows[dropped]["kind"] = KINDS[0]
        # A virtual field used by the filter: twice n.
        layer.addExpressionField('"n" * 2', QgsField("double_n", QVariant.Int))
        # Select half the layer.
        selected_refs = {r["ref"] for r in rows[::2]} | {dropped}
        layer.selectByIds([by_ref[ref].id() for ref in selected_refs])
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        result, joined, unmatched = _join(
            run,
            tmp_path,
            QgsProcessingFeatureSourceDefinition(layer.id(), True),
            blocks,
            context=context,
            TIME_FIELD="t",
            FILTER='"kind" = \'Violence and sexual offences\' AND "double_n" >= 6',
        )
        expected = _kept([expected_rows[ref] for ref in selected_refs])
        assert dropped in expected
        _check_counts(result, joined, unmatched, expected, len(selected_refs))
    finally:
        layer.rollBack()
        QgsProject.instance().removeMapLayer(layer.id())


def test_filter_with_a_geometry_function(run, tmp_path, blocks):
    rows = _rows(200, seed=3)
    expected = {r["ref"] for r in rows if r["x"] < 100}
    result, joined, unmatched = _join(
        run, tmp_path, _gpkg(tmp_path, rows), blocks, TIME_FIELD="t", FILTER="$x < 100"
    )
    _check_counts_any_kind(result, joined, unmatched, expected, len(rows))


def _check_counts_any_kind(result, joined, unmatched, expected, total):
    assert set(joined) | set(unmatched) == expected
    assert result["READ_COUNT"] == len(expected)
    assert result["FILTERED_OUT_COUNT"] == total - len(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('"kind" = ', "cannot be read"),
        ('"no_such_field" = 1', "cannot be used on this layer"),
    ],
)
def test_a_broken_filter_is_refused_clearly(run, tmp_path, blocks, expression, message):
    with pytest.raises(QgsProcessingException, match=message):
        _join(run, tmp_path, _gpkg(tmp_path, _rows(20)), blocks, FILTER=expression)


def test_filter_with_a_layer_filter_and_a_selection_read_in_bulk(run, tmp_path, blocks):
    # A GeoPackage layer is read in bulk through GDAL: its own filter goes into the SQL, the
    # selection and FILTER cut the ids read. All three must hold.
    rows = _rows(400, seed=5)
    layer = QgsVectorLayer(_gpkg(tmp_path, rows), "crimes", "ogr")
    assert layer.isValid() and layer.setSubsetString('"n" <= 5')
    QgsProject.instance().addMapLayer(layer)
    try:
        by_ref = {f["ref"]: f.id() for f in layer.getFeatures()}
        selected = {r["ref"] for r in rows[::3] if r["ref"] in by_ref}
        layer.selectByIds([by_ref[ref] for ref in selected])
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        log = Log()
        result = run(
            "joinincidents",
            {
                "INCIDENTS": QgsProcessingFeatureSourceDefinition(layer.id(), True),
                "BLOCKS": blocks,
                "MAX_DISTANCE": 50,
                "TIME_FIELD": "t",
                "FILTER": FILTER,
                "OUTPUT": str(tmp_path / "joined.gpkg"),
                "UNMATCHED": str(tmp_path / "unmatched.gpkg"),
            },
            feedback=log,
            context=context,
        )
        assert any("bulk through GDAL" in line for line in log.lines)
        shown = [r for r in rows if r["ref"] in selected and r["n"] <= 5]
        expected = _kept(shown)
        assert 5 < len(expected) < len(shown)
        joined, unmatched = _features(result["OUTPUT"]), _features(result["UNMATCHED"])
        _check_counts(result, joined, unmatched, expected, len(shown))
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
