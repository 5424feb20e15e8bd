"""The plugin object: registers the Processing provider (and, on the desktop, the UI)."""

from qgis.core import QgsApplication

from .processing.provider import HotBlockingProvider


class HotBlockingPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.explorer = None  # the Hot block explorer dock (desktop only)

    def initProcessing(self):  # noqa: N802 (QGIS API name)
        if self.provider is None:
            self.provider = HotBlockingProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS API name)
        self.initProcessing()
        if self.iface is not None and self.explorer is None:
            from qgis.PyQt.QtCore import Qt
            from qgis.PyQt.QtGui import QIcon

            from .ui.explorer_dock import HotBlockExplorerDock

            self.explorer = HotBlockExplorerDock(self.iface, self.iface.mainWindow())
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.explorer)
            self.explorer.hide()
            action = self.explorer.toggleViewAction()  # checked while the dock is open
            action.setIcon(QIcon(":/plugins/hotblocking/icon.svg"))
            action.setText("Hot block explorer")
            self.iface.addToolBarIcon(action)
            self.iface.addPluginToMenu("&Hot Blocking", action)

    def unload(self):
        if self.explorer is not None:
            action = self.explorer.toggleViewAction()
            self.iface.removeToolBarIcon(action)
            self.iface.removePluginMenu("&Hot Blocking", action)
            self.explorer.detach()
            self.iface.removeDockWidget(self.explorer)
            self.explorer.deleteLater()
            self.explorer = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
