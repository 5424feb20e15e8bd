"""The Hot Blocking Processing provider (id ``hotblocking``)."""

from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .. import resources  # noqa: F401  (registers :/plugins/hotblocking/ icons)
from ..plugin_metadata import plugin_version
from .common import ICON_PATH
from .build_blocks import BuildBlocksAlgorithm
from .compute_risk import ComputeRiskAlgorithm
from .join_incidents import JoinIncidentsAlgorithm
from .style_hot_blocks import StyleHotBlocksAlgorithm
from .tasking_brief import TaskingBriefAlgorithm

MODELS = Path(__file__).resolve().parent.parent / "models"  # graphical models shipped with the plugin


class HotBlockingProvider(QgsProcessingProvider):
    def id(self):
        return "hotblocking"

    def name(self):
        return "Hot Blocking"

    def longName(self):  # noqa: N802 (QGIS API name)
        return f"Hot Blocking {plugin_version()}"

    def icon(self):
        return QIcon(ICON_PATH)

    def versionInfo(self):  # noqa: N802 (QGIS API name)
        return plugin_version()

    def loadAlgorithms(self):  # noqa: N802 (QGIS API name)
        for algorithm in (
            BuildBlocksAlgorithm(), JoinIncidentsAlgorithm(), ComputeRiskAlgorithm(),
            TaskingBriefAlgorithm(), StyleHotBlocksAlgorithm(),
        ):
            self.addAlgorithm(algorithm)
        # Shipped .model3 files, id "hotblocking:<model name>". Their steps are this
        # provider's algorithms, which the registry resolves when the model runs.
        for path in sorted(MODELS.glob("*.model3")):
            model = QgsProcessingModelAlgorithm()
            if model.fromFile(str(path)):
                self.addAlgorithm(model)
            else:
                QgsMessageLog.logMessage(f"Could not load the model {path}", "Hot Blocking", Qgis.Warning)

    # Outputs are written in bulk straight to GeoPackage (see gpkg_writer): temporary
    # outputs must be files, not memory layers, for every run path to behave the same.
    def supportsNonFileBasedOutput(self):  # noqa: N802 (QGIS API name)
        return False

    def supportedOutputVectorLayerExtensions(self):  # noqa: N802 (QGIS API name)
        return ["gpkg"]

    def defaultVectorFileExtension(self, hasGeometry=True):  # noqa: N802,N803
        return "gpkg"
