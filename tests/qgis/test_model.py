"""Hot Blocking in the graphical modeller: the shipped model, and a model built in the test.

The shipped model (models/hot_blocking_roads_incidents_to_brief.model3, made by
scripts/make_model.py) is loaded by the provider and runs the whole pipeline on the sample
data; its outputs must equal those of the algorithms run one by one. A small model built here
with the public model API runs on hand-made layers with exact expected outputs, saved to a
.model3 and opened again as the modeller does.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
from hb_layers import write_gpkg
from hb_plugin import ALGORITHM_NAMES
from hb_sample import run_sample_pipeline
from osgeo import ogr
from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterString,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QPointF

from tools import sample_pipeline as sample

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = ROOT / "models" / "hot_blocking_roads_incidents_to_brief.model3"
MODEL_ID = "hotblocking:Hot Blocking: roads + incidents to brief"
INPUTS = [
    "ROADS",
    "MAX_LENGTH",
    "EXCLUDE",
    "MAX_DISTANCE",
    "AMBULANCE",
    "AMBULANCE_TIME",
    "AE",
    "AE_TIME",
    "POLICE",
    "POLICE_TIME",
    "POLICE_END_TIME",
    "POLICE_HARM",
    "WINDOWS",
    "BANDWIDTH",
    "TIMEZONE",
    "TITLE",
    "AREA",
    "TOP_N",
    "CONTEXT",
]
OPTIONAL_INPUTS = {"POLICE_END_TIME", "POLICE_HARM", "AREA", "EXCLUDE", "CONTEXT"}
FEWER_SOURCE_MODELS = {
    "hotblocking:Hot Blocking: roads + one incident source to brief",
    "hotblocking:Hot Blocking: roads + two incident sources to brief",
}
# per source: (child id, model input, SOURCE label = words in its output names, sample layer)
SOURCES = [
    ("join_ambulance", "AMBULANCE", "ambulance", "ambulance"),
    ("join_ae", "AE", "A&E", "ae_istv"),
    ("join_police", "POLICE", "police", "police"),
]
# Model outputs are named in words, as the modeller names them: QGIS 3.22 loads a model
# output's layer under the output's name. Output parameter "<step>:<name>" -> file name.
BLOCKS_OUT = "buildblocks:Blocks"
HOT_OUT = "computerisk:Hot blocks"
BRIEF_OUT = "taskingbrief:Tasking brief"


def joined_out(child, label, kind="Joined"):
    return f"{child}:{kind} {label} incidents"


OUTPUTS = {
    BLOCKS_OUT: "blocks.gpkg",
    **{
        joined_out(child, label, kind): f"{kind.lower()}_{key.lower()}.gpkg"
        for child, key, label, _ in SOURCES
        for kind in ("Joined", "Unmatched")
    },
    HOT_OUT: "hot_blocks.gpkg",
    BRIEF_OUT: "brief.pdf",
}
AMBULANCE, AE, POLICE = sample.SOURCES
SAMPLE_INPUTS = {
    "ROADS": sample.layer_uri(sample.ROADS_LAYER),
    "MAX_LENGTH": sample.MAX_LENGTH,
    "MAX_DISTANCE": sample.MAX_DISTANCE,
    "AMBULANCE": sample.layer_uri(AMBULANCE.layer),
    "AMBULANCE_TIME": AMBULANCE.time_field,
    "AE": sample.layer_uri(AE.layer),
    "AE_TIME": AE.time_field,
    "POLICE": sample.layer_uri(POLICE.layer),
    "POLICE_TIME": POLICE.time_field,
    "POLICE_END_TIME": POLICE.end_field,
    "POLICE_HARM": POLICE.weight_field,
    "WINDOWS": sample.WINDOWS,
    "TITLE": "Model brief",
    "AREA": "Sample city centre",
    "TOP_N": 10,
}
RISK_FIELDS = [
    "block_id",
    "window",
    "incidents",
    "n_ambulance",
    "n_a_e",
    "n_police",
    "harm",
    "risk",
    "rank",
    "hot",
    "expected",
    "p_value",
    "q_value",
    "peak",
    "profile",
]


def run(algorithm, parameters):
    import processing

    return processing.run(
        algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
    )


def layer(uri) -> QgsVectorLayer:
    result = QgsVectorLayer(uri, "layer", "ogr")
    assert result.isValid(), uri
    return result


def rows(uri, fields) -> list[tuple]:
    return sorted(tuple(f[name] for name in fields) for f in layer(uri).getFeatures())


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


# --- the shipped model in the toolbox ----------------------------------------------------------


def test_the_model_is_in_the_toolbox_under_the_provider(plugin):
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("hotblocking")
    model = registry.algorithmById(MODEL_ID)
    assert model is not None and isinstance(model, QgsProcessingModelAlgorithm)
    assert MODEL_ID in [a.id() for a in provider.algorithms()]
    assert model.provider().id() == "hotblocking"
    assert (model.name(), model.displayName()) == ("Hot Blocking: roads + incidents to brief",) * 2
    assert (model.group(), model.groupId()) == ("Hot Blocking", "hotblocking")  # one toolbox group
    assert Path(model.sourceFilePath()) == MODEL_FILE
    assert model.shortDescription() and model.shortHelpString()


def test_the_toolbox_copy_has_every_input_and_output_with_help(plugin):
    # The copy the toolbox lists was loaded while the provider registered: its steps must have
    # been resolved (else a model has no outputs until it is run).
    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    names = [p.name() for p in model.parameterDefinitions()]
    assert names[: len(INPUTS)] == INPUTS
    assert sorted(names[len(INPUTS) :]) == sorted(OUTPUTS)
    assert sorted(o.name() for o in model.outputDefinitions()) == sorted(OUTPUTS)
    optional = {
        p.name()
        for p in model.parameterDefinitions()
        if p.flags() & QgsProcessingParameterDefinition.FlagOptional
    }
    assert optional == OPTIONAL_INPUTS
    assert all(p.help() for p in model.parameterDefinitions())
    assert model.parameterDefinition("WINDOWS").defaultValue() == "Fri-Sat 22:00-04:00"
    assert model.parameterDefinition("AMBULANCE_TIME").parentLayerParameterName() == "AMBULANCE"
    assert model.parameterDefinition("POLICE_HARM").parentLayerParameterName() == "POLICE"
    assert model.parameterDefinition("MAX_DISTANCE").parentParameterName() == "ROADS"


def test_the_steps_are_this_providers_algorithms_and_resolve(plugin):
    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert model.canExecute() == (True, "")
    steps = {child_id: child.algorithmId() for child_id, child in model.childAlgorithms().items()}
    assert steps == {
        "buildblocks": "hotblocking:buildblocks",
        "join_ambulance": "hotblocking:joinincidents",
        "join_ae": "hotblocking:joinincidents",
        "join_police": "hotblocking:joinincidents",
        "computerisk": "hotblocking:computerisk",
        "taskingbrief": "hotblocking:taskingbrief",
    }
    for child_id, child in model.childAlgorithms().items():
        assert child.algorithm() is not None, child_id
        assert model.validateChildAlgorithm(child_id) == (True, []), child_id
    labels = {
        c: model.childAlgorithm(c).parameterSources()["SOURCE"][0].staticValue()
        for c, *_ in SOURCES
    }
    assert labels == {c: label for c, _, label, _ in SOURCES}
    incidents = model.childAlgorithm("computerisk").parameterSources()["INCIDENTS"]
    assert [(s.outputChildId(), s.outputName()) for s in incidents] == [
        (c, "OUTPUT") for c, *_ in SOURCES
    ]


def test_refreshing_the_provider_keeps_the_model_whole(plugin):
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    provider.refreshAlgorithms()
    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert sorted(o.name() for o in model.outputDefinitions()) == sorted(OUTPUTS)


def test_the_shipped_file_is_what_make_model_builds(plugin):
    spec = importlib.util.spec_from_file_location("make_model", ROOT / "scripts" / "make_model.py")
    make_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_model)
    built = make_model.all_models()
    assert sorted(built) == sorted(MODEL_FILE.parent.glob("*.model3"))
    for path, model in built.items():
        text = path.read_text(encoding="utf-8")
        assert (
            make_model.model_xml(model) == text
        ), f"{path.name} is stale: run `.venv/bin/python scripts/make_model.py`"
        assert "/tmp" not in text  # no machine paths in the file


def test_every_algorithm_is_visible_in_the_modeller_toolbox_and_batch(plugin):
    provider = QgsApplication.processingRegistry().providerById("hotblocking")
    algorithms = provider.algorithms()
    assert len(algorithms) == len(ALGORITHM_NAMES) + 3  # and the three shipped models
    for algorithm in algorithms:
        # In 3.22's bindings `flags & Flag == 0` is always False (a Flags object never equals
        # an int): test the truth of the masked value instead.
        flags = algorithm.flags()
        assert not flags & QgsProcessingAlgorithm.FlagHideFromModeler, algorithm.id()
        assert not flags & QgsProcessingAlgorithm.FlagHideFromToolbox, algorithm.id()
        assert not flags & QgsProcessingAlgorithm.FlagDeprecated, algorithm.id()
        assert flags & QgsProcessingAlgorithm.FlagSupportsBatch, algorithm.id()


def test_the_modeller_and_toolbox_lists_show_every_algorithm(plugin):
    from qgis.gui import QgsProcessingToolboxModel, QgsProcessingToolboxProxyModel

    wanted = {
        a.id() for a in QgsApplication.processingRegistry().providerById("hotblocking").algorithms()
    }
    for filters in (
        QgsProcessingToolboxProxyModel.FilterModeler,
        QgsProcessingToolboxProxyModel.FilterToolbox,
    ):
        proxy = QgsProcessingToolboxProxyModel(None, QgsApplication.processingRegistry())
        proxy.setFilters(filters)
        shown, stack = set(), [proxy.index(r, 0) for r in range(proxy.rowCount())]
        while stack:
            index = stack.pop()
            algorithm_id = proxy.data(index, QgsProcessingToolboxModel.RoleAlgorithmId)
            if algorithm_id:
                shown.add(algorithm_id)
            stack += [proxy.index(r, 0, index) for r in range(proxy.rowCount(index))]
        assert wanted <= shown, (filters, wanted - shown)


def test_outputs_are_named_in_words_and_the_help_speaks_to_a_qgis_user(plugin):
    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    names = {}
    for child_id, child in model.childAlgorithms().items():
        for name, output in child.modelOutputs().items():
            names.setdefault(child_id, []).append(name)
            assert output.description() == name  # as the modeller makes them
    assert names == {
        "buildblocks": ["Blocks"],
        "join_ambulance": ["Joined ambulance incidents", "Unmatched ambulance incidents"],
        "join_ae": ["Joined A&E incidents", "Unmatched A&E incidents"],
        "join_police": ["Joined police incidents", "Unmatched police incidents"],
        "computerisk": ["Hot blocks"],
        "taskingbrief": ["Tasking brief"],
    }
    help_text = " ".join(str(v) for v in model.helpContent().values()) + model.shortHelpString()
    for developer_words in ("make ", ".venv", "scripts/", "models/", ".model3", "checkout"):
        assert developer_words not in help_text, developer_words
    assert "Copy the model into my models" in help_text


def test_model_outputs_load_under_their_names(plugin, tmp_path, project_layers):
    # As the algorithm dialog runs a model with "Open output file after running": temporary
    # outputs bound to the project, loaded by QGIS's own post-processing.
    from qgis.core import QgsProcessingOutputLayerDefinition

    from processing.gui.Postprocessing import handleAlgorithmResults
    from processing.tools import dataobjects

    model = QgsApplication.processingRegistry().createAlgorithmById(MODEL_ID)
    parameters = {**SAMPLE_INPUTS, "TOP_N": 2, BRIEF_OUT: str(tmp_path / "brief.pdf")}
    for name in OUTPUTS:
        if name != BRIEF_OUT:
            parameters[name] = QgsProcessingOutputLayerDefinition(
                QgsProcessing.TEMPORARY_OUTPUT, project_layers
            )
    feedback = QgsProcessingFeedback()
    context = dataobjects.createContext(feedback)
    results, ok = model.run(parameters, context, feedback)
    assert ok
    assert handleAlgorithmResults(model, context, feedback, False, parameters)
    loaded = sorted(layer.name() for layer in project_layers.mapLayers().values())
    assert loaded == sorted(name.split(":", 1)[1] for name in OUTPUTS if name != BRIEF_OUT)


@pytest.fixture()
def user_models(tmp_path):
    """Processing's models folder pointed at a scratch folder (restored afterwards)."""
    from processing.core.ProcessingConfig import ProcessingConfig
    from processing.modeler.ModelerUtils import ModelerUtils

    saved = ProcessingConfig.getSetting(ModelerUtils.MODELS_FOLDER)
    folder = tmp_path / "my models"
    folder.mkdir()
    ProcessingConfig.setSettingValue(ModelerUtils.MODELS_FOLDER, str(folder))
    yield folder
    ProcessingConfig.setSettingValue(ModelerUtils.MODELS_FOLDER, saved)
    QgsApplication.processingRegistry().providerById("model").refreshAlgorithms()


