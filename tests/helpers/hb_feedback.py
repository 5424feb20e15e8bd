"""A Processing feedback that keeps what an algorithm said, for tests to read."""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class Log(QgsProcessingFeedback):
    """Every message in order (``lines``: warnings prefixed "WARNING ", errors "ERROR "),
    and the warnings and errors on their own."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def pushInfo(self, info):  # noqa: N802 (QGIS API name)
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802 (QGIS API name)
        self.lines.append("WARNING " + warning)
        self.warnings.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802 (QGIS API names)
        self.lines.append("ERROR " + error)
        self.errors.append(error)
        super().reportError(error, fatalError)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
