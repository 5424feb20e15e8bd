"""The shipped models for one and two incident sources, and no double count with any model.

A single-source user once had to give one layer as all three of the model's sources, and
every incident counted three times. Now: a model per number of sources, whose counts equal
the steps run one by one; the same layer given as two sources is refused; the models' new
inputs (EXCLUDE, BANDWIDTH, TIMEZONE, CONTEXT, FILTER) reach their steps. Also through
Debian's qgis_process.bin, as a separate process.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hb_json import json_answer
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "hotblocking_sample.gpkg"
POLICE_UK = ROOT / "sample_data" / "police_uk_street.csv"
ONE = "hotblocking:Hot Blocking: roads + one incident source to brief"
TWO = "hotblocking:Hot Blocking: roads + two incident sources to brief"
THREE = "hotblocking:Hot Blocking: roads + incidents to brief"
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Whole period=all"
RISK_FIELDS = ["block_id", "window", "incidents", "events", "risk", "rank", "hot", "peak"]


def uri(layer):
    return f"{SAMPLE}|layername={layer}"


class Errors(QgsProcessingFeedback):
    """A model reports its failing step's message to the feedback, and raises a generic one."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def reportError(self, error, fatal_error=False):  # noqa: N802
        self.lines.append(error)
        super().reportError(error, fatal_error)


def run(algorithm, parameters, feedback=None):
    import processing

    return processing.run(
        algorithm,
        parameters,
        context=QgsProcessingContext(),
        feedback=feedback or QgsProcessingFeedback(),
    )


def outputs_to(model_id, folder: Path) -> dict:
    model = QgsApplication.processingRegistry().algorithmById(model_id)
    assert model is not None, model_id
    return {
        o.name(): str(folder / (o.name().split(":")[1].replace(" ", "_") + ext))
        for o in model.destinationParameterDefinitions()
        for ext in [".pdf" if o.name().startswith("taskingbrief") else ".gpkg"]
    }


def rows(layer_uri, fields):
    layer = QgsVectorLayer(layer_uri, "x", "ogr")
    assert layer.isValid(), layer_uri
    return sorted(tuple(f[n] for n in fields) for f in layer.getFeatures())


def steps(folder: Path, sources: list[dict], **risk) -> dict:
    """The same pipeline run step by step: blocks, one join per source, risk."""
    blocks = run(
        "hotblocking:buildblocks",
        {"INPUT": uri("road_link"), "MAX_LENGTH": 100, "OUTPUT": str(folder / "blocks.gpkg")},
    )["OUTPUT"]
    joined = [
        run(
            "hotblocking:joinincidents",
            {
                "BLOCKS": blocks,
                "MAX_DISTANCE": 50,
                "OUTPUT": str(folder / f"joined_{i}.gpkg"),
                "UNMATCHED": str(folder / f"unmatched_{i}.gpkg"),
                **source,
            },
        )["OUTPUT"]
        for i, source in enumerate(sources)
    ]
    return run(
        "hotblocking:computerisk",
        {
            "BLOCKS": blocks,
            "INCIDENTS": joined,
            "WINDOWS": WINDOWS,
            "HOT_RULE": 0,
            "HOT_VALUE": 10,
            "OUTPUT": str(folder / "hot.gpkg"),
            **risk,
        },
    )


def test_the_models_are_in_the_toolbox(plugin):
    registry = QgsApplication.processingRegistry()
    for model_id, inputs in ((ONE, ["INCIDENTS"]), (TWO, ["INCIDENTS_1", "INCIDENTS_2"])):
        model = registry.algorithmById(model_id)
        assert model is not None and model.provider().id() == "hotblocking"
        names = [p.name() for p in model.parameterDefinitions()]
        for name in inputs + ["EXCLUDE", "BANDWIDTH", "TIMEZONE", "CONTEXT", "WINDOWS"]:
            assert name in names, (model_id, name)
        assert all(p.help() for p in model.parameterDefinitions()), model_id
        assert model.shortHelpString()
        assert model.canExecute() == (True, "")
    three = registry.algorithmById(THREE)
    assert "one incident source" in three.shortHelpString()


