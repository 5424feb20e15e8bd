"""The desktop UI: the hour-of-week chart, the Hot block explorer dock, and the plugin's
toolbar action (initGui/unload with pytest-qgis's ``qgis_iface``)."""

from __future__ import annotations

import importlib

import pytest
from hb_plugin import load_plugin_package
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer
from qgis.PyQt.QtGui import QColor


@pytest.fixture(scope="module")
def ui(plugin):
    name = load_plugin_package().__name__
    chart = importlib.import_module(f"{name}.ui.hour_chart")
    dock = importlib.import_module(f"{name}.ui.explorer_dock")
    return chart, dock


def profile(cells: dict[int, float]) -> str:
    values = ["0"] * 168
    for index, value in cells.items():
        values[index] = f"{value:g}"
    return ",".join(values)


SAT_01 = 5 * 24 + 1  # Sat 01:00-02:00
FRI_23 = 4 * 24 + 23


# --- the chart --------------------------------------------------------------------------


def test_chart_cells_come_from_the_profile(ui, qgis_app):
    chart_module, _ = ui
    chart = chart_module.HourChart()
    chart.resize(480, 200)
    chart.set_profile(profile({0: 1, SAT_01: 5, FRI_23: 2.5, 167: 0.25}))
    values = chart.values()
    assert values.shape == (7, 24)
    assert (
        values[0, 0] == 1 and values[5, 1] == 5 and values[4, 23] == 2.5 and values[6, 23] == 0.25
    )
    assert values.sum() == pytest.approx(8.75)
    assert chart.message() == "" and not chart.is_empty()
    # the busiest hour has the full colour, an empty hour is white, others in between
    assert chart.cell_color(5, 1) == chart_module.FULL
    assert chart.cell_color(5, 2) == QColor("#ffffff")
    assert chart.cell_color(4, 23).green() > chart_module.FULL.green()
    assert chart.cell_color(4, 23).green() < chart.cell_color(6, 23).green() < 255
    # a point maps to its cell, and painting puts each colour in its cell
    assert chart.cell_at(chart.cell_rect(5, 1).center()) == (5, 1)
    assert chart.cell_at(chart.cell_rect(6, 23).center()) == (6, 23)
    assert chart.cell_at(chart.cell_rect(0, 0).topLeft() - chart.cell_rect(0, 0).center()) is None
    image = chart.grab().toImage()
    assert image.pixelColor(chart.cell_rect(5, 1).center().toPoint()) == chart_module.FULL
    assert image.pixelColor(chart.cell_rect(2, 12).center().toPoint()) == QColor("#ffffff")


def test_chart_empty_and_unreadable_profiles(ui, qgis_app):
    chart_module, _ = ui
    chart = chart_module.HourChart()
    for empty in (None, "", "   "):
        chart.set_profile(empty)
        assert chart.is_empty() and chart.message() == ""
        assert not chart.values().any()
    chart.set_profile("1,2,3")
    assert chart.is_empty()
    assert "168 values" in chart.message()
    chart.set_profile(profile({10: 1}).replace("0", "x", 1))
    assert chart.is_empty() and "unreadable" in chart.message()


# --- the dock ---------------------------------------------------------------------------

FIELDS = (
    "field=block_id:string&field=name:string&field=description:string"
    "&field=window:string&field=window_spec:string"
    "&field=incidents:double&field=n_a_e:double&field=n_ambulance:double&field=n_police:double"
    "&field=harm:double&field=risk:double&field=rank:integer&field=percentile:double"
    "&field=expected:double&field=p_value:double&field=q_value:double&field=hot:boolean"
    "&field=peak:string&field=profile:string(2000)&field=trend:double&field=sources:string"
    "&field=events:double&field=trend_word:string&field=trend_p:double"
)
SOURCES = "A&E=n_a_e;ambulance=n_ambulance;police=n_police"  # as computerisk writes it


def hot_blocks_layer() -> QgsVectorLayer:
    layer = QgsVectorLayer(f"LineString?crs=EPSG:27700&{FIELDS}", "hot blocks", "memory")
    assert layer.isValid()
    rows = [
        # block 1: second in the window, no police column value (NULL stays NULL)
        dict(
            block_id="L1:1",
            name="High Street",
            window="Fri/Sat nights",
            window_spec="Fri-Sat 22:00-04:00",
            incidents=7.5,
            n_a_e=3,
            n_ambulance=4.5,
            n_police=None,
            harm=7.5,
            risk=7.5,
            rank=2,
            percentile=50.0,
            expected=1.5,
            p_value=0.0004,
            q_value=0.0008,
            hot=True,
            peak="Sat 01:00-02:00",
            profile=profile({FRI_23: 2, SAT_01: 5.5}),
            trend=None,
            sources=SOURCES,
            events=7.5,
            trend_word=None,  # below computerisk's minimum count
            trend_p=None,
        ),
        dict(
            block_id="L2:1",
            name=None,
            description="footway off High Street",  # buildblocks' description: the title
            window="Fri/Sat nights",
            window_spec="Fri/Sat nights=Fri,Sat 22:00-04:00",
            incidents=12,
            n_a_e=2,
            n_ambulance=4,
            n_police=6,
            harm=30,
            risk=12,
            rank=1,
            percentile=100.0,
            expected=2,
            p_value=0.0001,
            q_value=0.0002,
            hot=True,
            peak="Fri 23:00-00:00",
            profile=profile({FRI_23: 12}),
            trend=2.0,
            sources=SOURCES,
            events=12,
            trend_word="rising",
            trend_p=0.01,
        ),
    ]
    features = []
    for i, row in enumerate(rows):
        feature = QgsFeature(layer.fields())
        for key, value in row.items():
            if value is not None:
                feature[key] = value
        feature.setGeometry(
            QgsGeometry.fromPolylineXY([QgsPointXY(0, 100 * i), QgsPointXY(100, 100 * i)])
        )
        features.append(feature)
    ok, _ = layer.dataProvider().addFeatures(features)
    assert ok, layer.dataProvider().lastError()
    return layer


