"""The algorithm dialog's distance widget shows a metre default in metres (ui/distance_widget.py).

QGIS 3.22's own widget shows a distance's default number in the layer's units (100 ft on a feet
layer); QGIS >= 3.24 shows it in metres with a units combo and hands the algorithm the value in
the layer's units. The real AlgorithmDialog is opened here (headless) on memory layers in the
project and the parameters it builds are read back. The modeller and the batch table keep
QGIS's own widget.

QGIS 3.22 has no US survey foot: every foot CRS (EPSG:2227 included) has map units "feet" and
QGIS's factor 0.3048 m (the international foot; the US survey foot, 1200/3937 = 0.3048006096 m,
is 2 ppm longer and only QGIS >= 3.30 tells them apart). The widget converts with the factor
the algorithms convert back with, so 100 m shown reach the algorithm as exactly 100 m.
"""

from __future__ import annotations

import importlib

import pytest
from hb_plugin import ALGORITHM_NAMES, load_plugin_package
from qgis.core import (
    QgsApplication,
    QgsProcessingParameterDistance,
    QgsProcessingParameters,
    QgsUnitTypes,
    QgsVectorLayer,
)

FOOT_M = 0.3048  # QGIS 3.22's metres per foot, for every foot CRS (module doc)
CASES = [  # algorithm, layer parameter, distance parameter, default in metres
    ("buildblocks", "INPUT", "MAX_LENGTH", 100.0),
    ("joinincidents", "BLOCKS", "MAX_DISTANCE", 50.0),
    ("computerisk", "BLOCKS", "BANDWIDTH", 0.0),
    ("pipeline", "ROADS", "MAX_DISTANCE", 50.0),
    ("Hot Blocking: roads + one incident source to brief", "ROADS", "MAX_LENGTH", 100.0),
    ("Hot Blocking: roads + incidents to brief", "ROADS", "MAX_DISTANCE", 50.0),
]


def lines(name: str, crs: str) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"LineString?crs={crs}", name, "memory")
    assert layer.isValid() and layer.crs().authid() == crs
    return layer


@pytest.fixture()
def layers(plugin, project_layers):
    """A road layer in feet (California III, EPSG:2227), one in metres, one in degrees and
    one without a CRS."""
    found = {
        "feet": lines("roads_ft", "EPSG:2227"),
        "metres": lines("roads_m", "EPSG:27700"),
        "degrees": lines("roads_deg", "EPSG:4326"),
        "no CRS": QgsVectorLayer("LineString", "roads_no_crs", "memory"),
    }
    project_layers.addMapLayers(list(found.values()))
    return found


@pytest.fixture()
def widget_module(plugin):
    return importlib.import_module(f"{load_plugin_package().__name__}.ui.distance_widget")


def open_dialog(name: str):
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    algorithm = QgsApplication.processingRegistry().createAlgorithmById(f"hotblocking:{name}")
    return AlgorithmDialog(algorithm, parent=None)


def choose(dialog, name: str, layer) -> None:
    from processing.tools.dataobjects import createContext

    wrapper = dialog.mainWidget().wrappers[name]
    wrapper.setParameterValue(layer.id(), createContext())
    assert wrapper.parameterValue() == layer.id()


def built(dialog, name: str) -> float:
    """The value the dialog hands the algorithm for ``name``: its wrapper's parameterValue(),
    which createProcessingParameters() takes (and which works before every other required
    input is filled; the buildblocks test builds the whole set)."""
    return dialog.mainWidget().wrappers[name].parameterValue()


def shown(dialog, name: str) -> tuple[float, str]:
    wrapper = dialog.mainWidget().wrappers[name]
    return wrapper.spin.value(), QgsUnitTypes.toString(wrapper.units.currentData())


