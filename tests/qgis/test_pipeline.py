"""hotblocking:pipeline: the one-step run equals the four algorithms run one after the other,
field by field, on the bundled sample; its refusals; its optional outputs; its counts."""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
import subprocess

import pytest
from hb_layers import write_gpkg
from hb_log import Log
from hb_sample import SAMPLE, SOURCES
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

from tools import sample_pipeline as settings

GENERATED = re.compile(r"Generated \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d")
BRIEF = {"WINDOW": settings.BRIEF_WINDOW, "TOP_N": 3, "AREA": "Sample city centre"}


def sample_layer(source) -> QgsVectorLayer:
    """A sample incident layer named by its source label (the pipeline's label)."""
    layer = QgsVectorLayer(f"{SAMPLE}|layername={source.layer}", source.label, "ogr")
    assert layer.isValid()
    return layer


def pipeline_parameters(out, incidents, **more) -> dict:
    return {
        "ROADS": settings.layer_uri(settings.ROADS_LAYER),
        "INCIDENTS": incidents,
        "MAX_LENGTH": settings.MAX_LENGTH,
        "MAX_DISTANCE": settings.MAX_DISTANCE,
        "WINDOWS": settings.WINDOWS,
        "HOT_RULE": settings.HOT_RULE,
        "HOT_VALUE": settings.HOT_VALUE,
        "BLOCKS": str(out / "blocks.gpkg"),
        "OUTPUT": str(out / "hot_blocks.gpkg"),
        "PDF": str(out / "brief.pdf"),
        **BRIEF,
        **more,
    }


def rows(path, table=None, skip=("fid",)) -> tuple[list[str], list[tuple]]:
    with sqlite3.connect(str(path).split("|")[0]) as db:
        if table is None:
            table = db.execute(
                "SELECT table_name FROM gpkg_contents WHERE table_name != 'layer_styles'"
            ).fetchone()[0]
        cursor = db.execute(f'SELECT * FROM "{table}" ORDER BY fid')
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n not in skip]
        return [names[i] for i in keep], [tuple(r[i] for i in keep) for r in cursor.fetchall()]


def assert_same_table(expected, got, what):
    (names_e, rows_e), (names_g, rows_g) = expected, got
    assert names_g == names_e, what
    assert len(rows_g) == len(rows_e), what
    for number, (row_e, row_g) in enumerate(zip(rows_e, rows_g)):
        for name, a, b in zip(names_e, row_e, row_g):
            both_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a)
            assert both_nan or (type(a) is type(b) and a == b), (what, number, name, a, b)


def pdf_text(path) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return GENERATED.sub("Generated (time)", text)


@pytest.fixture(scope="module")
def four_steps(plugin, tmp_path_factory):
    """The sample through buildblocks, joinincidents (x3), computerisk and taskingbrief."""
    from hb_sample import run_alg, run_pipeline

    out = tmp_path_factory.mktemp("four_steps")
    results = run_pipeline(run_alg, out)
    brief = run_alg(
        "hotblocking:taskingbrief",
        {"HOTBLOCKS": results["risk"]["OUTPUT"], "OUTPUT": str(out / "brief.pdf"), **BRIEF},
    )
    return out, results, brief


@pytest.fixture(scope="module")
def one_step(plugin, tmp_path_factory):
    from hb_sample import run_alg

    out = tmp_path_factory.mktemp("one_step")
    parameters = pipeline_parameters(
        out,
        [sample_layer(s) for s in SOURCES],
        WEIGHT_FIELD="harm_days",  # the police layer's, as tools/sample_pipeline.py joins it
        JOINED=str(out / "joined.gpkg"),
        UNMATCHED=str(out / "unmatched.gpkg"),
    )
    return out, run_alg("hotblocking:pipeline", parameters)


def test_blocks_and_hot_blocks_equal_the_four_steps(four_steps, one_step):
    reference, _, _ = four_steps
    out, _ = one_step
    for name in ("blocks.gpkg", "hot_blocks.gpkg"):
        assert_same_table(rows(reference / name), rows(out / name), name)


def test_joined_and_unmatched_equal_the_four_steps_per_source(four_steps, one_step):
    reference, _, _ = four_steps
    out, _ = one_step
    for kind in ("joined", "unmatched"):
        names, stacked = rows(out / f"{kind}.gpkg")
        source_at = names.index("source")
        for source in SOURCES:
            expected_names, expected = rows(reference / f"{kind}_{source.layer}.gpkg")
            mine = [r for r in stacked if r[source_at] == source.label]
            at = [names.index(n) for n in expected_names]  # the layer's own fields, ours
            assert_same_table(
                (expected_names, expected),
                (expected_names, [tuple(r[i] for i in at) for r in mine]),
                f"{kind} {source.label}",
            )
            others = [n for n in names if n not in expected_names]
            assert all(r[names.index(n)] is None for r in mine for n in others)