def test_dock_shows_the_selected_block(ui, qgis_app):
    _, dock_module = ui
    dock = dock_module.HotBlockExplorerDock()
    assert dock.status_label.text() == dock_module.NO_LAYER
    layer = hot_blocks_layer()
    dock.set_layer(layer)
    assert dock.layer is layer
    assert dock.status_label.text() == dock_module.NO_SELECTION
    assert list(dock.source_labels) == ["n_a_e", "n_ambulance", "n_police"]

    first, second = sorted(layer.allFeatureIds())
    layer.selectByIds([first])  # the dock follows the selection
    shown = dock.texts()
    assert shown["title"] == "High Street"
    assert shown["block"] == "block L1:1"
    assert shown["window"] == "Fri/Sat nights: Fri and Sat, 22:00 to 04:00 next day"
    assert dock.sources_form.labelForField(dock.source_labels["n_a_e"]).text() == "A&&E:"
    assert shown["rank"].startswith("2 (percentile 50.0)") and "HOT" in shown["rank"]
    assert shown["incidents"] == "8"  # printed as the brief prints counts: rounded
    assert shown["peak"] == "Sat 01:00-02:00"
    assert shown["A&E"] == "3" and shown["Ambulance"] == "5" and shown["Police"] == "–"
    assert shown["trend"] == "not given: too few incidents to tell"  # as the brief says
    assert shown["significance"].startswith("far more than its length predicts (5.0 × expected")
    assert dock.chart.values()[5, 1] == 5.5 and dock.chart.values()[4, 23] == 2
    assert dock.chart.values().sum() == 7.5
    # the whole week is drawn, the window's hours outlined (Fri and Sat 22:00 to 04:00)
    hours = dock.chart.window_hours()
    assert hours.sum() == 12 and hours[4, 22] and hours[5, 3] and hours[6, 3]
    assert not hours[4, 21] and not hours[6, 4]
    edges = dock.chart.outline_edges()
    assert (4, 22, "left") in edges and (4, 22, "top") in edges and (4, 23, "right") in edges
    assert (5, 0, "left") in edges and (6, 3, "bottom") in edges and (6, 3, "right") in edges
    assert (5, 22, "top") not in edges  # Fri 22:00 continues to Sat 22:00 below it
    dock.chart.resize(480, 200)
    image = dock.chart.grab().toImage()
    left_edge = dock.chart.cell_rect(4, 22)
    at = (
        left_edge.topLeft().toPoint() + (left_edge.bottomLeft() - left_edge.topLeft()).toPoint() / 2
    )
    assert image.pixelColor(at) == QColor("#000000")  # the outline, drawn over the grid
    assert dock.details.isVisibleTo(dock) and not dock.status_label.isVisibleTo(dock)

    layer.selectByIds([first, second])  # several: one at a time, with arrows
    assert dock.position_label.text() == "1 of 2" and dock.next_button.isVisibleTo(dock)
    assert dock.texts()["block"] == "block L1:1"
    dock.next_button.click()
    shown = dock.texts()
    assert dock.position_label.text() == "2 of 2"
    assert shown["title"] == "footway off High Street" and shown["Police"] == "6"
    assert shown["window"] == "Fri/Sat nights: Fri and Sat, 22:00 to 04:00 next day"
    assert shown["trend"].startswith("rising (Mann-Kendall p = 0.01")
    assert dock.chart.values()[4, 23] == 12 and dock.chart.values().sum() == 12

    layer.removeSelection()
    assert dock.status_label.text() == dock_module.NO_SELECTION
    assert not dock.details.isVisibleTo(dock)
    assert dock.chart.is_empty()

    other = QgsVectorLayer("Point?field=block_id:string", "not hot blocks", "memory")
    dock.set_layer(other)
    assert dock.layer is None and dock.status_label.text() == dock_module.NO_LAYER
    dock.set_layer(layer)
    layer.selectByIds([second])
    assert dock.texts()["block"] == "block L2:1"
    dock.detach()
    layer.selectByIds([first])  # detached: no longer follows
    assert dock.texts()["block"] == "block L2:1"


