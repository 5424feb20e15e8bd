"""A Processing feedback that keeps what an algorithm logs, for tests to read."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class Log(QgsProcessingFeedback):
    """Keeps info lines (``lines``) and warnings (``warnings``), passing them on as usual."""

    def __init__(self):
        super().__init__()
        self.lines, self.warnings = [], []

    def pushInfo(self, info):  # noqa: N802 (QGIS's name)
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802 (QGIS's name)
        self.warnings.append(warning)
        super().pushWarning(warning)
