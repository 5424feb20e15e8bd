"""The plugin object: registers the Processing provider (and, on the desktop, the UI)."""

from qgis.core import Qgis, QgsApplication, QgsMessageLog
from qgis.PyQt.QtCore import QCoreApplication

from . import plugin_dependencies

LOG_TAG = "Hot Blocking"

MENU = "&Hot Blocking"


def tr(text: str) -> str:
    return QCoreApplication.translate("HotBlocking", text)


class HotBlockingPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.explorer = None  # the Hot block explorer dock (desktop only)
        self.copy_model_action = None  # Plugins > Hot Blocking > Copy the model (desktop only)
        self._dependency_problem_logged = False
        self._unmark_plugin_manager = None

    def initProcessing(self):
        if self.provider is not None:
            return
        problem = plugin_dependencies.problem_message()
        if problem and not self._dependency_problem_logged:
            # The provider still registers: its tools refuse to run with this same message.
            QgsMessageLog.logMessage(problem, LOG_TAG, Qgis.Critical)
            self._dependency_problem_logged = True
        try:
            from .processing.provider import HotBlockingProvider
        except ImportError:
            if not problem:
                raise
            return  # an algorithm module needs a missing package at import: reported above
        self.provider = HotBlockingProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):
        self.initProcessing()
        if self.iface is None:
            return
        problem = plugin_dependencies.problem_message()
        if problem and self._unmark_plugin_manager is None:
            from .ui.dependency_notice import mark_in_plugin_manager, show_in_message_bar

            show_in_message_bar(self.iface, problem)
            self._unmark_plugin_manager = mark_in_plugin_manager(__package__, problem)
        if self.explorer is None:
            from qgis.PyQt.QtCore import Qt
            from qgis.PyQt.QtGui import QIcon
            from qgis.PyQt.QtWidgets import QAction

            try:
                from .ui.explorer_dock import HotBlockExplorerDock
            except ImportError:
                if not problem:
                    raise
                return  # the dock needs a missing package: reported above
            self.explorer = HotBlockExplorerDock(self.iface, self.iface.mainWindow())
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.explorer)
            self.explorer.hide()
            action = self.explorer.toggleViewAction()  # checked while the dock is open
            action.setIcon(QIcon(":/plugins/hotblocking/icon.svg"))
            action.setText(tr("Hot block explorer"))
            self.iface.addToolBarIcon(action)
            self.iface.addPluginToMenu(MENU, action)
            self.copy_model_action = QAction(
                QgsApplication.getThemeIcon("/processingModel.svg"),
                tr("Copy the model into my models (editable)…"),
                self.iface.mainWindow(),
            )
            self.copy_model_action.triggered.connect(self.copy_model)
            self.iface.addPluginToMenu(MENU, self.copy_model_action)

    def copy_model(self):
        """Copy the shipped models into the user's models, where the modeller can edit them."""
        from qgis.core import Qgis
        from qgis.PyQt.QtWidgets import QMessageBox

        from .processing.shipped_models import copy_to_user_models, existing_copies

        existing = existing_copies()
        if existing:
            answer = QMessageBox.question(
                self.iface.mainWindow(),
                tr("Copy the model into my models"),
                tr(
                    "{paths} already exist (perhaps edited). Replace them with the models "
                    "shipped with Hot Blocking?"
                ).format(paths=", ".join(map(str, existing))),
                QMessageBox.Yes | QMessageBox.No,
                QMessageBox.No,
            )
            if answer != QMessageBox.Yes:
                return
        try:
            copies = copy_to_user_models()
        except OSError as error:
            self.iface.messageBar().pushMessage(
                "Hot Blocking",
                tr("Could not copy the model: {error}").format(error=error),
                Qgis.Critical,
            )
            return
        self.iface.messageBar().pushMessage(
            "Hot Blocking",
            tr(
                "Models copied ({paths}): they are in the Processing Toolbox under Models > Hot "
                "Blocking; right-click one > Edit Model… to change it in the modeller."
            ).format(paths=", ".join(map(str, copies)) or "?"),
            Qgis.Success,
            0,
        )

    def unload(self):
        if self.copy_model_action is not None:
            self.iface.removePluginMenu(MENU, self.copy_model_action)
            self.copy_model_action.deleteLater()
            self.copy_model_action = None
        if self._unmark_plugin_manager is not None:
            self._unmark_plugin_manager()
            self._unmark_plugin_manager = None
        if self.explorer is not None:
            action = self.explorer.toggleViewAction()
            self.iface.removeToolBarIcon(action)
            self.iface.removePluginMenu(MENU, action)
            self.explorer.detach()
            self.iface.removeDockWidget(self.explorer)
            self.explorer.deleteLater()
            self.explorer = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
