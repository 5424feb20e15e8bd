"""Start QGIS in this fresh process, optionally load the plugin as QGIS does, print JSON.

Used by tests/qgis/test_startup.py (which modules loading the plugin imports) and
bench/bench_startup.py (what loading it costs). Not product code.

    python scripts/startup_probe.py [--plugin DIR] [--gui] [--list-parameters] [--run-sample]

``--plugin DIR``: the plugin folder (a checkout or an unpacked older version) is linked as a
package and loaded with ``classFactory(iface).initProcessing()``; with ``--gui`` QGIS runs as
a GUI application and ``initGui()`` is called with a small stand-in for ``iface`` (a main
window the Hot block explorer dock docks into), as the desktop does at start-up.
``--list-parameters``: every algorithm's parameters are read, as the toolbox and the
dialogs do. ``--run-sample``: one algorithm is run afterwards (the imports it needs happen
then). Output: seconds (wall and CPU) and peak RSS before and after loading, and which of
numpy, pandas, scipy and shapely were imported at each point (and whether the dialog's
distance widget was, after loading).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numpy", "pandas", "scipy", "shapely")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "hotblocking_sample.gpkg"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def heavy_loaded() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


def stand_in_iface(main_window):
    """The few ``iface`` members initGui and the explorer dock use."""
    from qgis.PyQt.QtCore import QObject, pyqtSignal

    class Iface(QObject):
        currentLayerChanged = pyqtSignal(object)  # noqa: N815 (QGIS API name)

        def mainWindow(self):
            return main_window

        def activeLayer(self):
            return None

        def addDockWidget(self, area, dock):
            main_window.addDockWidget(area, dock)

        def removeDockWidget(self, dock):
            main_window.removeDockWidget(dock)

        def addToolBarIcon(self, action):
            pass

        def removeToolBarIcon(self, action):
            pass

        def addPluginToMenu(self, menu, action):
            pass

        def removePluginMenu(self, menu, action):
            pass

    return Iface()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin", help="plugin folder to load (none: QGIS alone)")
    parser.add_argument("--gui", action="store_true", help="GUI application + initGui()")
    parser.add_argument("--list-parameters", action="store_true")
    parser.add_argument("--run-sample", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], args.gui)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing  # as QGIS starts its Processing

    Processing.initialize()
    result = {
        "qgis_seconds": time.perf_counter() - started,
        "qgis_peak_rss_mb": peak_rss_mb(),
        "heavy_before": heavy_loaded(),
    }
    keep = []
    if args.plugin:
        links = tempfile.mkdtemp(prefix="hb-probe-")
        os.symlink(Path(args.plugin).resolve(), os.path.join(links, "hb_probe_plugin"))
        sys.path.insert(0, links)
        loading, loading_cpu = time.perf_counter(), time.process_time()
        module = importlib.import_module("hb_probe_plugin")
        if args.gui:
            from qgis.PyQt.QtWidgets import QMainWindow

            window = QMainWindow()
            plugin = module.classFactory(stand_in_iface(window))
            plugin.initGui()
            keep.append(window)
        else:
            plugin = module.classFactory(None)
            plugin.initProcessing()
        keep.append(plugin)
        provider = QgsApplication.processingRegistry().providerById("hotblocking")
        algorithms = provider.algorithms() if provider else []
        if args.list_parameters:
            for algorithm in algorithms:
                algorithm.parameterDefinitions()
                algorithm.shortHelpString()
        result.update(
            plugin_seconds=time.perf_counter() - loading,
            plugin_cpu_seconds=time.process_time() - loading_cpu,
            algorithms=sorted(a.id() for a in algorithms),
            heavy_after_load=heavy_loaded(),
            # the dialog's distance widget: imported by QGIS's dialogs only when they open
            distance_widget_after_load="hb_probe_plugin.ui.distance_widget" in sys.modules,
        )
        if args.run_sample:
            import processing

            processing.run(
                "hotblocking:buildblocks",
                {
                    "INPUT": f"{SAMPLE}|layername=road_link",
                    "OUTPUT": os.path.join(links, "blocks.gpkg"),
                },
            )
            result["heavy_after_run"] = heavy_loaded()
    result["total_seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # QGIS 3.22 may crash on interpreter exit


if __name__ == "__main__":
    main()
