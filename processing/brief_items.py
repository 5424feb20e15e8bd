"""Small layout-item helpers for the brief: text boxes, rectangles, rules, word wrapping.

Positions are millimetres from the top left of a page. Text is pre-wrapped here (measured
with QgsLayoutUtils) so the caller knows each block's height and can stack them.
"""

from __future__ import annotations

from qgis.core import (
    QgsFillSymbol,
    QgsLayoutFrame,
    QgsLayoutItemLabel,
    QgsLayoutItemManualTable,
    QgsLayoutItemPolyline,
    QgsLayoutItemShape,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTable,
    QgsLayoutTableColumn,
    QgsLayoutTableStyle,
    QgsLayoutUtils,
    QgsLineSymbol,
    QgsTableCell,
    QgsTextFormat,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import QPointF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QPolygonF

MM = QgsUnitTypes.LayoutMillimeters
ALIGN = {"left": Qt.AlignLeft, "center": Qt.AlignHCenter, "right": Qt.AlignRight}


def font(size: float, bold: bool = False, italic: bool = False) -> QFont:
    # No family named: the default font of the machine making the brief. A named family it
    # lacks ("DejaVu Sans" on Windows) is matched to whatever Qt finds, and an empty name
    # to the first font Qt knows (a TeX math font here).
    f = QFont()
    f.setPointSizeF(size)
    f.setBold(bold)
    f.setItalic(italic)
    # no ligatures: "staff" must stay s-t-a-f-f in the PDF text (search, copy, pdftotext)
    f.setStyleStrategy(QFont.PreferNoShaping)
    return f


def text_format(f: QFont, color: str = "#000000") -> QgsTextFormat:
    fmt = QgsTextFormat()
    fmt.setFont(f)
    fmt.setSize(f.pointSizeF())
    fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
    fmt.setColor(QColor(color))
    return fmt


def cell(text: str, *, align="left", background=None) -> QgsTableCell:
    c = QgsTableCell(text)
    c.setHorizontalAlignment(ALIGN[align])
    c.setVerticalAlignment(Qt.AlignVCenter)
    if background:
        c.setBackgroundColor(QColor(background))
    return c


def line_height(f: QFont) -> float:
    """Distance between two lines of ``f`` in mm."""
    return QgsLayoutUtils.textHeightMM(f, "Ag\nAg") - QgsLayoutUtils.textHeightMM(f, "Ag")


def shorten_to(f: QFont, text: str, width: float) -> str:
    """``text`` cut at a word and ended with an ellipsis when it is wider than ``width`` mm."""
    if QgsLayoutUtils.textWidthMM(f, text) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        shorter = " ".join(words).rstrip(",") + "…"
        if QgsLayoutUtils.textWidthMM(f, shorter) <= width:
            return shorter
    return text


def wrap(f: QFont, text: str, width: float, indent: str = "") -> list[str]:
    """``text`` broken into lines no wider than ``width`` mm (long words are kept whole).
    Continuation lines start with ``indent`` (e.g. spaces under a bullet)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            trial = f"{current} {word}" if current else word
            if current and QgsLayoutUtils.textWidthMM(f, trial) > width:
                lines.append(current)
                current = indent + word
            else:
                current = trial
        lines.append(current)
    return lines


class PageItems:
    """Adds items to one page of a layout."""

    def __init__(self, layout, page: int):
        self.layout = layout
        self.page = page
        self.origin = layout.pageCollection().page(page).pos()

    def place(self, item, x, y, w, h):
        self.layout.addLayoutItem(item)
        item.attemptMove(QgsLayoutPoint(x, y, MM), True, False, self.page)
        item.attemptResize(QgsLayoutSize(w, h, MM))
        return item

    def text(self, text, x, y, w, f: QFont, *, align="left", color="#000000", h=None, valign="top"):
        """A text box; returns its height in mm (lines x line height unless ``h``)."""
        label = QgsLayoutItemLabel(self.layout)
        label.setText(text)
        label.setFont(f)
        label.setFontColor(QColor(color))
        label.setHAlign(ALIGN[align])
        label.setVAlign(
            {"top": Qt.AlignTop, "middle": Qt.AlignVCenter, "bottom": Qt.AlignBottom}[valign]
        )
        label.setMarginX(0)
        label.setMarginY(0)
        lines = text.count("\n") + 1
        height = h if h is not None else lines * line_height(f) + 0.8
        self.place(label, x, y, w, height)
        return height

    def wrapped(self, text, x, y, w, f: QFont, *, indent="", **kwargs):
        """Word-wrapped text box; returns its height in mm."""
        return self.text("\n".join(wrap(f, text, w, indent)), x, y, w, f, **kwargs)

    def rect(self, x, y, w, h, *, fill="#ffffff", stroke="#000000", stroke_width=0.25, radius=0.0):
        shape = QgsLayoutItemShape(self.layout)
        shape.setShapeType(QgsLayoutItemShape.Rectangle)
        props = {
            "color": fill or "0,0,0,0",
            "outline_color": stroke or "0,0,0,0",
            "outline_width": str(stroke_width),
            "outline_style": "solid" if stroke else "no",
            "style": "solid" if fill else "no",
            "joinstyle": "miter",
        }
        shape.setSymbol(QgsFillSymbol.createSimple(props))
        if radius:
            from qgis.core import QgsLayoutMeasurement

            shape.setCornerRadius(QgsLayoutMeasurement(radius, MM))
        return self.place(shape, x, y, w, h)

    def rule(self, x0, y0, x1, y1, *, color="#000000", width=0.3):
        """A straight line from (x0, y0) to (x1, y1) mm."""
        polygon = QPolygonF(
            [
                QPointF(self.origin.x() + x0, self.origin.y() + y0),
                QPointF(self.origin.x() + x1, self.origin.y() + y1),
            ]
        )
        line = QgsLayoutItemPolyline(polygon, self.layout)
        line.setSymbol(QgsLineSymbol.createSimple({"line_color": color, "line_width": str(width)}))
        self.layout.addLayoutItem(line)
        return line

    def table(
        self,
        x,
        y,
        headings,
        rows,
        widths,
        *,
        body: QFont,
        header: QFont,
        aligns=None,
        margin=1.0,
        grid=0.15,
        grid_color="#9a9a9a",
        row_height=None,
        header_height=None,
        vertical_grid=False,
        header_background=None,
        band=None,
    ):
        """A manual table (one item, selectable text) with its top left at (x, y) mm.

        ``rows``: lists of str or QgsTableCell; ``widths``: column content widths in mm;
        ``row_height``: the content rows' height in mm (margins included). The header row
        (``headings``; none when empty) is as tall as its font needs: ``header_height`` is
        only the caller's estimate of it. Returns ``(table, estimated height)``; column
        edges: :func:`table_columns_x`.
        """
        aligns = aligns or ["left"] * len(headings)
        table = QgsLayoutItemManualTable.create(self.layout)
        self.layout.addMultiFrame(table)
        columns = []
        for heading, align in zip(headings, aligns):
            column = QgsLayoutTableColumn(heading)
            column.setHAlignment(ALIGN[align])
            columns.append(column)
        table.setHeaders(columns)
        table.setIncludeTableHeader(bool(headings))
        table.setHeaderHAlignment(QgsLayoutTable.FollowColumn)
        table.setHeaderTextFormat(text_format(header))
        table.setContentTextFormat(text_format(body))
        table.setCellMargin(margin)
        table.setGridStrokeWidth(grid)
        table.setGridColor(QColor(grid_color))
        table.setShowGrid(grid > 0)
        table.setHorizontalGrid(True)
        table.setVerticalGrid(vertical_grid)
        for kind, colour in (
            (QgsLayoutTable.HeaderRow, header_background),
            (QgsLayoutTable.EvenRows, band),
        ):
            if colour:
                style = QgsLayoutTableStyle()
                style.enabled = True
                style.cellBackgroundColor = QColor(colour)
                table.setCellStyle(kind, style)
        table.setColumnWidths(list(widths))
        g = grid if grid > 0 else 0.0
        # setRowHeights sets the content rows only (the header row follows its font)
        table.setRowHeights([max((row_height or 0) - 2 * margin, 0.0)] * len(rows))
        table.setTableContents(
            [
                [
                    c if isinstance(c, QgsTableCell) else cell(str(c), align=a)
                    for c, a in zip(r, aligns)
                ]
                for r in rows
            ]
        )
        heights = [row_height or 0] * len(rows)
        if headings:
            heights.insert(0, header_height or row_height or 0)
        total = sum(heights) + g * (len(heights) + 1)
        frame = QgsLayoutFrame(self.layout, table)
        table.addFrame(frame)
        total = sum(heights) + 2 * margin * len(heights) + g * (len(heights) + 1)
        frame.attemptMove(QgsLayoutPoint(x, y, MM), True, False, self.page)
        frame.attemptResize(
            QgsLayoutSize(
                sum(widths) + 2 * margin * len(widths) + g * (len(widths) + 1) + 0.01,
                total + 2.0,
                MM,
            )
        )
        table.setResizeMode(QgsLayoutItemManualTable.UseExistingFrames)
        return table, total


def table_columns_x(x, widths, margin, grid):
    """Left edges of each column's cell box and the table's right edge, in mm."""
    edges, cursor = [], x + grid
    for w in widths:
        edges.append(cursor)
        cursor += w + 2 * margin + grid
    edges.append(cursor - grid)
    return edges
