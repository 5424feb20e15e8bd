"""A 7 x 24 hour-of-week chart (rows Mon..Sun, columns 00..23), painted with QPainter.

The values come from the core: :func:`hotblocking.brief_content.hour_grid` turns a computerisk
``profile`` (168 comma-separated values from Monday 00:00) into the 7 x 24 array, and
:func:`hotblocking.windows.hour_of_week_label` names a cell. This widget only draws: each
cell is shaded from white (no incidents) to dark red by its share of the busiest hour,
and a cell's tooltip gives its hour and value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qgis.PyQt.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QFontMetrics, QPainter, QPen
from qgis.PyQt.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..hotblocking.constants import DAY_NAMES

if TYPE_CHECKING:
    import numpy as np

EMPTY = QColor("#ffffff")
FULL = QColor("#b30000")  # the plugin icon's red
GRID_LINE = QColor("#c8c8c8")
TEXT = QColor("#404040")
OUTLINE = QColor("#000000")


class HourChart(QWidget):
    """Hour-of-week chart. ``set_profile(text)`` or ``set_grid(array)``; ``values()`` is the
    7 x 24 array drawn (zeros when there is nothing to draw).

    numpy and the core are imported when there is something to draw, not when the dock is
    built at QGIS start-up."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._values = None  # nothing to draw (values() gives zeros)
        self._window = None  # 7 x 24 booleans: the window's hours, outlined
        self._message = ""
        self.setMouseTracking(True)
        self.setMinimumSize(260, 110)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    # --- data --------------------------------------------------------------------------

    def set_profile(self, profile_text) -> None:
        """Show a computerisk ``profile`` value (text, NULL or empty). An unreadable
        profile is not drawn; :meth:`message` then says why."""
        from ..hotblocking.brief_content import hour_grid

        try:
            self.set_grid(hour_grid(profile_text))
        except ValueError as error:
            self.set_grid(None, message=str(error))

    def set_grid(self, grid, message: str = "") -> None:
        if grid is None:
            self._values = None
        else:
            import numpy as np

            self._values = np.asarray(grid, float).reshape(7, 24)
        self._message = message
        self.update()

    def set_window_hours(self, hours) -> None:
        """Outline these hours (168 or 7 x 24 booleans, e.g. ``Window.hour_mask()``); None,
        or every hour (a whole-period window), outlines nothing."""
        if hours is None:
            self._window = None
        else:
            import numpy as np

            mask = np.asarray(hours, dtype=bool).reshape(7, 24)
            self._window = None if mask.all() else mask
        self.update()

    def window_hours(self):
        """The outlined hours (7 x 24 booleans), or None."""
        return None if self._window is None else self._window.copy()

    def outline_edges(self) -> list[tuple[int, int, str]]:
        """``(day, hour, side)`` of each outline edge: the sides ("top", "bottom", "left",
        "right") of window cells that border a cell outside the window or the grid's edge
        (a night past midnight goes on at the start of the next row, outlined there too)."""
        if self._window is None:
            return []
        edges = []
        inside = self._window
        for day in range(7):
            for hour in range(24):
                if not inside[day, hour]:
                    continue
                for side, (d, h) in (
                    ("top", (day - 1, hour)),
                    ("bottom", (day + 1, hour)),
                    ("left", (day, hour - 1)),
                    ("right", (day, hour + 1)),
                ):
                    if not (0 <= d < 7 and 0 <= h < 24 and inside[d, h]):
                        edges.append((day, hour, side))
        return edges

    def values(self) -> np.ndarray:
        import numpy as np

        return np.zeros((7, 24)) if self._values is None else self._values.copy()

    def message(self) -> str:
        return self._message

    def is_empty(self) -> bool:
        return self._values is None or not (self._values > 0).any()

    def cell_color(self, day: int, hour: int) -> QColor:
        """White for no incidents, else blended towards dark red by the share of the
        busiest hour (the busiest cell is the full colour)."""
        if self._values is None:
            return QColor(EMPTY)
        top = self._values.max()
        value = self._values[day, hour]
        if top <= 0 or not value > 0:
            return QColor(EMPTY)
        share = 0.15 + 0.85 * float(value / top)  # a non-zero hour never looks empty
        return QColor(
            round(EMPTY.red() + (FULL.red() - EMPTY.red()) * share),
            round(EMPTY.green() + (FULL.green() - EMPTY.green()) * share),
            round(EMPTY.blue() + (FULL.blue() - EMPTY.blue()) * share),
        )

    # --- geometry ----------------------------------------------------------------------

    def _layout(self) -> tuple[QRectF, float, float]:
        """The grid's rectangle and one cell's width and height, for the current size."""
        metrics = QFontMetrics(self.font())
        left = metrics.horizontalAdvance("Wed") + 8
        top = metrics.height() + 4
        width = max(self.width() - left - 2, 24)
        height = max(self.height() - top - 2, 7)
        return QRectF(left, top, width, height), width / 24.0, height / 7.0

    def cell_at(self, point) -> tuple[int, int] | None:
        """``(day, hour)`` of the cell under a widget point, or None outside the grid."""
        grid, cell_w, cell_h = self._layout()
        point = QPointF(point)
        if not grid.contains(point):
            return None
        hour = min(int((point.x() - grid.left()) / cell_w), 23)
        day = min(int((point.y() - grid.top()) / cell_h), 6)
        return day, hour

    def cell_rect(self, day: int, hour: int) -> QRectF:
        grid, cell_w, cell_h = self._layout()
        return QRectF(grid.left() + hour * cell_w, grid.top() + day * cell_h, cell_w, cell_h)

    def sizeHint(self) -> QSize:
        return QSize(360, 150)

    # --- painting and tooltips ---------------------------------------------------------

    def paintEvent(self, event):
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        grid, cell_w, cell_h = self._layout()
        metrics = QFontMetrics(self.font())
        painter.fillRect(self.rect(), self.palette().base())
        painter.setPen(QPen(GRID_LINE, 1))
        for day in range(7):
            for hour in range(24):
                rect = self.cell_rect(day, hour)
                painter.fillRect(rect, self.cell_color(day, hour))
                painter.drawRect(rect)
        painter.setPen(QPen(OUTLINE, 2))
        for day, hour, side in self.outline_edges():
            rect = self.cell_rect(day, hour)
            ends = {
                "top": (rect.topLeft(), rect.topRight()),
                "bottom": (rect.bottomLeft(), rect.bottomRight()),
                "left": (rect.topLeft(), rect.bottomLeft()),
                "right": (rect.topRight(), rect.bottomRight()),
            }[side]
            painter.drawLine(*ends)
        painter.setPen(TEXT)
        for day, name in enumerate(DAY_NAMES):
            rect = QRectF(0, grid.top() + day * cell_h, grid.left() - 4, cell_h)
            painter.drawText(rect, int(Qt.AlignRight | Qt.AlignVCenter), name)
        step = 1 if cell_w >= metrics.horizontalAdvance("00") + 2 else 3
        for hour in range(0, 24, step):
            rect = QRectF(grid.left() + hour * cell_w, 0, cell_w * step, grid.top() - 2)
            painter.drawText(rect, int(Qt.AlignLeft | Qt.AlignBottom), f"{hour:02d}")
        if self._message or self.is_empty():
            text = self._message or "No incidents in this window"
            painter.setPen(TEXT)
            painter.drawText(grid, int(Qt.AlignCenter | Qt.TextWordWrap), text)

    def event(self, event):
        if event.type() == QEvent.ToolTip:
            cell = self.cell_at(event.pos())
            if cell is None:
                QToolTip.hideText()
            else:
                from ..hotblocking.windows import hour_of_week_label

                day, hour = cell
                value = 0.0 if self._values is None else round(float(self._values[day, hour]), 2)
                text = f"{hour_of_week_label(day * 24 + hour)}: {value:g}"
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)
