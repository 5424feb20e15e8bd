"""Start a headless QGIS with Processing and the Hot Blocking plugin (for scripts and bench).

The checkout is imported through a symlink (the repo root is the plugin folder, and its
``processing/`` package must not shadow QGIS's own ``processing``). The developer tools
(``tools``: sample pipeline, simulator) are importable as soon as this module is imported.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hotblocking_plugin"
LINKS = tempfile.mkdtemp(prefix="hb-")
os.symlink(ROOT / "tools", os.path.join(LINKS, "tools"))
sys.path.insert(0, LINKS)
_keep = {}


def start_qgis(plugin_root: Path = ROOT):
    """Return (QgsApplication, plugin); both must stay referenced while in use.

    ``plugin_root``: the plugin folder to load (default this checkout).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from qgis.analysis import QgsNativeAlgorithms

    from processing.core.Processing import Processing  # standalone bootstrap only

    Processing.initialize()
    if QgsApplication.processingRegistry().providerById("native") is None:
        QgsApplication.processingRegistry().addProvider(QgsNativeAlgorithms())
    os.symlink(plugin_root, os.path.join(LINKS, PACKAGE))
    module = importlib.import_module(PACKAGE)
    plugin = module.classFactory(None)
    plugin.initProcessing()
    _keep.update(app=app, plugin=plugin)
    return app, plugin


def run(algorithm: str, parameters: dict, feedback=None):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    import processing

    context = QgsProcessingContext()
    return processing.run(
        algorithm, parameters, context=context, feedback=feedback or QgsProcessingFeedback()
    )
