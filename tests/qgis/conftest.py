"""Fixtures that load the real plugin into a real QGIS (pytest-qgis), as QGIS does."""

from __future__ import annotations

import pytest
from hb_plugin import load_plugin_package


@pytest.fixture(scope="session")
def plugin(qgis_app, qgis_processing):
    module = load_plugin_package()
    instance = module.classFactory(None)
    instance.initProcessing()
    yield instance
    instance.unload()


@pytest.fixture()
def run(plugin):
    """processing.run in a fresh context; returns the results dict."""
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    def _run(algorithm: str, parameters: dict, feedback=None, context=None):
        return processing.run(
            f"hotblocking:{algorithm}",
            parameters,
            context=context or QgsProcessingContext(),
            feedback=feedback or QgsProcessingFeedback(),
        )

    return _run


@pytest.fixture()
def project_layers():
    """Layers a test loads into the project are removed afterwards."""
    from qgis.core import QgsProject

    before = set(QgsProject.instance().mapLayers())
    yield QgsProject.instance()
    added = set(QgsProject.instance().mapLayers()) - before
    QgsProject.instance().removeMapLayers(list(added))


@pytest.fixture()
def dialog_iface(qgis_iface, monkeypatch):
    """pytest-qgis's iface, with the browser model the dialog's parameters panel asks for."""
    from qgis.gui import QgsBrowserGuiModel

    model = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: model, raising=False)
    return qgis_iface


@pytest.fixture(scope="session")
def postgis():
    """A private PostgreSQL + PostGIS cluster (TimeZone UTC) for the session, stopped at the
    end. Started only when a test asks for it; never the machine's own service."""
    from hb_postgis import PrivateCluster, available

    reason = available()
    if reason:
        pytest.fail(f"PostGIS tests need a local PostgreSQL + PostGIS: {reason}")
    cluster = PrivateCluster(timezone="UTC").start()
    yield cluster
    cluster.stop()