def shipped_models(plugin):
    """The plugin's processing/shipped_models module, under the name the tests load it by."""
    package = type(plugin).__module__.rsplit(".", 1)[0]
    return importlib.import_module(f"{package}.processing.shipped_models")


def test_the_copy_lands_where_qgis_reads_models_and_is_editable(
    plugin, user_models, qgis_iface, monkeypatch
):
    from qgis.PyQt.QtCore import QSize

    from processing.modeler.ModelerDialog import ModelerDialog

    monkeypatch.setattr(qgis_iface, "iconSize", lambda *a: QSize(24, 24), raising=False)
    from processing.modeler.ModelerUtils import ModelerUtils

    shipped = shipped_models(plugin)
    assert shipped.user_models_folder() == user_models == Path(ModelerUtils.modelsFolders()[0])
    assert shipped.existing_copies() == []
    copies = shipped.copy_to_user_models()
    assert sorted(c.name for c in copies) == sorted(
        p.name for p in MODEL_FILE.parent.glob("*.model3")
    )
    copy = user_models / MODEL_FILE.name
    assert copy in copies and copy.read_bytes() == MODEL_FILE.read_bytes()
    assert sorted(shipped.existing_copies()) == sorted(copies)
    # QGIS's own Models provider lists it, under Models > Hot Blocking, whole and runnable
    mine = QgsApplication.processingRegistry().algorithmById(
        "model:Hot Blocking: roads + incidents to brief"
    )
    assert mine is not None and mine.provider().id() == "model"
    assert mine.group() == "Hot Blocking" and Path(mine.sourceFilePath()) == copy
    assert sorted(o.name() for o in mine.outputDefinitions()) == sorted(OUTPUTS)
    assert mine.canExecute() == (True, "")
    # ... which is what QGIS's "Edit Model…" needs (3.22 offers it for "model" and "project")
    from processing.modeler.EditModelAction import EditModelAction

    action = EditModelAction()
    action.itemData = mine
    assert action.isEnabled()
    dialog = ModelerDialog.create(mine)  # the graphical modeller, opened on the copy
    assert dialog.model().childAlgorithms().keys() == mine.childAlgorithms().keys()
    dialog.setDirty(False)
    dialog.close()