def test_one_source_counts_once_as_the_steps_do(plugin, tmp_path):
    results = run(
        ONE,
        {
            "ROADS": uri("road_link"),
            "INCIDENTS": uri("ambulance"),
            "SOURCE": "ambulance",
            "TIME": "call_time",
            "WINDOWS": WINDOWS,
            "TOP_N": 3,
            **outputs_to(ONE, tmp_path),
        },
    )
    risk = results["CHILD_RESULTS"]["computerisk"]
    assert results["CHILD_RESULTS"]["join"]["READ_COUNT"] == 3000
    assert risk["INCIDENTS_USED"] == 2988  # joined once, not three times
    (tmp_path / "steps").mkdir()
    direct = steps(
        tmp_path / "steps",
        [{"INCIDENTS": uri("ambulance"), "SOURCE": "ambulance", "TIME_FIELD": "call_time"}],
    )
    assert direct["INCIDENTS_USED"] == 2988
    assert rows(results["computerisk:Hot blocks"], RISK_FIELDS) == rows(
        direct["OUTPUT"], RISK_FIELDS
    )
    whole = [
        r for r in rows(results["computerisk:Hot blocks"], RISK_FIELDS) if r[1] == "Whole period"
    ]
    assert sum(r[2] for r in whole) == pytest.approx(2988)
    assert Path(results["taskingbrief:Tasking brief"]).stat().st_size > 0


def test_two_sources_count_once_as_the_steps_do(plugin, tmp_path):
    results = run(
        TWO,
        {
            "ROADS": uri("road_link"),
            "INCIDENTS_1": uri("ambulance"),
            "SOURCE_1": "ambulance",
            "TIME_1": "call_time",
            "INCIDENTS_2": uri("police"),
            "SOURCE_2": "police",
            "TIME_2": "committed_from",
            "END_TIME_2": "committed_to",
            "HARM_2": "harm_days",
            "WINDOWS": WINDOWS,
            "TOP_N": 3,
            **outputs_to(TWO, tmp_path),
        },
    )
    (tmp_path / "steps").mkdir()
    direct = steps(
        tmp_path / "steps",
        [
            {"INCIDENTS": uri("ambulance"), "SOURCE": "ambulance", "TIME_FIELD": "call_time"},
            {"INCIDENTS": uri("police"), "SOURCE": "police", "TIME_FIELD": "committed_from",
             "END_TIME_FIELD": "committed_to", "WEIGHT_FIELD": "harm_days"},
        ],
    )  # fmt: skip
    assert results["CHILD_RESULTS"]["computerisk"]["INCIDENTS_USED"] == 2988 + 2490
    fields = RISK_FIELDS + ["n_ambulance", "n_police", "harm"]
    assert rows(results["computerisk:Hot blocks"], fields) == rows(direct["OUTPUT"], fields)


def test_the_same_layer_given_twice_is_refused(plugin, tmp_path):
    errors = Errors()
    with pytest.raises(QgsProcessingException, match="Compute hot-block risk"):
        run(
            TWO,
            {
                "ROADS": uri("road_link"),
                "INCIDENTS_1": uri("ambulance"),
                "SOURCE_1": "ambulance",
                "INCIDENTS_2": uri("ambulance"),
                "SOURCE_2": "A&E",
                "TIME_1": "call_time",
                "TIME_2": "call_time",
                **outputs_to(TWO, tmp_path),
            },
            errors,
        )
    assert any("hold the same incidents (2988 of 2988" in line for line in errors.lines)
    assert not Path(outputs_to(TWO, tmp_path)["computerisk:Hot blocks"]).exists()


