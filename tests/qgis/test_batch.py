"""Every Hot Blocking algorithm (and the shipped model) run as QGIS 3.22's batch mode runs it.

QGIS 3.22's batch dialog (processing/gui/BatchAlgorithmDialog.py, runAlgorithm) does not call
processing.run. For each row it takes the row's values from the table's widgets, checks each
with ``parameterDefinition.checkValueIsAcceptable`` (BatchPanel.parametersForRow), wraps
layer outputs in ``QgsProcessingOutputLayerDefinition``, then calls ``run()`` on ONE algorithm
instance with a NEW context per row (``dataobjects.createContext``); a failed row is logged and
the next row still runs. Layers to load go through ``handleAlgorithmResults``.

Two kinds of test:
- ``batch()`` emulates that loop with values as text, as pasted, filled down or read by
  qgis_process ('100', '0', 'false', a list of paths), and also checks them with
  ``checkParameterValues`` as processing.run would;
- ``dialog_batch()`` drives the real BatchAlgorithmDialog (headless, pytest-qgis's iface).
"""

from __future__ import annotations

import gc
import re
import subprocess
import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsVectorLayer,
)

from tools import sample_pipeline as sample

SAMPLE = sample.SAMPLE
ROADS = sample.layer_uri(sample.ROADS_LAYER)
MODEL_ID = "hotblocking:Hot Blocking: roads + incidents to brief"
TWO_WINDOWS = sample.WINDOWS
SOURCES = [  # layer, label, time field, end field, harm field, as the batch dialog gives them
    (s.layer, s.label, s.time_field, s.end_field or "", s.weight_field or "")
    for s in sample.SOURCES
]


class Recorder(QgsProcessingFeedback):
    """Feedback that keeps the errors reported, as the batch dialog's BatchFeedback does."""

    def __init__(self):
        super().__init__()
        self.errors = []

    def reportError(self, error, fatalError=False):
        self.errors.append(error)
        super().reportError(error, fatalError)


def count(uri) -> int:
    layer = QgsVectorLayer(str(uri), "layer", "ogr")
    assert layer.isValid(), uri
    return layer.featureCount()


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def batch(algorithm_id, rows, project=None):
    """Run ``rows`` as 3.22's batch dialog does; returns [(results, ok, errors)] per row."""
    from processing.gui.Postprocessing import handleAlgorithmResults
    from processing.tools import dataobjects

    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id).create()
    outcomes = []
    for row in rows:
        parameters = {}
        for name, value in row.items():
            definition = algorithm.parameterDefinition(name)
            assert definition is not None, name
            assert definition.checkValueIsAcceptable(value), (name, value)  # parametersForRow
            layer_output = (
                QgsProcessingParameterVectorDestination,
                QgsProcessingParameterFeatureSink,
                QgsProcessingParameterRasterDestination,
            )
            if isinstance(definition, layer_output):
                value = QgsProcessingOutputLayerDefinition(value, project)
            parameters[name] = value
        feedback = Recorder()
        context = dataobjects.createContext(feedback)  # a new context for every row
        assert algorithm.checkParameterValues(parameters, context) == (
            True,
            "",
        )  # as processing.run
        parameters = algorithm.preprocessParameters(parameters)
        results, ok = algorithm.run(parameters, context, feedback)
        if ok:
            handleAlgorithmResults(algorithm, context, feedback, False, parameters)
        outcomes.append((results, ok, feedback.errors))
    return outcomes


@pytest.fixture(scope="module")
def sample_steps(plugin, tmp_path_factory):
    """Blocks, the three joined sources and hot blocks (two windows), as inputs for batches."""
    out = tmp_path_factory.mktemp("batch_inputs")
    ((blocks, ok, _),) = batch(
        "hotblocking:buildblocks",
        [{"INPUT": ROADS, "MAX_LENGTH": "100", "OUTPUT": str(out / "blocks.gpkg")}],
    )
    assert ok
    joined = []
    for layer, label, time_field, end, harm in SOURCES:
        ((result, ok, _),) = batch(
            "hotblocking:joinincidents",
            [
                {
                    "INCIDENTS": f"{SAMPLE}|layername={layer}",
                    "SOURCE": label,
                    "BLOCKS": blocks["OUTPUT"],
                    "MAX_DISTANCE": "50",
                    "TIME_FIELD": time_field,
                    "END_TIME_FIELD": end,
                    "WEIGHT_FIELD": harm,
                    "OUTPUT": str(out / f"joined_{layer}.gpkg"),
                    "UNMATCHED": str(out / f"unmatched_{layer}.gpkg"),
                }
            ],
        )
        assert ok
        joined.append(str(out / f"joined_{layer}.gpkg"))
    ((risk, ok, _),) = batch(
        "hotblocking:computerisk",
        [
            {
                "BLOCKS": blocks["OUTPUT"],
                "INCIDENTS": joined,
                "WINDOWS": TWO_WINDOWS,
                "HOT_RULE": "0",
                "HOT_VALUE": "10",
                "OUTPUT": str(out / "hot_blocks.gpkg"),
            }
        ],
    )
    assert ok
    return {
        "blocks": str(out / "blocks.gpkg"),
        "joined": joined,
        "hot": str(out / "hot_blocks.gpkg"),
    }


