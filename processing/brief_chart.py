"""The hour-of-week chart of a block page: 7 rows (Mon..Sun) x 24 hour columns.

Cells are shaded in four grey steps by their share of the block's busiest hour (white: no
incidents), so the chart reads the same in black-and-white print; the window's hours are
outlined in thick black (one box per run of hours, merged over consecutive days). The grid,
labels and shading are one manual table, the legend another (QGIS 3.22 layouts slow down
with every item added: each new item costs time in proportion to the items already there),
the outlines a few rectangles over them.
"""

from __future__ import annotations

import numpy as np
from qgis.core import QgsLayoutUtils

from ..hotblocking.constants import DAY_NAMES
from .brief_items import PageItems, cell, font, table_columns_x, text_format, wrap

WITHHELD = "Hour-of-week pattern withheld: too few incidents to show safely."

SHADES = [  # (upper share of the busiest hour, fill, legend text)
    (0.25, "#e3e3e3", "up to 25%"),
    (0.50, "#b5b5b5", "25-50%"),
    (0.75, "#7a7a7a", "50-75%"),
    (1.00, "#2b2b2b", "over 75%"),
]
DAY_COLUMN = 8.0
ROW = 4.4
GRID = 0.12
LEGEND = 4.6


def shade_classes(grid: np.ndarray) -> np.ndarray:
    """Class 0 (none) or 1..4 per cell by share of the block's busiest hour."""
    grid = np.asarray(grid, dtype=float)
    top = grid.max() if grid.size else 0.0
    if top <= 0:
        return np.zeros(grid.shape, dtype=int)
    share = grid / top
    classes = np.searchsorted([s for s, _, _ in SHADES], share, side="left") + 1
    return np.where(grid > 0, np.minimum(classes, len(SHADES)), 0)


def chart_height() -> float:
    return 8 * ROW + 9 * GRID + LEGEND + 1.0


def add_hour_chart(
    items: PageItems, x: float, y: float, w: float, grid, window_hours, withheld: str = ""
) -> float:
    """Draw the chart with its top left at (x, y) mm, ``w`` mm wide; returns its height.

    ``grid``: 7 x 24 values of the whole week, or None when withheld or not known (then
    ``withheld`` says why); ``window_hours``: 7 x 24 booleans (the hours the window
    touches: outlined, so what happens just outside the window shows beside it). A window
    covering every hour (whole-period) gets no outline.
    """
    hour_w = (w - DAY_COLUMN - 25 * GRID) / 24.0
    widths = [DAY_COLUMN] + [hour_w] * 24
    classes = shade_classes(grid) if grid is not None else np.zeros((7, 24), dtype=int)
    rows = [[cell("")] + [cell(f"{h:02d}", align="center") for h in range(24)]]
    for day, name in enumerate(DAY_NAMES):
        rows.append(
            [cell(name, align="center")]
            + [
                cell("", background=SHADES[classes[day, h] - 1][1] if classes[day, h] else None)
                for h in range(24)
            ]
        )
    items.table(
        x,
        y,
        [],
        rows,
        widths,
        body=font(6.5),
        header=font(6.5),
        aligns=["left"] + ["center"] * 24,
        margin=0.0,
        grid=GRID,
        grid_color="#a8a8a8",
        row_height=ROW,
        vertical_grid=True,
    )
    edges = table_columns_x(x, widths, 0.0, GRID)
    top = y + GRID + ROW + GRID  # under the row of hour labels
    boxes = [] if np.asarray(window_hours).all() else outline_boxes(window_hours)
    for first_day, last_day, first_hour, last_hour in boxes:
        x0, x1 = edges[1 + first_hour] - GRID / 2, edges[2 + last_hour] - GRID / 2
        y0 = top + first_day * (ROW + GRID) - GRID / 2
        items.rect(
            x0,
            y0,
            x1 - x0,
            (last_day - first_day + 1) * (ROW + GRID),
            fill=None,
            stroke="#000000",
            stroke_width=0.55,
        )
    legend_y = y + 8 * ROW + 9 * GRID + 1.2
    if grid is None:
        note_font = font(6.5, italic=True)
        items.text(
            "\n".join(wrap(note_font, withheld or WITHHELD, 24 * hour_w)),
            edges[1],
            legend_y + 0.4,
            24 * hour_w,
            note_font,
        )
        return chart_height()
    text = "Shading: share of the block's busiest hour"
    text_w = QgsLayoutUtils.textWidthMM(font(6.5), text) + 2.0
    items.text(text, edges[1], legend_y + 0.6, text_w, font(6.5), h=3.2)
    ramp = [cell("none", align="center")]
    for i, (_, fill, label) in enumerate(SHADES):
        c = cell(label, align="center", background=fill)
        if i >= 2:  # light text on the dark steps
            c.setTextFormat(text_format(font(6.5), "#ffffff"))
        ramp.append(c)
    items.table(
        edges[1] + text_w,
        legend_y,
        [],
        [ramp],
        [15.0] * len(ramp),
        body=font(6.5),
        header=font(6.5),
        aligns=["center"] * len(ramp),
        margin=0.0,
        grid=0.12,
        grid_color="#808080",
        row_height=LEGEND - 0.6,
        vertical_grid=True,
    )
    return chart_height()


def outline_boxes(window_hours) -> list[tuple[int, int, int, int]]:
    """Boxes ``(first_day, last_day, first_hour, last_hour)`` outlining the window's hours:
    runs of hours per day, merged across consecutive days with the same run."""
    mask = np.asarray(window_hours, dtype=bool).reshape(7, 24)
    boxes: list[list[int]] = []
    open_runs: dict[tuple[int, int], list[int]] = {}
    for day in range(7):
        hours = np.flatnonzero(mask[day])
        runs = (
            [
                (int(r[0]), int(r[-1]))
                for r in np.split(hours, np.flatnonzero(np.diff(hours) != 1) + 1)
            ]
            if hours.size
            else []
        )
        still_open = {}
        for run in runs:
            box = open_runs.get(run)
            if box is not None and box[1] == day - 1:
                box[1] = day
            else:
                box = [day, day, run[0], run[1]]
                boxes.append(box)
            still_open[run] = box
        open_runs = still_open
    return [tuple(b) for b in boxes]