def test_the_default_models_folder_is_the_profiles(plugin, monkeypatch):
    from qgis.core import QgsSettings

    shipped = shipped_models(plugin)
    monkeypatch.setattr(QgsSettings, "value", lambda self, key, default=None, **_: default)
    assert shipped.user_models_folder() == (
        Path(QgsApplication.qgisSettingsDirPath()) / "processing" / "models"
    )


# --- the shipped model on the sample data ------------------------------------------------------


@pytest.fixture(scope="session")
def model_run(plugin, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    outputs = {name: str(out / file) for name, file in OUTPUTS.items()}
    return run(MODEL_ID, {**SAMPLE_INPUTS, **outputs}), outputs


@pytest.fixture(scope="session")
def step_by_step(plugin, tmp_path_factory):
    """The same pipeline with the algorithms run one by one, as scripts/demo.py does."""
    return run_sample_pipeline(tmp_path_factory.mktemp("steps"))["hot"]


def test_the_model_runs_by_id_and_writes_every_output(model_run):
    results, outputs = model_run
    for name, path in outputs.items():
        assert results[name].split("|")[0] == path and Path(path).exists(), name


def test_the_model_makes_the_sample_blocks(model_run, sample_truth):
    results, outputs = model_run
    assert layer(results[BLOCKS_OUT]).featureCount() == sample_truth.blocks
    assert results["CHILD_RESULTS"]["buildblocks"]["BLOCK_COUNT"] == sample_truth.blocks


@pytest.mark.parametrize(("child", "key", "label", "sample_layer"), SOURCES)
def test_every_incident_is_joined_or_unmatched(
    model_run, sample_truth, child, key, label, sample_layer
):
    results, _ = model_run
    joined = layer(results[joined_out(child, label)])
    unmatched = layer(results[joined_out(child, label, "Unmatched")])
    read = sample_truth.read[sample_layer]
    assert joined.featureCount() == sample_truth.joined[sample_layer]
    assert joined.featureCount() + unmatched.featureCount() == read
    counts = results["CHILD_RESULTS"][child]
    assert (counts["READ_COUNT"], counts["MATCHED_COUNT"], counts["UNMATCHED_COUNT"]) == (
        read,
        joined.featureCount(),
        unmatched.featureCount(),
    )
    assert {f["source"] for f in joined.getFeatures()} == {label}
    assert unmatched.featureCount() > 0  # the sample plants bad records in every source


def test_police_ranges_and_harm_reach_the_join(model_run):
    results, _ = model_run
    joined = list(layer(results[joined_out("join_police", "police")]).getFeatures())
    assert any(f["time_end"] != f["time_start"] for f in joined)  # committed_to was used
    assert any(isinstance(f["weight"], float) for f in joined)  # harm_days was used


def test_risk_has_a_row_per_block_per_window_and_equals_the_steps(
    model_run, step_by_step, sample_truth
):
    results, _ = model_run
    risk = results[HOT_OUT]
    assert layer(risk).featureCount() == sample_truth.blocks * 2
    assert {f["window"] for f in layer(risk).getFeatures()} == {"Fri/Sat nights", "Weekday lunch"}
    assert rows(risk, RISK_FIELDS) == rows(step_by_step, RISK_FIELDS)


def test_the_brief_has_a_cover_and_a_page_per_top_block(model_run):
    results, outputs = model_run
    assert pdf_pages(outputs[BRIEF_OUT]) == 11
    assert results["CHILD_RESULTS"]["taskingbrief"]["PAGE_COUNT"] == 11
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", outputs[BRIEF_OUT], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Model brief" in cover and "Sample city centre" in cover and "Fri/Sat nights" in cover


def test_optional_inputs_can_be_left_out(plugin, tmp_path, sample_truth):
    parameters = {
        k: v for k, v in SAMPLE_INPUTS.items() if k not in OPTIONAL_INPUTS | {"WINDOWS", "TITLE"}
    }
    parameters["TOP_N"] = 2
    outputs = {name: str(tmp_path / file) for name, file in OUTPUTS.items()}
    results = run(MODEL_ID, {**parameters, **outputs})
    risk = layer(results[HOT_OUT])
    assert risk.featureCount() == sample_truth.blocks  # the default window only
    assert {f["window"] for f in risk.getFeatures()} == {"Fri-Sat 22:00-04:00"}
    police = list(layer(results[joined_out("join_police", "police")]).getFeatures())
    assert all(f["time_end"] == f["time_start"] for f in police)  # instants
    assert all(not isinstance(f["weight"], float) for f in police)  # no weight: NULL, not 0
    assert pdf_pages(outputs[BRIEF_OUT]) == 3


def test_a_missing_incident_layer_is_refused_before_anything_runs(plugin, tmp_path):
    # A 3.22 model cannot skip a step: each incident layer feeds a join that needs it.
    parameters = {k: v for k, v in SAMPLE_INPUTS.items() if k != "AMBULANCE"}
    outputs = {name: str(tmp_path / file) for name, file in OUTPUTS.items()}
    with pytest.raises(QgsProcessingException, match="AMBULANCE"):
        run(MODEL_ID, {**parameters, **outputs})
    assert not any(tmp_path.iterdir())


# --- a small model built in the test: buildblocks -> joinincidents -> computerisk ---------------

ROADS = [  # 300 m of High St cut into three 100 m blocks; Market Pl is one 100 m block
    ("LINESTRING (0 0, 300 0)", {"link_ref": "L1", "street": "High St"}),
    ("LINESTRING (300 0, 300 100)", {"link_ref": "L2", "street": "Market Pl"}),
]
INCIDENTS = [  # (point, ref, time as text: ISO or UK day-first)
    ("POINT (50 5)", {"ref": "a", "seen": "2025-06-06 23:00"}),  # Fri 23:00 -> L1:1
    ("POINT (60 -3)", {"ref": "b", "seen": "07/06/2025 01:30"}),  # Sat 01:30, Fri's night -> L1:1
    ("POINT (150 1)", {"ref": "c", "seen": "2025-06-13T22:15:00"}),  # Fri 22:15 -> L1:2
    ("POINT (250 10)", {"ref": "d", "seen": "2025-06-07 23:30"}),  # Sat 23:30 -> L1:3
    ("POINT (305 50)", {"ref": "e", "seen": "2025-06-09 12:00"}),  # Mon noon -> L2:1, no window
    ("POINT (150 500)", {"ref": "f", "seen": "2025-06-06 23:00"}),  # 500 m away
    ("POINT (150 2)", {"ref": "g", "seen": None}),  # no time
]


def small_model() -> QgsProcessingModelAlgorithm:
    """Three steps, drawn as the modeller would draw them."""
    model = QgsProcessingModelAlgorithm("Small hot blocks", "Tests", "tests")
    for x, definition in enumerate(
        [
            QgsProcessingParameterFeatureSource("ROADS", "Roads", [QgsProcessing.TypeVectorLine]),
            QgsProcessingParameterFeatureSource(
                "POINTS", "Incidents", [QgsProcessing.TypeVectorPoint]
            ),
            QgsProcessingParameterField("TIME", "Time field", parentLayerParameterName="POINTS"),
            QgsProcessingParameterString("WINDOWS", "Windows", "Fri-Sat 22:00-04:00"),
        ]
    ):
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(150 + 250 * x, 50))
        model.addModelParameter(definition, component)

    source = QgsProcessingModelChildParameterSource

    def step(child_id, algorithm, y, sources, outputs):
        child = QgsProcessingModelChildAlgorithm(f"hotblocking:{algorithm}")
        child.setChildId(child_id)
        child.setDescription(child_id)
        child.setPosition(QPointF(400, y))
        for name, values in sources.items():
            child.addParameterSources(name, values)
        # As the modeller's step dialog does: every other input stored with its default.
        for definition in child.algorithm().parameterDefinitions():
            if not definition.isDestination() and definition.name() not in sources:
                child.addParameterSources(
                    definition.name(), [source.fromStaticValue(definition.defaultValue())]
                )
        model_outputs = {}
        for name, child_output in outputs.items():
            output = QgsProcessingModelOutput(name, name)
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            output.setPosition(QPointF(700, y))
            model_outputs[name] = output
        child.setModelOutputs(model_outputs)
        model.addChildAlgorithm(child)

    step(
        "blocks",
        "buildblocks",
        150,
        {
            "INPUT": [source.fromModelParameter("ROADS")],
            "MAX_LENGTH": [source.fromStaticValue(100)],
            "ID_FIELD": [source.fromStaticValue("link_ref")],
            "NAME_FIELD": [source.fromStaticValue("street")],
        },
        {"BLOCKS": "OUTPUT"},
    )
    step(
        "join",
        "joinincidents",
        300,
        {
            "INCIDENTS": [source.fromModelParameter("POINTS")],
            "SOURCE": [source.fromStaticValue("test")],
            "BLOCKS": [source.fromChildOutput("blocks", "OUTPUT")],
            "MAX_DISTANCE": [source.fromStaticValue(20)],
            "TIME_FIELD": [source.fromModelParameter("TIME")],
        },
        {"JOINED": "OUTPUT", "UNMATCHED": "UNMATCHED"},
    )
    step(
        "risk",
        "computerisk",
        450,
        {
            "BLOCKS": [source.fromChildOutput("blocks", "OUTPUT")],
            "INCIDENTS": [source.fromChildOutput("join", "OUTPUT")],
            "WINDOWS": [source.fromModelParameter("WINDOWS")],
            "HOT_RULE": [source.fromStaticValue(0)],
            "HOT_VALUE": [source.fromStaticValue(1)],
        },
        {"HOT": "OUTPUT"},
    )
    return model