@pytest.mark.parametrize("name, layer_name, key, default_m", CASES, ids=[c[0] for c in CASES])
def test_the_dialog_shows_the_metre_default_and_hands_over_layer_units(
    dialog_iface, layers, widget_module, name, layer_name, key, default_m
):
    dialog = open_dialog(name)
    try:
        wrapper = dialog.mainWidget().wrappers[key]
        assert isinstance(wrapper, widget_module.MetreDefaultDistanceWrapper)
        choose(dialog, layer_name, layers["feet"])
        assert shown(dialog, key) == (default_m, "meters")
        assert built(dialog, key) == pytest.approx(default_m / FOOT_M, rel=1e-9)
        # the layer changes: the distance shown stays, the value follows the layer's units
        choose(dialog, layer_name, layers["metres"])
        assert shown(dialog, key) == (default_m, "meters")
        assert built(dialog, key) == pytest.approx(default_m, rel=1e-12)
        choose(dialog, layer_name, layers["degrees"])  # reprojected: the value is in metres
        assert built(dialog, key) == pytest.approx(default_m, rel=1e-12)
        choose(dialog, layer_name, layers["no CRS"])  # no length unit: metres, as the algorithms
        assert built(dialog, key) == pytest.approx(default_m, rel=1e-12)
        choose(dialog, layer_name, layers["feet"])
        assert built(dialog, key) == pytest.approx(default_m / FOOT_M, rel=1e-9)
        # the user types 200 and picks feet: the algorithm gets 200 ft
        wrapper.spin.setValue(200.0)
        wrapper.units.setCurrentIndex(wrapper.units.findData(QgsUnitTypes.DistanceFeet))
        assert built(dialog, key) == pytest.approx(200.0, rel=1e-12)
        # ... or kilometres: 0.2 km is 200 m
        wrapper.spin.setValue(0.2)
        wrapper.units.setCurrentIndex(wrapper.units.findData(QgsUnitTypes.DistanceKilometers))
        assert built(dialog, key) == pytest.approx(200.0 / FOOT_M, rel=1e-9)
    finally:
        dialog.deleteLater()


def test_the_algorithm_reads_the_dialogs_value_back_as_the_metres_shown(
    dialog_iface, layers, plugin
):
    from processing.tools.dataobjects import createContext

    units = importlib.import_module(f"{load_plugin_package().__name__}.processing.units")
    dialog = open_dialog("buildblocks")
    try:
        choose(dialog, "INPUT", layers["feet"])
        parameters = dialog.createProcessingParameters()
        assert parameters["MAX_LENGTH"] == pytest.approx(100.0 / FOOT_M, rel=1e-9)
        assert parameters["GAP"] == pytest.approx(1.0 / FOOT_M, rel=1e-9)
        algorithm = dialog.algorithm()
        given = units.given_distance(algorithm, parameters, "MAX_LENGTH", createContext())
        crs = layers["feet"].crs()
        distance = units.distance_in(given, 100.0, crs, crs)
        assert distance.given and distance.metres == pytest.approx(100.0, rel=1e-12)
        assert units.default_mismatch(distance, "MAX_LENGTH", 100.0, crs) is None
    finally:
        dialog.deleteLater()


def test_values_handed_to_the_dialog_are_in_the_layers_units(dialog_iface, layers, plugin):
    """The dialog's history and processing.execAlgorithmDialog give values as the algorithm
    takes them: 250 on a feet layer is 250 ft, shown as such."""
    from processing.tools.dataobjects import createContext

    dialog = open_dialog("joinincidents")
    try:
        dialog.setParameters({"BLOCKS": layers["feet"].id(), "MAX_DISTANCE": 250})
        assert shown(dialog, "MAX_DISTANCE") == (250.0, "feet")
        assert built(dialog, "MAX_DISTANCE") == pytest.approx(250.0, rel=1e-12)
        choose(dialog, "BLOCKS", layers["metres"])
        assert built(dialog, "MAX_DISTANCE") == pytest.approx(250.0 * FOOT_M, rel=1e-9)
        dialog.mainWidget().wrappers["MAX_DISTANCE"].setParameterValue("40", createContext())
        assert shown(dialog, "MAX_DISTANCE") == (40.0, "meters")
    finally:
        dialog.deleteLater()


def test_a_minimum_in_the_layers_units_holds_in_the_unit_shown(dialog_iface, layers, plugin):
    """evaluate's KDE_CELL_SIZE has a minimum of 0.01 layer units: on a metre layer, in feet
    the box stops at 0.01 m = 0.032809 ft (rounded up to its 6 decimals), so the value handed
    over is never below the minimum."""
    dialog = open_dialog("evaluate")
    try:
        choose(dialog, "BLOCKS", layers["metres"])
        wrapper = dialog.mainWidget().wrappers["KDE_CELL_SIZE"]
        wrapper.units.setCurrentIndex(wrapper.units.findData(QgsUnitTypes.DistanceFeet))
        wrapper.spin.setValue(0.01)
        assert wrapper.spin.value() == pytest.approx(0.032809, abs=1e-12)
        assert 0.01 <= built(dialog, "KDE_CELL_SIZE") < 0.01 * (1 + 1e-4)
        choose(dialog, "BLOCKS", layers["feet"])  # the minimum is now 0.01 ft
        wrapper.spin.setValue(0.01)
        assert built(dialog, "KDE_CELL_SIZE") == pytest.approx(0.01, rel=1e-12)
    finally:
        dialog.deleteLater()


