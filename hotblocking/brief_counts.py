"""The counts one section of a brief prints, made safe to print together (pure).

One window's section prints, for the listed blocks, the count per source and the total,
and for the area the count per source and the total; for a whole-period window also the
records without a time of day (per block and for the area). These figures add up:

* per block: sources = total; records without a time of day + records with one = total;
* per source and for the total: the listed blocks + the blocks not listed = the area;
* for the area: sources = total; without a time of day + with one = total.

:func:`section_counts` states these sums as a :class:`hotblocking.cell_suppression.CountTable`
(the blocks not listed and the records with a time of day are never printed) and lets
:func:`hotblocking.cell_suppression.protect` choose what to withhold, so that no count
below ``min_shown`` can be worked out from the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema
from .cell_suppression import PRIMARY, PRINTED, SECONDARY, CountTable, protect
from .disclosure import WITHHELD, suppress_count


@dataclass
class SectionCounts:
    """Printed texts: per listed block (sources, total, records without a time of day) and
    for the area; ``*_hidden`` is True where the figure is not printed as a number."""

    block_sources: list[list[str]]
    block_totals: list[str]
    block_untimed: list[str]
    area_sources: list[str]
    area_total: str
    area_untimed: str
    total_hidden: list[bool]
    total_small: list[bool]
    area_hidden: bool


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def section_counts(
    frame: pd.DataFrame,
    rows: pd.DataFrame,
    source_columns: list[str],
    min_shown: int,
    untimed: tuple[np.ndarray, float] | None = None,
) -> SectionCounts:
    """Texts for one window's section: ``frame`` all its rows, ``rows`` the listed ones;
    ``untimed`` (whole-period windows): the listed blocks' records without a time of day
    and the area's."""
    table = CountTable()
    cells = np.column_stack([_number(rows, c) for c in source_columns] or [np.zeros(len(rows))])
    cells = cells[:, : len(source_columns)]
    totals = _number(rows, schema.INCIDENTS)
    area_by_source = [float(_number(frame, c).sum()) for c in source_columns]
    area = float(_number(frame, schema.INCIDENTS).sum())

    cell_ids = [[table.add(v) for v in row] for row in cells]
    total_ids = [table.add(v) for v in totals]
    for parts, total in zip(cell_ids, total_ids):
        if parts:
            table.add_sum(parts, total)
    area_ids = [table.add(v) for v in area_by_source]
    area_id = table.add(area)
    if area_ids:
        table.add_sum(area_ids, area_id)
    # the blocks not listed: unknown to a reader, unless every block is listed (then 0)
    known = len(rows) == len(frame)

    def rest(value: float) -> int:
        return table.add(0.0 if known else value, shown=known, sensitive=False)

    rest_ids = []
    for j, area_j in enumerate(area_ids):
        rest_ids.append(rest(area_by_source[j] - cells[:, j].sum()))
        table.add_sum([row[j] for row in cell_ids] + [rest_ids[-1]], area_j)
    rest_total = rest(area - totals.sum())
    table.add_sum([*total_ids, rest_total], area_id)
    if rest_ids:
        table.add_sum(rest_ids, rest_total)
    untimed_ids, area_untimed_id = [], None
    if untimed is not None:
        per_block, area_untimed = untimed
        timed_ids = []
        for u, total, total_id in zip(per_block, totals, total_ids):
            u_id = table.add(u)
            k_id = table.add(max(total - u, 0.0), shown=False)
            table.add_sum([u_id, k_id], total_id)
            untimed_ids.append(u_id)
            timed_ids.append(k_id)
        area_untimed_id = table.add(area_untimed)
        area_timed = table.add(max(area - area_untimed, 0.0), shown=False)
        table.add_sum([area_untimed_id, area_timed], area_id)
        rest_u = rest(area_untimed - np.sum(per_block))
        rest_k = rest(max(area - area_untimed, 0.0) - (totals.sum() - np.sum(per_block)))
        table.add_sum([*untimed_ids, rest_u], area_untimed_id)
        table.add_sum([*timed_ids, rest_k], area_timed)
        table.add_sum([rest_u, rest_k], rest_total)

    status = protect(table, min_shown)

    def text(index: int) -> str:
        if status[index] == PRIMARY:
            return f"<{int(min_shown)}"
        if status[index] == SECONDARY:
            return WITHHELD
        return suppress_count(table.values[index])

    return SectionCounts(
        block_sources=[[text(i) for i in row] for row in cell_ids],
        block_totals=[text(i) for i in total_ids],
        block_untimed=[text(i) for i in untimed_ids],
        area_sources=[text(i) for i in area_ids],
        area_total=text(area_id),
        area_untimed="" if area_untimed_id is None else text(area_untimed_id),
        total_hidden=[status[i] != PRINTED for i in total_ids],
        total_small=[status[i] == PRIMARY for i in total_ids],
        area_hidden=status[area_id] != PRINTED,
    )