def test_brief_and_numbers_equal_the_four_steps(four_steps, one_step):
    reference, results, brief = four_steps
    out, got = one_step
    assert pdf_text(out / "brief.pdf") == pdf_text(reference / "brief.pdf")
    assert got["PAGE_COUNT"] == brief["PAGE_COUNT"]
    for key, value in results["blocks"].items():
        if key != "OUTPUT":
            assert got[key] == value, key
    for key, value in results["risk"].items():
        if key not in ("OUTPUT", "PROFILES"):
            assert got[key] == value or (value != value and got[key] != got[key]), key
    joins = results["joins"]
    for key in ("READ_COUNT", "MATCHED_COUNT", "UNMATCHED_COUNT"):
        assert got[key] == sum(j[key] for j in joins), key


def test_counts_account_for_every_record_given(one_step):
    _, got = one_step
    given = sum(sample_layer(s).featureCount() for s in SOURCES)
    assert got["READ_COUNT"] == given == 7500
    assert got["MATCHED_COUNT"] + got["UNMATCHED_COUNT"] == got["READ_COUNT"]
    assert got["MATCHED_COUNT"] == 2988 + 1985 + 2490  # README's sample counts
    with sqlite3.connect(got["UNMATCHED"].split("|")[0]) as db:
        assert (
            db.execute("SELECT count(*) FROM unmatched_incidents").fetchone()[0]
            == (got["UNMATCHED_COUNT"])
        )


def test_optional_outputs_left_out_are_not_written(plugin, tmp_path):
    from hb_sample import run_alg

    layers = [sample_layer(s) for s in SOURCES[:1]]
    got = run_alg("hotblocking:pipeline", pipeline_parameters(tmp_path, layers))
    assert "JOINED" not in got and "UNMATCHED" not in got and "PROFILES" not in got
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "blocks.gpkg",
        "brief.pdf",
        "hot_blocks.gpkg",
    ]
    assert got["READ_COUNT"] == 3000


def test_source_field_labels_each_record(plugin, tmp_path):
    """One layer holding two services: each record's label comes from the field, a blank
    value takes the layer's name; a second layer without the field is labelled by its name."""
    from hb_sample import run_alg
    from osgeo import ogr

    sample = ogr.Open(str(SAMPLE))
    calls = sample.GetLayerByName("ambulance")
    features = [calls.GetNextFeature() for _ in range(8)]  # kept: a geometry is the feature's
    points = [feature.GetGeometryRef().ExportToWkt() for feature in features]
    services = ["ambulance", "police", "", None, "police", "police", " ambulance ", "police"]
    mixed = write_gpkg(
        tmp_path / "mixed.gpkg",
        "mixed",
        ogr.wkbPoint,
        [
            (wkt, {"service": service, "when": "2025-06-06T23:00:00"})
            for wkt, service in zip(points[:6], services)
        ],
        fields=(("service", "str"), ("when", "datetime")),
    )
    other = write_gpkg(
        tmp_path / "other.gpkg",
        "crimes",
        ogr.wkbPoint,
        [(wkt, {"when": "2025-06-07T01:00:00"}) for wkt in points[6:]],
        fields=(("when", "datetime"),),
    )
    out = tmp_path / "out"
    got = run_alg(
        "hotblocking:pipeline",
        pipeline_parameters(
            out,
            [mixed, other],
            SOURCE_FIELD="service",
            WINDOWS="Whole period=all",
            WINDOW="",
            JOINED=str(out / "joined.gpkg"),
        ),
    )
    assert got["READ_COUNT"] == got["MATCHED_COUNT"] == 8
    with sqlite3.connect(out / "joined.gpkg") as db:
        labels = db.execute("SELECT incident_id, source FROM joined_incidents ORDER BY fid")
        assert labels.fetchall() == [
            ("mixed:1", "ambulance"),
            ("mixed:2", "police"),
            ("mixed:3", "mixed"),
            ("mixed:4", "mixed"),
            ("mixed:5", "police"),
            ("mixed:6", "police"),
            ("crimes:1", "crimes"),
            ("crimes:2", "crimes"),
        ]
    with sqlite3.connect(out / "hot_blocks.gpkg") as db:
        totals = db.execute(
            "SELECT sum(n_ambulance), sum(n_police), sum(n_mixed), sum(n_crimes) FROM hot_blocks"
        ).fetchone()
    assert totals == (1.0, 3.0, 2.0, 2.0)


def test_same_layer_twice_is_refused_before_any_work(plugin, tmp_path):
    from hb_sample import run_alg

    uri = f"{SAMPLE}|layername=ambulance"
    with pytest.raises(QgsProcessingException, match="is given twice"):
        run_alg("hotblocking:pipeline", pipeline_parameters(tmp_path, [uri, uri]))
    assert not any(tmp_path.iterdir())