# --- values as the batch table passes them ----------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm_id", "name", "value", "acceptable"),
    [
        ("hotblocking:buildblocks", "MAX_LENGTH", "100", True),
        ("hotblocking:buildblocks", "MAX_LENGTH", "0", True),
        ("hotblocking:buildblocks", "MAX_LENGTH", "-5", False),
        ("hotblocking:buildblocks", "MAX_LENGTH", "a hundred", False),
        ("hotblocking:buildblocks", "ID_FIELD", None, True),  # an empty optional field cell
        ("hotblocking:joinincidents", "MAX_DISTANCE", "50.5", True),
        ("hotblocking:joinincidents", "END_TIME_FIELD", "", True),
        ("hotblocking:computerisk", "HOT_RULE", "0", True),
        ("hotblocking:computerisk", "HOT_RULE", "2", True),
        ("hotblocking:computerisk", "HOT_RULE", "3", False),  # three rules: 0, 1, 2
        ("hotblocking:computerisk", "INCIDENTS", ["a.gpkg", "b.gpkg"], True),
        ("hotblocking:computerisk", "USE_HARM", "false", True),
        ("hotblocking:taskingbrief", "TOP_N", "10", True),
        ("hotblocking:taskingbrief", "TOP_N", "0", False),  # at least one block
        ("hotblocking:stylehotblocks", "STYLE", "0", True),
        ("hotblocking:evaluate", "BASELINES", "0,2", True),
        ("hotblocking:evaluate", "BASELINES", "5", False),  # five baselines: 0 to 4
        ("hotblocking:evaluate", "TRAIN_MONTHS", "0", False),
        ("hotblocking:evaluate", "SPLIT_DATE", "2025-10-01", True),
        ("hotblocking:evaluate", "SPLIT_DATE", "", True),  # empty: rolling origins
        ("hotblocking:evaluate", "SEARCH_LEVEL", "150", False),
        (MODEL_ID, "TOP_N", "5", True),
        (MODEL_ID, "MAX_LENGTH", "abc", False),
    ],
)
def test_batch_text_values_are_checked_like_the_batch_table(
    plugin, algorithm_id, name, value, acceptable
):
    algorithm = QgsApplication.processingRegistry().algorithmById(algorithm_id)
    assert algorithm.parameterDefinition(name).checkValueIsAcceptable(value) is acceptable


def test_checkparametervalues_names_the_bad_cell(plugin):
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:computerisk")
    ok, message = algorithm.checkParameterValues(
        {
            "BLOCKS": ROADS,
            "INCIDENTS": [ROADS],
            "WINDOWS": "Fri-Sat 22:00-04:00",
            "HOT_RULE": "7",
            "OUTPUT": "x.gpkg",
        },
        QgsProcessingContext(),
    )
    assert not ok and "HOT_RULE" in message


# --- each algorithm in a batch, one instance, a new context per row ----------------------------


def test_buildblocks_batch_rows_with_text_lengths(plugin, tmp_path, project_layers, sample_truth):
    rows = [
        {"INPUT": ROADS, "MAX_LENGTH": length, "OUTPUT": str(tmp_path / f"blocks_{length}.gpkg")}
        for length in ("100", "50", "0")
    ]
    outcomes = batch("hotblocking:buildblocks", rows, project=project_layers)
    assert [ok for _, ok, _ in outcomes] == [True] * 3
    counts = [results["BLOCK_COUNT"] for results, _, _ in outcomes]
    assert counts[0] == sample_truth.blocks and counts[2] == sample_truth.links  # 0: links whole
    assert counts[1] > counts[0]
    assert [count(tmp_path / f"blocks_{length}.gpkg") for length in ("100", "50", "0")] == counts
    # "Load layers on completion": each row's output is loaded, styled by its post-processor.
    loaded = [
        layer
        for layer in project_layers.mapLayers().values()
        if layer.source().startswith(str(tmp_path))
    ]
    assert len(loaded) == 3
    assert {layer.renderer().symbol().width() for layer in loaded} == {0.35}