@pytest.fixture()
def small_inputs(tmp_path):
    roads = write_gpkg(
        tmp_path / "in.gpkg",
        "roads",
        ogr.wkbLineString,
        ROADS,
        [("link_ref", "str"), ("street", "str")],
    )
    points = write_gpkg(
        tmp_path / "in.gpkg",
        "incidents",
        ogr.wkbPoint,
        INCIDENTS,
        [("ref", "str"), ("seen", "str")],
    )
    outputs = {
        name: str(tmp_path / f"{name.replace(':', '_')}.gpkg")
        for name in ("blocks:BLOCKS", "join:JOINED", "join:UNMATCHED", "risk:HOT")
    }
    return {"ROADS": roads, "POINTS": points, "TIME": "seen", **outputs}


def check_small_outputs(results):
    assert rows(results["blocks:BLOCKS"], ["block_id", "link_id", "part", "name", "length_m"]) == [
        ("L1:1", "L1", 1, "High St", 100.0),
        ("L1:2", "L1", 2, "High St", 100.0),
        ("L1:3", "L1", 3, "High St", 100.0),
        ("L2:1", "L2", 1, "Market Pl", 100.0),
    ]
    assert rows(results["join:JOINED"], ["ref", "block_id", "source", "incident_id"]) == [
        ("a", "L1:1", "test", "test:1"),
        ("b", "L1:1", "test", "test:2"),
        ("c", "L1:2", "test", "test:3"),
        ("d", "L1:3", "test", "test:4"),
        ("e", "L2:1", "test", "test:5"),
    ]
    assert rows(results["join:UNMATCHED"], ["ref", "reason"]) == [
        ("f", "beyond max distance"),
        ("g", "missing time"),
    ]
    assert rows(results["risk:HOT"], ["block_id", "window", "incidents", "rank", "hot"]) == [
        ("L1:1", "Fri-Sat 22:00-04:00", 2.0, 1, True),
        ("L1:2", "Fri-Sat 22:00-04:00", 1.0, 2, False),  # a tie shares the lower rank
        ("L1:3", "Fri-Sat 22:00-04:00", 1.0, 2, False),
        ("L2:1", "Fri-Sat 22:00-04:00", 0.0, 4, False),
    ]


def test_a_model_built_from_the_algorithms_runs_with_exact_outputs(plugin, small_inputs):
    model = small_model()
    for child_id in model.childAlgorithms():
        assert model.validateChildAlgorithm(child_id) == (True, []), child_id
    check_small_outputs(run(model, small_inputs))


def test_the_small_model_saved_and_opened_again_runs_the_same(plugin, small_inputs, tmp_path):
    path = tmp_path / "small.model3"
    assert small_model().toFile(str(path))
    opened = QgsProcessingModelAlgorithm()
    assert opened.fromFile(str(path))
    results = run(opened, small_inputs)
    check_small_outputs(results)
    assert results["CHILD_RESULTS"]["join"]["READ_COUNT"] == 7
