"""Hit rate against coverage: a PNG and a printable PDF page per window, drawn with QPainter.

One panel per window: x is the share of network length chosen, y the share of the test
period's incidents on the chosen blocks. Each method is a line with its own dash pattern and
marker (it reads in black and white) and a bar from the low to the high end of its interval
(the spread over rolling origins, or the bootstrap interval with one origin). The diagonal is
what choosing blocks at random gives on average.
"""

from __future__ import annotations

from qgis.PyQt.QtCore import QMarginsF, QPointF, QRectF, Qt
from qgis.PyQt.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from .common import tr

PANEL_W, PANEL_H = 1000, 560  # pixels of one window's panel in the PNG
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 90, 330, 60, 70
LEGEND_STEP = 32  # pixels between legend entries (two lines of text each)
DASHES = [Qt.SolidLine, Qt.DashLine, Qt.DotLine, Qt.DashDotLine, Qt.DashDotDotLine]
GREYS = ["#000000", "#555555", "#888888", "#333333", "#aaaaaa"]
MARKERS = ["circle", "square", "triangle", "diamond", "cross"]


def _font(points: float, bold: bool = False) -> QFont:
    """The machine's default font (a named family may be missing; an empty one draws in
    Qt's first font, often a symbol font)."""
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _nice_top(value: float) -> float:
    """The axis end: the first round share at or above ``value`` (five even ticks)."""
    for top in (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        if value <= top + 1e-12:
            return top
    return 1.0


def curves(summary, window: str) -> dict[str, list[tuple[float, float, float, float]]]:
    """Method -> [(coverage, hit rate, low, high)] from the summary rows of one window,
    coverage levels only (not top N), sorted by coverage."""
    rows = summary[(summary["window"] == window) & summary["level"].str.endswith("%")]
    out: dict[str, list] = {}
    for method, group in rows.groupby("method", sort=False):
        points = sorted(
            zip(group["coverage"], group["hit_rate"], group["hit_rate_low"], group["hit_rate_high"])
        )
        out[str(method)] = [tuple(float(v) for v in p) for p in points]
    return out


def write_png(path: str, summary, windows: list[str], title: str) -> None:
    image = QImage(PANEL_W, PANEL_H * max(len(windows), 1), QImage.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    for k, window in enumerate(windows):
        draw_panel(painter, QRectF(0, k * PANEL_H, PANEL_W, PANEL_H), summary, window, title)
    painter.end()
    if not image.save(path, "PNG"):
        raise OSError(tr("Could not write the chart to {path}").format(path=path))


def write_pdf(path: str, summary, windows: list[str], title: str) -> None:
    """A4 landscape, one window a page, scaled from the PNG's layout."""
    writer = QPdfWriter(path)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Landscape, QMarginsF(12, 12, 12, 12))
    )
    writer.setResolution(150)
    painter = QPainter(writer)
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    scale = min(page.width() / PANEL_W, page.height() / PANEL_H)
    for k, window in enumerate(windows):
        if k:
            writer.newPage()
        painter.save()
        painter.scale(scale, scale)
        draw_panel(painter, QRectF(0, 0, PANEL_W, PANEL_H), summary, window, title)
        painter.restore()
    painter.end()


def draw_panel(painter: QPainter, box: QRectF, summary, window: str, title: str) -> None:
    """One window's chart inside ``box`` (PANEL_W x PANEL_H units)."""
    plot = QRectF(
        box.left() + MARGIN_L,
        box.top() + MARGIN_T,
        box.width() - MARGIN_L - MARGIN_R,
        box.height() - MARGIN_T - MARGIN_B,
    )
    data = curves(summary, window)
    top_x = _nice_top(max([c for pts in data.values() for c, *_ in pts] + [0.05]))
    top_y = _nice_top(max([h for pts in data.values() for *_, h in pts if h == h] + [0.1]))

    def at(x: float, y: float) -> QPointF:
        return QPointF(
            plot.left() + plot.width() * x / top_x, plot.bottom() - plot.height() * y / top_y
        )

    painter.setFont(_font(14, bold=True))
    painter.setPen(QPen(QColor("black")))
    painter.drawText(
        QRectF(box.left() + 10, box.top() + 10, box.width() - 20, 30),
        Qt.AlignLeft,
        tr("{title}: {window}").format(title=title, window=window),
    )
    _draw_axes(painter, plot, top_x, top_y, at)
    painter.setPen(QPen(QColor("#bbbbbb"), 1, Qt.DotLine))
    painter.drawLine(at(0, 0), at(min(top_x, top_y), min(top_x, top_y)))  # random on average
    for k, (method, points) in enumerate(data.items()):
        _draw_curve(painter, points, at, k)
        _draw_legend_entry(painter, box, plot, k, method)


