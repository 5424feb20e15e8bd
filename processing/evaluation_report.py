"""What hotblocking:evaluate shows: the log, the chart (PNG) and the report (PDF).

The report has two A4 landscape pages per window: a table of each method's mean hit rate
with its interval at every level, PAI and gain at the search level; then the hit rate
against coverage chart (:mod:`.evaluation_chart`). The search grid is represented by its best
configuration, so that a 16-setting grid does not bury the baselines.
"""

from __future__ import annotations

import pandas as pd
from qgis.PyQt.QtCore import QMarginsF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from ..hotblocking.evaluate import ALL_ORIGINS, PLAIN_COUNTS, best_settings, wins_over_plain
from .common import tr
from .evaluation_chart import PANEL_H, PANEL_W, draw_panel, write_png

CHART_TITLE = "Hit rate against coverage"
RESOLUTION = 150  # dots per inch of the PDF pages
ROW_H = 50  # table row height, in PDF pixels: two lines of 9 pt


def chart_rows(table: pd.DataFrame, grid: list[str], level: str) -> pd.DataFrame:
    """The summary rows to show: every method but the search grid, whose best configuration
    at ``level`` (per window) stands for it."""
    summary = table[table["origin"] == ALL_ORIGINS]
    if not grid:
        return summary
    best = best_settings(table, level, among=grid)
    best_of = set(zip(best["window"], best["method"]))
    pairs = pd.Series(list(zip(summary["window"], summary["method"])), index=summary.index)
    return summary[~summary["method"].isin(grid) | pairs.isin(best_of)]


def write_chart(path: str, shown: pd.DataFrame, windows: list[str]) -> None:
    write_png(path, shown, windows, tr(CHART_TITLE))


def write_report(
    path: str, table: pd.DataFrame, shown: pd.DataFrame, windows: list[str], level: str, grid
) -> None:
    """Per window: the table page, then the chart page (A4 landscape, selectable text)."""
    writer = QPdfWriter(path)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Landscape, QMarginsF(12, 12, 12, 12))
    )
    writer.setResolution(RESOLUTION)
    writer.setTitle(tr("Hot Blocking backtest"))
    painter = QPainter(writer)
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    for k, window in enumerate(windows):
        if k:
            writer.newPage()
        _table_pages(writer, painter, QRectF(0, 0, page.width(), page.height()), table, shown,
                     window, level, len(grid))  # fmt: skip
        writer.newPage()
        scale = min(page.width() / PANEL_W, page.height() / PANEL_H)
        painter.save()
        painter.scale(scale, scale)
        draw_panel(painter, QRectF(0, 0, PANEL_W, PANEL_H), shown, window, tr(CHART_TITLE))
        painter.restore()
    painter.end()


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _table_pages(writer, painter, box: QRectF, table, shown, window, level, grid_size) -> None:
    """The window's table, continued on further pages when its rows do not fit."""
    rows = shown[shown["window"] == window]
    levels = [lv for lv in dict.fromkeys(rows["level"])]
    origins = int(rows["origins"].max()) if len(rows) else 0
    painter.setPen(QPen(QColor("black")))
    painter.setFont(_font(16, bold=True))
    painter.drawText(
        QRectF(box.left(), box.top(), box.width(), 50),
        Qt.AlignLeft,
        tr("Backtest: {window}").format(window=window),
    )
    painter.setFont(_font(9))
    notes = [
        tr(
            "Mean hit rate over {origins} test period(s), with its 95% interval in brackets "
            "(the spread over test periods, or a bootstrap with one). Coverage levels are "
            "shares of network length; 'top N' is N blocks."
        ).format(origins=origins),
        tr(
            "PAI = hit rate / coverage (Chainey, Tompson and Uhlig 2008). Gain = hit rate "
            "minus plain counts' hit rate, in points, at {level}; 'higher in' counts the test "
            "periods where the method hit more than plain counts."
        ).format(level=level),
    ]
    if grid_size:
        notes.append(
            tr(
                "Search: {count} configurations tried; the best at {level} is shown "
                "(every one is in the output table)."
            ).format(count=grid_size, level=level)
        )
    notes.append(
        tr(
            "(best): the highest mean hit rate at {level} among the computerisk "
            "configurations; a tie goes to the one listed first."
        ).format(level=level)
    )
    y = box.top() + 60
    for note in notes:
        rect = QRectF(box.left(), y, box.width(), 60)
        used = painter.boundingRect(rect, Qt.AlignLeft | Qt.TextWordWrap, note)
        painter.drawText(rect, Qt.AlignLeft | Qt.TextWordWrap, note)
        y += used.height() + 8
    headers = (
        [tr("Method")]
        + levels
        + [
            tr("PAI at {level}").format(level=level),
            tr("Gain at {level}").format(level=level),
            tr("Higher in"),
        ]
    )
    widths = _column_widths(box.width(), len(levels))
    y = _draw_header(painter, box, y + 12, widths, headers)
    for _, group in rows.groupby("method", sort=False):
        if y + ROW_H > box.bottom():
            writer.newPage()
            y = _draw_header(painter, box, box.top(), widths, headers)
        _draw_row(painter, box.left(), y, widths, _cells(table, group, window, levels, level))
        y += ROW_H