def test_every_distance_parameter_has_a_metre_default_and_the_widget(plugin, widget_module):
    registry = QgsApplication.processingRegistry()
    found = []
    models = [a.name() for a in registry.providerById("hotblocking").algorithms()]
    for name in set(ALGORITHM_NAMES) | set(models):
        algorithm = registry.createAlgorithmById(f"hotblocking:{name}")  # a run's own copy
        for parameter in algorithm.parameterDefinitions():
            if isinstance(parameter, QgsProcessingParameterDistance):
                assert parameter.defaultUnit() == QgsUnitTypes.DistanceMeters, parameter.name()
                path = parameter.metadata()["widget_wrapper"]["class"]
                module, _, name = path.rpartition(".")
                assert getattr(importlib.import_module(module), name) is (
                    widget_module.MetreDefaultDistanceWrapper
                )
                # the definition still serialises and reads back (models, qgis_process --json)
                copy = QgsProcessingParameters.parameterFromVariantMap(parameter.toVariantMap())
                assert copy.metadata() == parameter.metadata()
                assert copy.defaultUnit() == QgsUnitTypes.DistanceMeters
                found.append(f"{algorithm.name()}:{parameter.name()}")
    assert {
        "buildblocks:MAX_LENGTH",
        "buildblocks:GAP",
        "joinincidents:MAX_DISTANCE",
        "computerisk:BANDWIDTH",
        "evaluate:KDE_CELL_SIZE",
        "evaluate:KDE_BANDWIDTH",
        "pipeline:MAX_LENGTH",
        "pipeline:MAX_DISTANCE",
        "pipeline:BANDWIDTH",
        "Hot Blocking: roads + one incident source to brief:MAX_LENGTH",
        "Hot Blocking: roads + two incident sources to brief:MAX_DISTANCE",
        "Hot Blocking: roads + incidents to brief:BANDWIDTH",
    } <= set(found)


def test_the_batch_dialog_keeps_qgis_widget(dialog_iface, layers, widget_module):
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from processing.tools.dataobjects import createContext

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:buildblocks")
    dialog = BatchAlgorithmDialog(algorithm)
    try:
        panel = dialog.mainWidget()
        column = panel.parameter_to_column["MAX_LENGTH"]
        wrapper = panel.wrappers[0][column]
        assert not isinstance(wrapper, widget_module.MetreDefaultDistanceWrapper)
        panel.wrappers[0][panel.parameter_to_column["INPUT"]].setParameterValue(
            layers["feet"].id(), createContext()
        )
        panel.tblParameters.cellWidget(1, panel.parameter_to_column["OUTPUT"]).setValue(
            "/tmp/unused.gpkg"
        )
        parameters, ok = panel.parametersForRow(0, None, False)
        assert ok and parameters["MAX_LENGTH"] == 100.0  # QGIS 3.22's own: in layer units
    finally:
        dialog.deleteLater()


def test_the_modeller_keeps_qgis_widget(dialog_iface, widget_module):
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildParameterSource,
    )
    from qgis.gui import QgsProcessingModelerParameterWidget

    from processing.modeler.ModelerParametersDialog import ModelerParametersDialog

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:buildblocks")
    model = QgsProcessingModelAlgorithm("m", "g")
    dialog = ModelerParametersDialog(algorithm, model)
    try:
        wrapper = dialog.widget.widget.wrappers["MAX_LENGTH"]
        assert isinstance(wrapper, QgsProcessingModelerParameterWidget)
        child = dialog.createAlgorithm()
        (source,) = child.parameterSources()["MAX_LENGTH"]
        assert source.source() == QgsProcessingModelChildParameterSource.StaticValue
        assert source.staticValue() == 100.0
    finally:
        dialog.deleteLater()