def test_joinincidents_batch_one_row_per_source(plugin, sample_steps, tmp_path, sample_truth):
    rows = [
        {
            "INCIDENTS": f"{SAMPLE}|layername={layer}",
            "SOURCE": label,
            "BLOCKS": sample_steps["blocks"],
            "MAX_DISTANCE": "50",
            "TIME_FIELD": time_field,
            "END_TIME_FIELD": end,
            "WEIGHT_FIELD": harm,
            "OUTPUT": str(tmp_path / f"j_{layer}.gpkg"),
            "UNMATCHED": str(tmp_path / f"u_{layer}.gpkg"),
        }
        for layer, label, time_field, end, harm in SOURCES
    ]
    outcomes = batch("hotblocking:joinincidents", rows)
    for (layer, label, *_), (results, ok, errors) in zip(SOURCES, outcomes):
        assert ok, errors
        read = sample_truth.read[layer]
        assert results["READ_COUNT"] == read
        assert results["MATCHED_COUNT"] == sample_truth.joined[layer]
        assert count(tmp_path / f"j_{layer}.gpkg") + count(tmp_path / f"u_{layer}.gpkg") == read
        joined = QgsVectorLayer(str(tmp_path / f"j_{layer}.gpkg"), "j", "ogr")
        assert {f["source"] for f in joined.getFeatures()} == {label}


def test_computerisk_batch_with_a_list_of_paths_and_a_bad_row(
    plugin, sample_steps, tmp_path, sample_truth
):
    base = {
        "BLOCKS": sample_steps["blocks"],
        "INCIDENTS": sample_steps["joined"],
        "HOT_RULE": "0",
        "HOT_VALUE": "10",
        "USE_HARM": "false",
    }
    rows = [
        {**base, "WINDOWS": "Fri-Sat 22:00-04:00", "OUTPUT": str(tmp_path / "one.gpkg")},
        {**base, "WINDOWS": "Fir 22:00-04:00", "OUTPUT": str(tmp_path / "bad.gpkg")},
        {
            **base,
            "WINDOWS": TWO_WINDOWS,
            "HOT_RULE": "2",
            "HOT_VALUE": "0.05",
            "OUTPUT": str(tmp_path / "two.gpkg"),
        },
    ]
    (one, ok1, _), (_, ok2, errors), (two, ok3, _) = batch("hotblocking:computerisk", rows)
    assert (ok1, ok2, ok3) == (True, False, True)  # a bad row fails alone; the next row runs
    assert any('unknown day "Fir" (did you mean Fri?)' in e for e in errors)
    assert not (tmp_path / "bad.gpkg").exists()
    assert count(one["OUTPUT"]) == sample_truth.blocks
    assert count(two["OUTPUT"]) == sample_truth.blocks * 2
    assert one["INCIDENTS_USED"] == two["INCIDENTS_USED"] == sum(sample_truth.joined.values())


def test_taskingbrief_batch_one_brief_per_window(plugin, sample_steps, tmp_path):
    rows = [
        {
            "HOTBLOCKS": sample_steps["hot"],
            "WINDOW": window,
            "TOP_N": top_n,
            "CONTEXT": [sample_steps["blocks"]],
            "OUTPUT": str(tmp_path / f"brief_{top_n}.pdf"),
        }
        for window, top_n in (("Fri/Sat nights", "3"), ("Weekday lunch", "5"))
    ]
    outcomes = batch("hotblocking:taskingbrief", rows)
    assert [(results["PAGE_COUNT"], ok) for results, ok, _ in outcomes] == [(4, True), (6, True)]
    assert [pdf_pages(tmp_path / f"brief_{n}.pdf") for n in (3, 5)] == [4, 6]


def test_stylehotblocks_batch_restyles_each_file(plugin, sample_steps, project_layers):
    rows = [
        {"INPUT": uri, "STYLE": "0", "SAVE_AS_DEFAULT": "false"}
        for uri in (sample_steps["blocks"], sample_steps["hot"], sample_steps["joined"][0])
    ]
    outcomes = batch("hotblocking:stylehotblocks", rows, project=project_layers)
    assert [ok for _, ok, _ in outcomes] == [True] * 3
    ids = [results["OUTPUT"] for results, _, _ in outcomes]
    assert len(set(ids)) == 3  # one layer per row: no state carried between rows