def _draw_header(painter, box: QRectF, y: float, widths, headers) -> float:
    """The column headings at ``y``, underlined; returns where the first row goes."""
    painter.setFont(_font(9, bold=True))
    _draw_row(painter, box.left(), y, widths, headers)
    line = int(y + ROW_H - 8)
    painter.drawLine(int(box.left()), line, int(box.right()), line)
    painter.setFont(_font(9))
    return y + ROW_H


def _column_widths(width: float, n_levels: int) -> list[float]:
    method = width * 0.22
    tail = [width * 0.07, width * 0.15, width * 0.07]
    level = (width - method - sum(tail)) / max(n_levels, 1)
    return [method] + [level] * n_levels + tail


def _draw_row(painter, x: float, y: float, widths, cells) -> None:
    for width, cell in zip(widths, cells):
        painter.drawText(
            QRectF(x + 4, y, width - 8, ROW_H), Qt.AlignLeft | Qt.TextWordWrap, str(cell)
        )
        x += width


def _cells(table, group: pd.DataFrame, window: str, levels: list[str], level: str) -> list:
    by_level = {row["level"]: row for _, row in group.iterrows()}
    method = str(group["method"].iloc[0])
    best = level in by_level and bool(by_level[level]["best"])
    cells = [tr("{method} (best)").format(method=method) if best else method]
    for name in levels:
        row = by_level.get(name)
        cells.append("" if row is None else rate_text(row["hit_rate"], row["hit_rate_low"],
                                                      row["hit_rate_high"]))  # fmt: skip
    row = by_level.get(level)
    if row is None:
        return cells + ["", "", ""]
    wins, compared = wins_over_plain(table, window, method, level)
    cells.append(_number(row["pai"], "{:.1f}"))
    cells.append(gain_text(row["gain"], row["gain_low"], row["gain_high"]))
    compared = 0 if method == PLAIN_COUNTS else compared
    cells.append(tr("{wins} of {count}").format(wins=wins, count=compared) if compared else "")
    return cells


def _number(value, template: str) -> str:
    return "" if value != value else template.format(value)


def rate_text(rate, low, high) -> str:
    """0.412, 0.35, 0.47 -> '41.2% (35.0-47.0)'."""
    if rate != rate:
        return ""
    if low != low or high != high:
        return f"{100 * rate:.1f}%"
    return f"{100 * rate:.1f}% ({100 * low:.1f}-{100 * high:.1f})"


def gain_text(gain, low, high) -> str:
    """0.013, -0.005, 0.03 -> '+1.3 (-0.5 to +3.0)' points."""
    if gain != gain:
        return ""
    if low != low or high != high:
        return _signed(gain)
    return f"{_signed(gain)} ({_signed(low)} to {_signed(high)})"


def _signed(share: float) -> str:
    """A share in points with its sign; a value that rounds to zero is +0.0, never -0.0."""
    return f"{round(100 * share, 1) + 0.0:+.1f}"


def log_results(feedback, table: pd.DataFrame, level: str, windows: list[str]) -> pd.DataFrame:
    """Each window's methods at the search level, then its best configuration; returns the
    best rows."""
    summary = table[(table["origin"] == ALL_ORIGINS) & (table["level"] == level)]
    for window in windows:
        feedback.pushInfo(tr("{window}, at {level} of network length:").format(
            window=window, level=level))  # fmt: skip
        for _, row in summary[summary["window"] == window].iterrows():
            feedback.pushInfo(
                tr("  {method}: hit rate {rate}, PAI {pai}, gain {gain}").format(
                    method=row["method"],
                    rate=rate_text(row["hit_rate"], row["hit_rate_low"], row["hit_rate_high"]),
                    pai=_number(row["pai"], "{:.2f}"),
                    gain=gain_text(row["gain"], row["gain_low"], row["gain_high"]) or "-",
                )
            )
    best = summary[summary["best"]].set_index("window").reindex(windows).dropna(how="all")
    best = best.reset_index()
    for _, row in best.iterrows():
        wins, compared = wins_over_plain(table, row["window"], row["method"], level)
        feedback.pushInfo(
            tr(
                "Best for {window} at {level}: {method} ({settings}): hit rate {rate}, PAI "
                "{pai}, gain over plain counts {gain} points, higher in {wins} of {count} test "
                "period(s)."
            ).format(
                window=row["window"],
                level=level,
                method=row["method"],
                settings=row["settings"] or "-",
                rate=rate_text(row["hit_rate"], row["hit_rate_low"], row["hit_rate_high"]),
                pai=_number(row["pai"], "{:.2f}"),
                gain=gain_text(row["gain"], row["gain_low"], row["gain_high"]) or "-",
                wins=wins,
                count=compared,
            )
        )
    return best
