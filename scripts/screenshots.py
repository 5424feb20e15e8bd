"""Screenshots of the plugin in desktop QGIS, for the README (run by scripts/screenshots.sh).

Runs inside QGIS: ``scripts/desktop.sh --xvfb --code scripts/screenshots.py``, with
``HB_DEMO_DIR`` (a ``make demo`` output folder) and ``HB_SHOTS_DIR`` (where the PNGs go) in
the environment. QGIS runs a ``--code`` file with ``exec`` before its event loop starts, so
the work is a chain of timer steps: wait until the plugin is loaded, then

* ``toolbox.png``: the Processing toolbox, searched for "hot blocking";
* ``algorithm_dialog.png``: the *Compute hot-block risk* dialog, filled with the demo layers;
* ``explorer_dock.png``: the Hot block explorer showing the demo's top Fri/Sat-night block;
* ``desktop.png``: the whole window at that moment (map, layers, explorer), scaled down.

QGIS then quits with status 0, or 1 after printing the traceback of a failed step.
Only public APIs are used (``findChild`` by class or object name, ``processing``'s
``createAlgorithmDialog``).
"""


def _hb_screenshots():  # one function: the file is exec'd in QGIS's __main__ namespace
    import os
    import sys
    import time
    import traceback

    import qgis.utils
    from qgis.core import QgsApplication, QgsFeatureRequest, QgsProject
    from qgis.gui import QgsFilterLineEdit, QgsProcessingToolboxTreeView
    from qgis.PyQt.QtCore import QPoint, Qt, QTimer
    from qgis.PyQt.QtWidgets import QDockWidget

    iface = qgis.utils.iface
    demo = os.environ["HB_DEMO_DIR"]
    shots = os.environ["HB_SHOTS_DIR"]
    os.makedirs(shots, exist_ok=True)
    window = iface.mainWindow()
    state = {"started": time.monotonic(), "dialog": None}

    def save(widget_or_pixmap, name, width=None):
        pixmap = widget_or_pixmap
        if not hasattr(pixmap, "toImage"):  # a widget
            pixmap = pixmap.grab()
        if width and pixmap.width() > width:
            pixmap = pixmap.scaledToWidth(width, Qt.SmoothTransformation)
        path = os.path.join(shots, name)
        if not pixmap.save(path, "PNG"):
            raise RuntimeError(f"could not save {path}")
        print(
            f"screenshot: {path} {pixmap.width()}x{pixmap.height()} "
            f"{os.path.getsize(path) // 1024} KB",
            flush=True,
        )

    def wait_for_plugin():
        loaded = "hotblocking" in qgis.utils.active_plugins
        registered = QgsApplication.processingRegistry().providerById("hotblocking") is not None
        if loaded and registered:
            print(f"plugin loaded after {time.monotonic() - state['started']:.1f} s", flush=True)
            return None
        if time.monotonic() - state["started"] > 60:
            raise RuntimeError("the hotblocking plugin did not load within 60 s")
        return 250  # ask again

    def open_demo_project():
        window.setGeometry(0, 0, 1600, 1000)
        project = os.path.join(demo, "hotblocking_demo.qgz")
        if not QgsProject.instance().read(project):
            raise RuntimeError(f"could not open {project}")
        browser = window.findChild(QDockWidget, "Browser")
        if browser is not None:
            browser.hide()  # room for the layers panel and the map

    def show_toolbox():
        toolbox = window.findChild(QDockWidget, "ProcessingToolbox")
        if toolbox is None:
            raise RuntimeError("no Processing Toolbox dock")
        toolbox.show()
        toolbox.raise_()
        window.resizeDocks([toolbox], [430], Qt.Horizontal)
        toolbox.findChild(QgsFilterLineEdit).setText("hot blocking")
        tree = toolbox.findChild(QgsProcessingToolboxTreeView)
        tree.expandAll()
        tree.clearSelection()
        tree.setCurrentIndex(tree.model().index(-1, -1))
        state["toolbox"] = toolbox

    def grab_toolbox():
        toolbox = state["toolbox"]
        tree = toolbox.findChild(QgsProcessingToolboxTreeView)
        rows = tree.model().rowCount()
        if rows == 0:
            raise RuntimeError("the toolbox search found nothing for 'hot blocking'")
        # crop below the last visible row
        last = tree.model().index(rows - 1, 0)
        while tree.model().rowCount(last):
            last = tree.model().index(tree.model().rowCount(last) - 1, 0, last)
        bottom = tree.mapTo(toolbox, tree.visualRect(last).bottomLeft()).y() + 12
        pixmap = toolbox.grab()
        save(pixmap.copy(0, 0, pixmap.width(), min(pixmap.height(), bottom)), "toolbox.png")
        toolbox.findChild(QgsFilterLineEdit).clear()
        toolbox.hide()

    def open_dialog():
        import processing

        project = QgsProject.instance()
        by_name = {layer.name(): layer for layer in project.mapLayers().values()}
        blocks = by_name.get("Blocks")
        joined = [layer for name, layer in by_name.items() if name.startswith("Joined")]
        parameters = {
            "BLOCKS": blocks,
            "INCIDENTS": joined,
            "WINDOWS": "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00",
            "HOT_VALUE": 10,
        }
        dialog = processing.createAlgorithmDialog("hotblocking:computerisk", parameters)
        dialog.resize(1100, 760)
        dialog.show()
        state["dialog"] = dialog

    def grab_dialog():
        save(state["dialog"], "algorithm_dialog.png")
        state["dialog"].close()

    def show_explorer():
        plugin = qgis.utils.plugins["hotblocking"]
        action = plugin.explorer.toggleViewAction()
        if not action.isChecked():
            action.trigger()
        window.resizeDocks([plugin.explorer], [400], Qt.Horizontal)
        layer = next(
            layer
            for layer in QgsProject.instance().mapLayers().values()
            if layer.name() == "Hot blocks"
        )
        iface.setActiveLayer(layer)
        request = QgsFeatureRequest().setFilterExpression(
            '"window" = \'Fri/Sat nights\' AND "rank" = 1'
        )
        top = next(layer.getFeatures(request))
        layer.selectByIds([top.id()])
        iface.mapCanvas().setExtent(layer.extent())
        iface.mapCanvas().refresh()
        iface.messageBar().clearWidgets()  # environment warnings (PROJ grids...): in the log
        state["explorer"] = plugin.explorer

    def grab_explorer():
        dock = state["explorer"]
        if dock.isHidden() or dock.layer is None or not dock.details.isVisible():
            raise RuntimeError("the explorer is not showing a block")
        print("explorer shows:", dock.texts(), flush=True)
        # crop below the last thing drawn
        bottom = dock.details.mapTo(dock, QPoint(0, dock.details.height())).y() + 10
        pixmap = dock.grab()
        save(pixmap.copy(0, 0, pixmap.width(), min(pixmap.height(), bottom)), "explorer_dock.png")
        screen = window.screen() if hasattr(window, "screen") else QgsApplication.primaryScreen()
        save(screen.grabWindow(window.winId()), "desktop.png", width=1200)

    def finish():
        QgsProject.instance().clear()  # nothing to save: QGIS quits without asking
        QgsApplication.exit(0)

    steps = [
        (0, wait_for_plugin),
        (0, open_demo_project),
        (500, show_toolbox),
        (1000, grab_toolbox),
        (0, open_dialog),
        (1500, grab_dialog),
        (0, show_explorer),
        (2500, grab_explorer),
        (0, finish),
    ]

    def run_next(delay=0):
        if not steps:
            return
        QTimer.singleShot(delay or steps[0][0], run_step)

    def run_step():
        _, step = steps[0]
        try:
            again = step()
        except Exception:  # report, then quit with an error status
            print(f"screenshots: step {step.__name__} failed", file=sys.stderr)
            traceback.print_exc()
            sys.stderr.flush()
            QgsProject.instance().clear()
            QgsApplication.exit(1)
            return
        if again:
            QTimer.singleShot(again, run_step)
            return
        steps.pop(0)
        run_next()

    run_next()


_hb_screenshots()
