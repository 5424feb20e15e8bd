"""Missing or too-old packages, in process: the plugin stays loaded, says so once, and every
algorithm (and the shipped model) refuses with that same message on every run path.

The separate-process versions (a real Debian QGIS without shapely 2, the desktop's message bar
and Plugin Manager) are in tests/system/test_zip_install.py.
"""

from __future__ import annotations

import importlib

import pytest
from hb_plugin import ALGORITHM_NAMES, load_plugin_package
from hb_sample import SAMPLE
from qgis.core import (
    Qgis,
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
)
from qgis.gui import QgsMessageBar

MESSAGE = (
    "Hot Blocking cannot run: shapely 1.8.5 is too old (needs 2.0 or newer); pandas is missing "
    "(needs 1.5.3 or newer). Its tools stay in the Processing toolbox but refuse to run until "
    "this is fixed.\nOn Debian/Ubuntu, run in a terminal:\n  sudo apt install python3-pandas\n"
    "then restart QGIS."
)


@pytest.fixture()
def broken(plugin, monkeypatch):
    """The loaded plugin, as if the check had found packages missing."""
    module = load_plugin_package()
    monkeypatch.setattr(module.plugin_dependencies, "problem_message", lambda: MESSAGE)
    return module


TOOLS = {f"hotblocking:{name}" for name in ALGORITHM_NAMES}


def notice_module():
    return importlib.import_module(f"{load_plugin_package().__name__}.ui.dependency_notice")


def algorithms():
    return QgsApplication.processingRegistry().providerById("hotblocking").algorithms()


def test_the_real_check_passes_in_the_venv(plugin):
    assert load_plugin_package().plugin_dependencies.problem_message() == ""


def test_every_algorithm_and_the_model_refuse_with_the_message(broken):
    context = QgsProcessingContext()
    ids = {a.id() for a in algorithms()}
    assert {"hotblocking:buildblocks", "hotblocking:taskingbrief"} <= ids
    assert any(algorithm.id() not in TOOLS for algorithm in algorithms())  # the model
    for algorithm in algorithms():
        assert algorithm.canExecute() == (False, MESSAGE), algorithm.id()
        assert algorithm.checkParameterValues({}, context) == (False, MESSAGE), algorithm.id()


@pytest.mark.parametrize(
    "algorithm",
    ["hotblocking:buildblocks", "hotblocking:Hot Blocking: roads + incidents to brief"],
)
def test_processing_run_refuses_without_a_traceback(broken, tmp_path, algorithm):
    import processing

    parameters = {
        "INPUT": f"{SAMPLE}|layername=road_link",
        "ROADS": f"{SAMPLE}|layername=road_link",
        "OUTPUT": str(tmp_path / "blocks.gpkg"),
    }
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(
            algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback()
        )
    assert MESSAGE in str(raised.value)
    assert not (tmp_path / "blocks.gpkg").exists()


def test_prepare_reports_the_message_and_stops(broken):
    """Run paths that skip checkParameterValues (e.g. a model's steps) stop in prepare."""

    class Feedback(QgsProcessingFeedback):
        errors: list = []

        def reportError(self, error, fatalError=False):
            self.errors.append((error, fatalError))

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:buildblocks")
    feedback = Feedback()
    ok = algorithm.prepare({}, QgsProcessingContext(), feedback)
    assert ok is False and feedback.errors == [(MESSAGE, True)]


def test_load_logs_once_and_still_registers_the_provider(plugin, monkeypatch):
    registry = QgsApplication.processingRegistry()
    module = load_plugin_package()
    monkeypatch.setattr(module.plugin_dependencies, "problem_message", lambda: MESSAGE)
    logged = []

    def collect(message, tag, level):
        logged.append((message, tag, level))

    QgsApplication.messageLog().messageReceived.connect(collect)
    plugin.unload()
    try:
        instance = module.classFactory(None)
        instance.initProcessing()
        instance.initProcessing()
        assert registry.algorithmById("hotblocking:joinincidents") is not None
        instance.unload()
    finally:
        QgsApplication.messageLog().messageReceived.disconnect(collect)
        plugin.initProcessing()
    ours = [entry for entry in logged if entry[1] == "Hot Blocking"]
    assert ours == [(MESSAGE, "Hot Blocking", Qgis.Critical)]


def test_message_bar_shows_the_headline_and_the_whole_message(qgis_app):
    notice = notice_module()
    bar = QgsMessageBar()

    class Iface:
        def messageBar(self):
            return bar

    notice.show_in_message_bar(Iface(), MESSAGE)
    [item] = bar.items()
    assert item.title() == "Hot Blocking"
    assert item.text() == MESSAGE.split("\n")[0]
    assert item.level() == Qgis.Critical and item.duration() == 0


def test_plugin_manager_entry_is_marked_now_and_after_a_rescan(qgis_app, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(QgsApplication.pkgDataPath() + "/python")  # as in QGIS desktop
    from pyplugin_installer.installer_data import plugins

    notice = notice_module()
    folder = tmp_path / "hotblocking"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "metadata.txt").write_text(
        "[general]\nname=Hot Blocking\nversion=0.1.0\nqgisMinimumVersion=3.22\n"
    )
    plugins.localCache["hotblocking"] = plugins.getInstalledPlugin(
        "hotblocking", str(folder), False
    )
    assert plugins.localCache["hotblocking"]["error"] == ""
    unmark = notice.mark_in_plugin_manager("hotblocking", MESSAGE)
    try:
        assert plugins.localCache["hotblocking"]["error"] == "dependent"
        details = plugins.localCache["hotblocking"]["error_details"]
        assert details.startswith("Hot Blocking cannot run: shapely 1.8.5 is too old")
        assert "<br/>  sudo apt install python3-pandas<br/>" in details
        rescanned = plugins.getInstalledPlugin("hotblocking", str(folder), False)
        assert (rescanned["error"], rescanned["error_details"]) == ("dependent", details)
        other = plugins.getInstalledPlugin("other", str(folder), False)
        assert other["error"] == ""
    finally:
        unmark()
        assert "getInstalledPlugin" not in vars(plugins)
        assert plugins.localCache.pop("hotblocking")["error"] == ""