def test_dock_forgets_a_deleted_layer(ui, qgis_app):
    _, dock_module = ui
    dock = dock_module.HotBlockExplorerDock()
    layer = hot_blocks_layer()
    dock.set_layer(layer)
    layer.selectAll()
    assert dock.texts()["block"] == "block L1:1"
    layer.deleteLater()
    QgsApplication.processEvents()
    QgsApplication.sendPostedEvents(None, 52)  # QEvent.DeferredDelete
    assert dock.layer is None and dock.status_label.text() == dock_module.NO_LAYER


# --- the plugin's desktop wiring --------------------------------------------------------


class Calls:
    def __init__(self):
        self.calls = []

    def __call__(self, name):
        return lambda *args: self.calls.append((name, *args))


def test_init_gui_adds_and_unload_removes_the_action(plugin, qgis_iface, monkeypatch):
    calls = Calls()
    for method in (
        "addToolBarIcon",
        "removeToolBarIcon",
        "addPluginToMenu",
        "removePluginMenu",
        "addDockWidget",
        "removeDockWidget",
    ):
        # the pytest-qgis iface lacks removePluginMenu/removeDockWidget; record them all
        monkeypatch.setattr(qgis_iface, method, calls(method), raising=False)
    registry = QgsApplication.processingRegistry()
    plugin.unload()  # free the provider id: initGui registers the provider too
    try:
        instance = load_plugin_package().classFactory(qgis_iface)
        instance.initGui()
        assert registry.algorithmById("hotblocking:computerisk") is not None
        dock = instance.explorer
        action = dock.toggleViewAction()
        copy_model = instance.copy_model_action
        assert [c[0] for c in calls.calls] == [
            "addDockWidget",
            "addToolBarIcon",
            "addPluginToMenu",
            "addPluginToMenu",
        ]
        assert calls.calls[1][1] is action and calls.calls[2][1:] == ("&Hot Blocking", action)
        assert calls.calls[3][1:] == ("&Hot Blocking", copy_model)
        assert copy_model.text().startswith("Copy the model into my models")
        assert calls.calls[0][2] is dock
        assert action.text() == "Hot block explorer" and not action.icon().isNull()
        assert action.isCheckable() and not action.isChecked() and dock.isHidden()
        action.trigger()
        assert not dock.isHidden() and action.isChecked()
        action.trigger()
        assert dock.isHidden()

        calls.calls.clear()
        instance.unload()
        assert [c[0] for c in calls.calls] == [
            "removePluginMenu",
            "removeToolBarIcon",
            "removePluginMenu",
            "removeDockWidget",
        ]
        assert calls.calls[0][2] is copy_model
        assert calls.calls[1][1] is action and calls.calls[3][1] is dock
        assert instance.explorer is None and registry.providerById("hotblocking") is None
    finally:
        plugin.initProcessing()
    assert registry.algorithmById("hotblocking:buildblocks") is not None


def test_init_gui_without_iface_adds_no_ui(plugin):
    instance = load_plugin_package().classFactory(None)
    instance.provider = plugin.provider  # already registered: only the UI part is tried
    instance.initGui()
    assert instance.explorer is None


def test_the_copy_model_menu_action_copies_and_says_where(
    plugin, qgis_iface, tmp_path, monkeypatch
):
    from qgis.PyQt.QtWidgets import QMessageBox

    from processing.core.ProcessingConfig import ProcessingConfig
    from processing.modeler.ModelerUtils import ModelerUtils

    saved = ProcessingConfig.getSetting(ModelerUtils.MODELS_FOLDER)
    ProcessingConfig.setSettingValue(ModelerUtils.MODELS_FOLDER, str(tmp_path))
    messages, questions = [], []
    monkeypatch.setattr(qgis_iface.messageBar(), "pushMessage", lambda *a: messages.append(a))
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: questions.append(a[2]) or QMessageBox.No
    )
    instance = load_plugin_package().classFactory(qgis_iface)
    instance.provider = plugin.provider  # already registered: only the UI part is tried
    try:
        instance.copy_model()  # nothing there yet: copied without a question
        copies = sorted(tmp_path.glob("*.model3"))
        assert len(copies) == 3  # one, two and three sources
        copy = tmp_path / "hot_blocking_roads_incidents_to_brief.model3"
        assert questions == [] and "Models > Hot Blocking" in messages[0][1]
        assert all(str(c) in messages[0][1] for c in copies)
        listed = QgsApplication.processingRegistry().algorithmById(
            "model:Hot Blocking: roads + incidents to brief"
        )
        assert listed is not None and listed.sourceFilePath() == str(copy)
        copy.write_text("my edits", encoding="utf-8")
        instance.copy_model()  # an earlier copy, perhaps edited: asked, and kept on "No"
        assert len(questions) == 1 and str(copy) in questions[0]
        assert copy.read_text(encoding="utf-8") == "my edits" and len(messages) == 1
    finally:
        ProcessingConfig.setSettingValue(ModelerUtils.MODELS_FOLDER, saved)
        QgsApplication.processingRegistry().providerById("model").refreshAlgorithms()