def test_weight_or_source_field_in_no_layer_is_refused(plugin, tmp_path):
    from hb_sample import run_alg

    layers = [sample_layer(SOURCES[0])]
    for key in ("SOURCE_FIELD", "WEIGHT_FIELD"):
        with pytest.raises(QgsProcessingException, match=f"{key}: no incident layer"):
            run_alg("hotblocking:pipeline", pipeline_parameters(tmp_path, layers, **{key: "nope"}))


def test_same_records_through_two_files_are_refused(plugin, tmp_path):
    """A copy of the ambulance layer under another file and table name: refused by content,
    naming both layers, before anything is written."""
    from hb_sample import run_alg

    copy = tmp_path / "copy.gpkg"
    shutil.copy(SAMPLE, copy)
    with sqlite3.connect(copy) as db:
        db.execute("ALTER TABLE ambulance RENAME TO calls")
        db.execute("UPDATE gpkg_contents SET table_name = 'calls' WHERE table_name = 'ambulance'")
        db.execute(
            "UPDATE gpkg_geometry_columns SET table_name = 'calls' WHERE table_name = 'ambulance'"
        )
    out = tmp_path / "out"
    layers = [f"{SAMPLE}|layername=ambulance", f"{copy}|layername=calls"]
    with pytest.raises(QgsProcessingException, match="hold the same records") as raised:
        run_alg("hotblocking:pipeline", pipeline_parameters(out, layers))
    assert "ambulance" in str(raised.value) and "calls" in str(raised.value)
    assert not out.exists() or not any(out.iterdir())


def test_cancel_stops_with_no_output(plugin, tmp_path):
    from hb_sample import run_alg

    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: p > 5 and feedback.cancel())
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        import processing

        processing.run(
            "hotblocking:pipeline",
            pipeline_parameters(tmp_path, [sample_layer(s) for s in SOURCES]),
            context=QgsProcessingContext(),
            feedback=feedback,
        )
    del run_alg
    assert not any(tmp_path.iterdir())


def test_each_layers_time_fields_are_detected_and_logged(plugin, tmp_path):
    import processing

    log = Log()
    processing.run(
        "hotblocking:pipeline",
        pipeline_parameters(tmp_path, [sample_layer(s) for s in SOURCES]),
        context=QgsProcessingContext(),
        feedback=log,
    )
    detected = [line for line in log.lines if line.startswith("Time field detected in")]
    assert len(detected) == 3
    for source, line in zip(SOURCES, detected):
        assert f"'{source.label}'" in line and source.time_field in line
    assert "committed_to" in detected[2]  # police: a from/to range


def test_earliest_date_rejects_older_records(plugin, tmp_path):
    """Records before EARLIEST_DATE are unmatched with that reason; the count is the raw
    table's (SQL on the file)."""
    from hb_sample import run_alg

    got = run_alg(
        "hotblocking:pipeline",
        pipeline_parameters(
            tmp_path,
            [sample_layer(SOURCES[0])],
            EARLIEST_DATE="2025-07-01",
            UNMATCHED=str(tmp_path / "unmatched.gpkg"),
        ),
    )
    with sqlite3.connect(SAMPLE) as db:
        older = db.execute(
            "SELECT count(*) FROM ambulance WHERE call_time < '2025-07-01'"
        ).fetchone()[0]
    with sqlite3.connect(tmp_path / "unmatched.gpkg") as db:
        reasons = db.execute(
            "SELECT count(*) FROM unmatched_incidents WHERE reason LIKE '%time before 2025-07-01%'"
        ).fetchone()[0]
    assert older > 0 and reasons == older
    # Without the date 2988 of 3000 join: the 12 others may be among the older ones.
    assert 2988 - older <= got["MATCHED_COUNT"] <= 3000 - older


def test_unknown_time_zone_is_refused_before_any_work(plugin, tmp_path):
    from hb_sample import run_alg

    with pytest.raises(QgsProcessingException, match="Unknown time zone"):
        run_alg(
            "hotblocking:pipeline",
            pipeline_parameters(tmp_path, [sample_layer(SOURCES[0])], TIMEZONE="Mars/Olympus"),
        )
    assert not any(tmp_path.iterdir())


def test_a_brief_window_not_computed_is_refused_before_any_work(plugin, tmp_path):
    from hb_sample import run_alg

    with pytest.raises(QgsProcessingException, match="Window 'Sunday brunch' is not in"):
        run_alg(
            "hotblocking:pipeline",
            pipeline_parameters(tmp_path, [sample_layer(SOURCES[0])], WINDOW="Sunday brunch"),
        )
    assert not any(tmp_path.iterdir())
