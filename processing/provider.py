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
from .pipeline import PipelineAlgorithm
from .shipped_models import shipped_models, with_metre_widgets  # by scripts/make_model.py
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
            PipelineAlgorithm(),
        ):
            self.addAlgorithm(algorithm)
        for path in shipped_models():  # id "hotblocking:<model name>"
            model = ShippedModel()
            if model.fromFile(str(path)):
                model.setSourceFilePath(str(path))
                with_metre_widgets(model)
                self.addAlgorithm(model)
            else:
                QgsMessageLog.logMessage(
                    tr("Could not load {path}").format(path=path), "Hot Blocking", Qgis.Warning
                )

    # Every vector destination QGIS offers (destinations.py): database tables and memory
    # layers too, so the dialog offers "Save to Database Table" and temporary layers.
    def supportsNonFileBasedOutput(self):
        return True

    def supportedOutputVectorLayerExtensions(self):
        from .destinations import FILE_FORMATS

        return list(FILE_FORMATS)

    def defaultVectorFileExtension(self, hasGeometry=True):
        return "gpkg"

    def isSupportedOutputValue(self, outputValue, parameter, context):
        """Refuse, before any work, a destination the output cannot be kept in."""
        ok, message = super().isSupportedOutputValue(outputValue, parameter, context)
        algorithm = parameter.algorithm()
        if not ok or algorithm is None or not hasattr(algorithm, "output_specs"):
            return ok, message
        from . import destinations

        spec = next((s for s in algorithm.output_specs() if s.name == parameter.name()), None)
        if spec is None:
            return ok, message
        text = destinations.raw_value({parameter.name(): outputValue}, parameter)
        try:
            destinations.check(destinations.parse(text), spec)
        except destinations.DestinationError as error:
            return False, str(error)
        return True, ""