def test_evaluate_batch_a_split_and_rolling_origins(plugin, sample_steps, tmp_path):
    base = {
        "BLOCKS": sample_steps["blocks"],
        "INCIDENTS": sample_steps["joined"],
        "WINDOWS": "Fri-Sat 22:00-04:00",
        "BASELINES": "0,2",
        "CONFIGURATIONS": "defaults:",
    }
    rows = [
        {
            **base,
            "SPLIT_DATE": "2025-10-01",
            "SEARCH_BANDWIDTHS": "0, 100",
            "OUTPUT": str(tmp_path / "split.gpkg"),
            "CHART": str(tmp_path / "split.png"),
            "REPORT": str(tmp_path / "split.pdf"),
        },
        {**base, "SPLIT_DATE": "", "TRAIN_MONTHS": "6", "OUTPUT": str(tmp_path / "rolling.gpkg")},
    ]
    (split, ok1, _), (rolling, ok2, _) = batch("hotblocking:evaluate", rows)
    assert ok1 and ok2
    assert (split["ORIGINS"], rolling["ORIGINS"]) == (1, 6)  # Jul to Dec from 6 months each
    assert split["BEST_METHOD"] in ("defaults", "search: BANDWIDTH=100, HALF_LIFE_DAYS=0")
    assert pdf_pages(split["REPORT"]) == 2 and Path(split["CHART"]).stat().st_size > 10_000
    assert "CHART" not in rolling or not rolling["CHART"]
    assert count(rolling["OUTPUT"]) > count(split["OUTPUT"]) > 0


def test_the_model_in_batch(plugin, tmp_path, sample_truth):
    outputs = [
        d.name()
        for d in QgsApplication.processingRegistry()
        .algorithmById(MODEL_ID)
        .destinationParameterDefinitions()
    ]
    rows = []
    for n, windows in enumerate(("Fri-Sat 22:00-04:00", TWO_WINDOWS)):
        row = {
            "ROADS": ROADS,
            "MAX_LENGTH": "100",
            "MAX_DISTANCE": "50",
            "AMBULANCE": sample.layer_uri("ambulance"),
            "AMBULANCE_TIME": "call_time",
            "AE": sample.layer_uri("ae_istv"),
            "AE_TIME": "assault_datetime",
            "POLICE": sample.layer_uri("police"),
            "POLICE_TIME": "committed_from",
            "POLICE_END_TIME": "committed_to",
            "POLICE_HARM": "",
            "WINDOWS": windows,
            "TITLE": f"Brief {n}",
            "AREA": "",
            "TOP_N": "2",
        }
        for name in outputs:
            extension = "pdf" if name == "taskingbrief:Tasking brief" else "gpkg"
            file_name = name.replace(":", "_").replace(" ", "_").replace("&", "")
            row[name] = str(tmp_path / f"{n}_{file_name}.{extension}")
        rows.append(row)
    outcomes = batch(MODEL_ID, rows)
    for n, (results, ok, errors) in enumerate(outcomes):
        assert ok, errors
        assert count(results["computerisk:Hot blocks"]) == sample_truth.blocks * (n + 1)
        assert (
            count(results["join_police:Joined police incidents"])
            + count(results["join_police:Unmatched police incidents"])
            == sample_truth.read["police"]
        )
        assert pdf_pages(tmp_path / f"{n}_taskingbrief_Tasking_brief.pdf") == 3


# --- the real batch dialog ----------------------------------------------------------------------


def dialog_batch(algorithm_id, rows, load_layers=False):
    """Fill QGIS's own batch dialog with ``rows`` (text values), press Run; returns each row's
    parameters as the dialog passed them, and the dialog's log. ``load_layers``: the dialog's
    "Load layers on completion" box (checked by default in QGIS)."""
    from qgis.PyQt.QtWidgets import QTextEdit

    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from processing.tools import dataobjects

    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    dialog = BatchAlgorithmDialog(algorithm.create())
    panel = dialog.mainWidget()
    panel.checkLoadLayersOnCompletion.setChecked(load_layers)
    context = dataobjects.createContext()
    for row, values in enumerate(rows):
        if row >= panel.batchRowCount():
            panel.addRow()
        for name, value in values.items():
            column = panel.parameter_to_column[name]
            if algorithm.parameterDefinition(name).isDestination():
                panel.tblParameters.cellWidget(row + 1, column).setValue(value)
            else:
                panel.wrappers[row][column].setParameterValue(value, context)
    dialog.runAlgorithm()
    parameters = [panel.parametersForRow(row, None, False)[0] for row in range(len(rows))]
    log = dialog.findChild(QTextEdit, "txtLog").toPlainText()
    # The run's progress task ends through the event loop, which a test does not spin: spin it,
    # or QgsApplication's task manager waits for the task forever when QGIS exits.
    del dialog, panel
    gc.collect()
    deadline = time.monotonic() + 10
    while QgsApplication.taskManager().countActiveTasks() and time.monotonic() < deadline:
        QgsApplication.processEvents()
        time.sleep(0.01)
    assert QgsApplication.taskManager().countActiveTasks() == 0
    return parameters, log


