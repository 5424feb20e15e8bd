"""The Hot Blocking Processing provider (id ``hotblocking``)."""

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMessageLog,
    QgsProcessingModelAlgorithm,
    QgsProcessingProvider,
)
from qgis.PyQt.QtGui import QIcon

from .. import (
    plugin_dependencies,
    resources,  # noqa: F401  (registers :/plugins/hotblocking/ icons)
)
from ..plugin_metadata import plugin_version
from .build_blocks import BuildBlocksAlgorithm
from .common import ICON_PATH, tr
from .compute_risk import ComputeRiskAlgorithm
from .evaluate import EvaluateAlgorithm
from .join_incidents import JoinIncidentsAlgorithm
from .shipped_models import shipped_models  # made by scripts/make_model.py
from .style_hot_blocks import StyleHotBlocksAlgorithm
from .tasking_brief import TaskingBriefAlgorithm


class ShippedModel(QgsProcessingModelAlgorithm):
    """A .model3 shipped with the plugin. A model's group id is its group's text; this one
    shares the algorithms' group id, so the toolbox shows one "Hot Blocking" group, not two."""

    def groupId(self):
        return "hotblocking"

    def createInstance(self):
        # Each run gets a copy: keep it a ShippedModel (QGIS's own copy would drop the
        # overrides here).
        model = ShippedModel()
        model.loadVariant(self.toVariant())
        model.setSourceFilePath(self.sourceFilePath())
        return model

    # Refuses up front, with the same message as its steps, when packages are missing.
    def canExecute(self):
        problem = plugin_dependencies.problem_message()
        return (False, problem) if problem else super().canExecute()

    def checkParameterValues(self, parameters, context):
        problem = plugin_dependencies.problem_message()
        if problem:
            return False, problem
        return super().checkParameterValues(parameters, context)


class HotBlockingProvider(QgsProcessingProvider):
    def id(self):
        return "hotblocking"

    def name(self):
        return "Hot Blocking"

    def longName(self):
        return f"Hot Blocking {plugin_version()}"

    def icon(self):
        return QIcon(ICON_PATH)

    def versionInfo(self):
        return plugin_version()

    def load(self):
        # A model finds its steps through the registry, which lists this provider only once
        # load() has returned: reload then, as QGIS's own model provider does on providerAdded
        # (else the toolbox's copy of a model has no outputs).
        QgsApplication.processingRegistry().providerAdded.connect(self._reload_for_models)
        return super().load()

    def _reload_for_models(self, provider_id):
        if provider_id == self.id():
            QgsApplication.processingRegistry().providerAdded.disconnect(self._reload_for_models)
            self.refreshAlgorithms()

    def loadAlgorithms(self):
        for algorithm in (
            BuildBlocksAlgorithm(),
            JoinIncidentsAlgorithm(),
            ComputeRiskAlgorithm(),
            TaskingBriefAlgorithm(),
            StyleHotBlocksAlgorithm(),
            EvaluateAlgorithm(),
        ):
            self.addAlgorithm(algorithm)
        for path in shipped_models():  # id "hotblocking:<model name>"
            model = ShippedModel()
            if model.fromFile(str(path)):
                model.setSourceFilePath(str(path))
                self.addAlgorithm(model)
            else:
                QgsMessageLog.logMessage(
                    tr("Could not load {path}").format(path=path), "Hot Blocking", Qgis.Warning
                )

    # Outputs are written in bulk straight to GeoPackage (see gpkg_writer): temporary
    # outputs must be files, not memory layers, for every run path to behave the same.
    def supportsNonFileBasedOutput(self):
        return False

    def supportedOutputVectorLayerExtensions(self):
        return ["gpkg"]

    def defaultVectorFileExtension(self, hasGeometry=True):
        return "gpkg"