def _draw_axes(painter, plot: QRectF, top_x: float, top_y: float, at) -> None:
    painter.setPen(QPen(QColor("black"), 1.5))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    painter.drawLine(plot.bottomLeft(), plot.topLeft())
    painter.setFont(_font(10))
    for k in range(6):
        x = top_x * k / 5
        p = at(x, 0)
        painter.drawLine(p, p + QPointF(0, 5))
        painter.drawText(QRectF(p.x() - 30, p.y() + 8, 60, 18), Qt.AlignHCenter, f"{100 * x:.0f}%")
        y = top_y * k / 5
        q = at(0, y)
        painter.drawLine(q, q - QPointF(5, 0))
        painter.drawText(QRectF(q.x() - 60, q.y() - 9, 50, 18), Qt.AlignRight, f"{100 * y:.0f}%")
    painter.drawText(
        QRectF(plot.left(), plot.bottom() + 32, plot.width(), 20),
        Qt.AlignHCenter,
        tr("Share of network length chosen (coverage)"),
    )
    painter.save()
    painter.translate(plot.left() - 70, plot.center().y())
    painter.rotate(-90)
    painter.drawText(
        QRectF(-plot.height() / 2, -10, plot.height(), 20),
        Qt.AlignHCenter,
        tr("Test incidents on chosen blocks (hit rate)"),
    )
    painter.restore()


def _style(k: int) -> tuple[QColor, object, str]:
    """The k-th method's grey, dash pattern and marker: 25 distinct combinations."""
    n = len(GREYS)
    return QColor(GREYS[k % n]), DASHES[(k + k // n) % n], MARKERS[(k + 2 * (k // n)) % n]


def _draw_curve(painter: QPainter, points, at, k: int) -> None:
    colour, dash, marker = _style(k)
    painter.setPen(QPen(colour, 2.2, dash))
    line = [at(c, h) for c, h, _, _ in points if h == h]
    for a, b in zip(line, line[1:]):
        painter.drawLine(a, b)
    painter.setPen(QPen(colour, 1.2))
    for c, _, low, high in points:
        if low == low and high == high:
            painter.drawLine(at(c, low), at(c, high))
    for p in line:
        _draw_marker(painter, p, marker, colour)


def _draw_marker(painter: QPainter, p: QPointF, kind: str, colour: QColor) -> None:
    painter.setBrush(colour)
    r = 5.0
    if kind == "circle":
        painter.drawEllipse(p, r, r)
    elif kind == "square":
        painter.drawRect(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
    elif kind == "triangle":
        painter.drawPolygon(
            QPointF(p.x(), p.y() - r), QPointF(p.x() - r, p.y() + r), QPointF(p.x() + r, p.y() + r)
        )
    elif kind == "diamond":
        painter.drawPolygon(
            QPointF(p.x(), p.y() - r),
            QPointF(p.x() + r, p.y()),
            QPointF(p.x(), p.y() + r),
            QPointF(p.x() - r, p.y()),
        )
    else:
        painter.drawLine(p - QPointF(r, r), p + QPointF(r, r))
        painter.drawLine(p - QPointF(r, -r), p + QPointF(r, -r))
    painter.setBrush(Qt.NoBrush)


def _draw_legend_entry(painter: QPainter, box: QRectF, plot: QRectF, k: int, method: str) -> None:
    x = plot.right() + 20
    y = plot.top() + 10 + LEGEND_STEP * k
    colour, dash, marker = _style(k)
    painter.setPen(QPen(colour, 2.2, dash))
    painter.drawLine(QPointF(x, y), QPointF(x + 36, y))
    _draw_marker(painter, QPointF(x + 18, y), marker, colour)
    painter.setPen(QPen(QColor("black")))
    painter.setFont(_font(9))
    painter.drawText(
        QRectF(x + 44, y - 8, box.right() - x - 50, LEGEND_STEP),
        Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap,
        method,
    )