def test_the_three_source_model_refuses_one_layer_three_times(plugin, tmp_path):
    layer = uri("ambulance")
    errors = Errors()
    with pytest.raises(QgsProcessingException, match="Compute hot-block risk"):
        run(
            THREE,
            {
                "ROADS": uri("road_link"),
                "AMBULANCE": layer,
                "AMBULANCE_TIME": "call_time",
                "AE": layer,
                "AE_TIME": "call_time",
                "POLICE": layer,
                "POLICE_TIME": "call_time",
                **outputs_to(THREE, tmp_path),
            },
            errors,
        )
    assert any("counted twice" in line for line in errors.lines)


def test_new_inputs_reach_their_steps_on_police_uk_data(plugin, tmp_path):
    police = QgsVectorLayer(
        f"file://{POLICE_UK}?type=csv&delimiter=,&xField=Longitude&yField=Latitude"
        "&crs=EPSG:4326",
        "police_uk",
        "delimitedtext",
    )
    assert police.isValid()
    results = run(
        ONE,
        {
            "ROADS": uri("road_link"),
            "EXCLUDE": "\"road_classification\" = 'A Road'",
            "INCIDENTS": police,
            "SOURCE": "police",
            "TIME": "Month",
            "FILTER": "\"Crime type\" = 'Violence and sexual offences'",
            "WINDOWS": "Whole period=all",
            "BANDWIDTH": 150,
            "TIMEZONE": "Europe/Helsinki",
            "CONTEXT": [uri("road_link")],
            "TOP_N": 3,
            **outputs_to(ONE, tmp_path),
        },
    )
    given, got = results["CHILD_INPUTS"], results["CHILD_RESULTS"]
    assert given["buildblocks"]["EXCLUDE"] == "\"road_classification\" = 'A Road'"
    assert got["buildblocks"]["EXCLUDED_COUNT"] > 0
    assert given["join"]["FILTER"] == "\"Crime type\" = 'Violence and sexual offences'"
    assert got["join"]["FILTERED_OUT_COUNT"] == 1500 and got["join"]["READ_COUNT"] == 2536
    assert {given[s]["TIMEZONE"] for s in ("join", "computerisk", "taskingbrief")} == {
        "Europe/Helsinki"
    }
    assert given["computerisk"]["BANDWIDTH"] == 150
    assert uri("road_link") in str(given["taskingbrief"]["CONTEXT"])
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", results["taskingbrief:Tasking brief"], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Europe/Helsinki" in cover
    # Smoothing spread the risk: more blocks carry risk than carry incidents.
    layer = QgsVectorLayer(results["computerisk:Hot blocks"], "hot", "ogr")
    with_risk = sum(1 for f in layer.getFeatures() if f["risk"] > 0)
    with_incidents = sum(1 for f in layer.getFeatures() if f["incidents"] > 0)
    assert with_risk > with_incidents


def test_one_source_model_through_qgis_process(plugin, tmp_path):
    """Debian's qgis_process.bin in a separate process, with a private profile in which this
    checkout is the enabled plugin (as scripts/hb-process, but not sharing its profile)."""
    profile = tmp_path / "config" / "profiles" / "default"
    (profile / "python" / "plugins").mkdir(parents=True)
    (profile / "QGIS").mkdir()
    (profile / "python" / "plugins" / "hotblocking").symlink_to(ROOT)
    (profile / "QGIS" / "QGIS3.ini").write_text("[PythonPlugins]\nhotblocking=true\n")
    site = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path / "config"),
        "PYTHONPATH": site,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(runtime),
    }
    outputs = outputs_to(ONE, tmp_path)
    command = [
        "/usr/bin/qgis_process.bin",
        "--json",
        "run",
        ONE,
        "--",
        f"ROADS={uri('road_link')}",
        f"INCIDENTS={uri('ambulance')}",
        "SOURCE=ambulance",
        "TIME=call_time",
        f"WINDOWS={WINDOWS}",
        "TOP_N=3",
        *[f"{name}={path}" for name, path in outputs.items()],
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json_answer(done.stdout)["results"]
    hot = rows(results["computerisk:Hot blocks"], RISK_FIELDS)
    assert sum(r[2] for r in hot if r[1] == "Whole period") == pytest.approx(2988)  # once
    assert Path(outputs["taskingbrief:Tasking brief"]).exists()