def test_the_batch_dialog_runs_buildblocks_rows(plugin, qgis_iface, tmp_path, sample_truth):
    rows = [
        {"INPUT": ROADS, "MAX_LENGTH": length, "OUTPUT": str(tmp_path / f"b_{length}.gpkg")}
        for length in ("100", "0")
    ]
    parameters, log = dialog_batch("hotblocking:buildblocks", rows)
    assert log.count("correctly executed") == 2 and "failed" not in log
    assert [p["MAX_LENGTH"] for p in parameters] == [100.0, 0.0]  # the widgets' values
    assert [count(tmp_path / f"b_{length}.gpkg") for length in ("100", "0")] == [
        sample_truth.blocks,
        sample_truth.links,
    ]


def test_the_batch_dialog_runs_computerisk_on_a_list_of_layers(
    plugin, qgis_iface, sample_steps, tmp_path, sample_truth
):
    rows = [
        {
            "BLOCKS": sample_steps["blocks"],
            "INCIDENTS": sample_steps["joined"][:k],
            "WINDOWS": "Fri-Sat 22:00-04:00",
            "HOT_RULE": "0",
            "HOT_VALUE": "10",
            "OUTPUT": str(tmp_path / f"risk_{k}.gpkg"),
        }
        for k in (1, 3)
    ]
    parameters, log = dialog_batch("hotblocking:computerisk", rows)
    assert log.count("correctly executed") == 2 and "failed" not in log
    assert [len(p["INCIDENTS"]) for p in parameters] == [1, 3]
    used = []
    for k in (1, 3):
        layer = QgsVectorLayer(str(tmp_path / f"risk_{k}.gpkg"), "r", "ogr")
        assert layer.featureCount() == sample_truth.blocks
        used.append(sum(f["incidents"] for f in layer.getFeatures()))
    assert 0 < used[0] < used[1]


# --- a skipped optional output is no failure --------------------------------------------------


def test_a_skipped_optional_output_is_not_reported_as_a_failed_layer(
    plugin, sample_steps, tmp_path, project_layers
):
    # The batch table passes an empty PROFILES cell (createByDefault=False) as an empty
    # QgsProcessingOutputLayerDefinition bound to the project: it must not become a layer
    # "not correctly generated"; a row that asks for PROFILES still gets it, loaded.
    base = {
        "BLOCKS": sample_steps["blocks"],
        "INCIDENTS": sample_steps["joined"],
        "WINDOWS": "Fri-Sat 22:00-04:00",
        "HOT_RULE": "0",
        "HOT_VALUE": "10",
    }
    rows = [
        {**base, "OUTPUT": str(tmp_path / "skipped.gpkg"), "PROFILES": ""},
        {
            **base,
            "OUTPUT": str(tmp_path / "asked.gpkg"),
            "PROFILES": str(tmp_path / "profiles.gpkg"),
        },
    ]
    (skipped, ok1, errors1), (asked, ok2, errors2) = batch(
        "hotblocking:computerisk", rows, project=project_layers
    )
    assert (ok1, errors1, ok2, errors2) == (True, [], True, [])
    assert "PROFILES" not in skipped and asked["PROFILES"].startswith(str(tmp_path / "profiles"))
    loaded = sorted(
        Path(layer.source().split("|")[0]).name
        for layer in project_layers.mapLayers().values()
        if layer.source().startswith(str(tmp_path))
    )
    assert loaded == ["asked.gpkg", "profiles.gpkg", "skipped.gpkg"]


def test_the_batch_dialog_loading_layers_reports_no_false_failure(
    plugin, qgis_iface, sample_steps, tmp_path, project_layers
):
    rows = [
        {
            "BLOCKS": sample_steps["blocks"],
            "INCIDENTS": sample_steps["joined"][:k],
            "WINDOWS": "Fri-Sat 22:00-04:00",
            "HOT_RULE": "0",
            "HOT_VALUE": "10",
            "OUTPUT": str(tmp_path / f"risk_{k}.gpkg"),
        }
        for k in (1, 3)
    ]
    _, log = dialog_batch("hotblocking:computerisk", rows, load_layers=True)
    assert log.count("correctly executed") == 2 and "failed" not in log
    assert "not correctly generated" not in log
    loaded = [
        layer
        for layer in project_layers.mapLayers().values()
        if layer.source().startswith(str(tmp_path))
    ]
    assert len(loaded) == 2
