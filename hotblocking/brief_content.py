"""What a tasking brief says: computerisk rows of one window -> printed strings (no QGIS).

Every figure printed comes from the aggregates of the computerisk layer (one row per block
per window); nothing record-level is read or printed. Disclosure control (``min_shown``):

* every count (per source, totals per block and for the area) below ``min_shown`` prints
  as ``"<N"``; a row with one hidden source count also withholds (``"*"``) the smallest
  other count, so the hidden one cannot be worked out from the total
  (:func:`hotblocking.patrol.suppress_row`);
* when a block's total is hidden, everything that would let a reader rebuild it or place
  its few incidents in time is withheld too: harm, share of the area, the ratio to the
  expected count, the peak hours and the hour-of-week chart (its patrol plan is then drawn
  uniformly over the window);
* per-block first/last-seen times are never printed (each is one incident's time); the
  data period printed is the range over the whole area.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..hotblocking.patrol import (
    busiest_hours,
    describe_window,
    format_visit,
    hour_grid,
    is_suppressed,
    patrol_plan,
    significance_words,
    suppress_count,
    suppress_row,
    trend_words,
)
from ..hotblocking.windows import Window, hour_of_week_label

REQUIRED_FIELDS = [
    "block_id",
    "name",
    "window",
    "incidents",
    "harm",
    "rank",
    "expected",
    "p_value",
    "q_value",
    "peak",
    "profile",
    "trend",
    "first_seen",
    "last_seen",
]
SOURCE_LABELS = {
    "a_e": "A&E",
    "ae": "A&E",
    "ae_istv": "A&E",
    "ed": "ED",
    "ambulance": "Ambulance",
    "police": "Police",
}


def source_label(column: str) -> str:
    """``n_a_e`` -> ``A&E``; an unknown slug reads as words (``n_door_staff`` -> Door staff)."""
    slug = column.removeprefix("n_")
    return SOURCE_LABELS.get(slug, slug.replace("_", " ").strip().capitalize() or slug)


@dataclass
class BriefOptions:
    title: str = "Violence reduction patrol brief"
    area: str = ""
    prepared_by: str = ""
    marking: str = "OFFICIAL-SENSITIVE"
    min_shown: int = 0
    top_n: int = 10
    visits: int = 3
    visit_minutes: int = 15
    seed: int = 0
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    version: str = ""


@dataclass
class BlockPage:
    order: int  # 1..N: page order (= rank unless ranks tie)
    rank: int
    label: str  # the rank as printed: "14", or "14a", "14b"... for tied blocks
    ties: int  # other briefed blocks sharing the rank
    block_id: str
    name: str
    counts: list[str]  # printed, per source (same order as BriefContent.sources)
    total: str
    harm: str
    peak: str
    grid: np.ndarray | None  # 7 x 24 profile, None when withheld
    why: list[str]
    when: list[str]
    plan: list[str]


@dataclass
class BriefContent:
    options: BriefOptions
    window: Window
    window_words: str  # "Fri and Sat, 22:00 to 04:00 next day"
    window_title: str  # "Fri/Sat nights: Fri and Sat, ..." (the label alone if it says it all)
    period: str
    sources: list[tuple[str, str]]  # (label, printed area total)
    area_total: str
    block_count: int
    blocks: list[BlockPage]
    notes: list[str]


def fmt_date(value) -> str:
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def window_title(window: Window) -> str:
    """The label and the window in words; just the words when the label is the spec itself
    (an unlabelled window such as "Fri-Sat 22:00-04:00")."""
    words = describe_window(window)
    label = window.label.strip()
    return (
        words
        if " " in label and any(ch.isdigit() for ch in label) and ":" in label
        else f"{label}: {words}"
    )


def data_period(frame: pd.DataFrame) -> str:
    """``"3 Jan 2025 to 28 Dec 2025"`` from the first/last-seen range of the window's rows."""
    first = pd.to_datetime(frame["first_seen"], errors="coerce").min()
    last = pd.to_datetime(frame["last_seen"], errors="coerce").max()
    if pd.isna(first) or pd.isna(last):
        return "no incidents in this window"
    return f"{fmt_date(first)} to {fmt_date(last)}"


def source_columns(columns) -> list[str]:
    return [c for c in columns if str(c).startswith("n_")]


def profile_outside_window(frame: pd.DataFrame, window: Window) -> list[str]:
    """Hour-of-week labels where the rows' profiles hold incidents outside ``window``.

    computerisk restricts each profile to its window's hours, so a non-empty answer means
    the window definition given does not match the one the layer was computed with.
    """
    outside = ~window.hour_mask()
    seen = np.zeros(168, dtype=bool)
    for text in frame["profile"]:
        if isinstance(text, str) and text.strip():
            seen |= hour_grid(text).ravel() > 0
    return [hour_of_week_label(i) for i in np.flatnonzero(seen & outside)]


def top_rows(frame: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The top ``top_n`` blocks by rank with any incident (ties: more incidents, then id)."""
    rows = frame[(frame["incidents"].fillna(0) > 0) & frame["rank"].notna()]
    rows = rows.assign(_neg=-rows["incidents"]).sort_values(
        ["rank", "_neg", "block_id"], kind="stable"
    )
    return rows.drop(columns="_neg").head(top_n)


def build_content(frame: pd.DataFrame, window: Window, options: BriefOptions) -> BriefContent:
    """The brief's text for the rows of one window (one row per block)."""
    n_min = int(options.min_shown or 0)
    src_cols = source_columns(frame.columns)
    labels = [source_label(c) for c in src_cols]
    area_total = float(frame["incidents"].fillna(0).sum())
    sources = [
        (lab, suppress_count(float(frame[c].fillna(0).sum()), n_min))
        for lab, c in zip(labels, src_cols)
    ]
    hours = window.hour_mask()
    pages = []
    for order, (_, row) in enumerate(top_rows(frame, options.top_n).iterrows(), start=1):
        pages.append(_block_page(order, row, src_cols, labels, area_total, window, hours, options))
    label_ties(pages)
    notes = [
        (
            "Counts are incidents in the time window over the data period, by source; a police "
            "record with a from/to time range is shared across the hours it covers, so counts "
            "can be fractions (printed rounded). Harm is the sum of harm weights (police: Crime "
            "Harm Index style days; records without a weight count 1). Blocks are ranked by "
            "risk; tied blocks share a rank (14a, 14b: the same rank)."
        ),
        "Aggregates per street section only: no person's or health record appears in this brief.",
    ]
    if n_min > 1:
        notes.append(
            f"Small numbers: <{n_min} = fewer than {n_min} (value withheld); * = withheld so "
            "that a small count cannot be worked out from the total."
        )
    return BriefContent(
        options=options,
        window=window,
        window_words=describe_window(window),
        window_title=window_title(window),
        period=data_period(frame),
        sources=sources,
        area_total=suppress_count(area_total, n_min),
        block_count=len(frame),
        blocks=pages,
        notes=notes,
    )


def label_ties(pages: list[BlockPage]) -> None:
    """Tied ranks get letters in page order (14a, 14b, ...) so that map badges, table rows
    and pages can be told apart; a rank held by one block prints as itself."""
    by_rank: dict[int, list[BlockPage]] = {}
    for page in pages:
        by_rank.setdefault(page.rank, []).append(page)
    for group in by_rank.values():
        for k, page in enumerate(group):
            page.ties = len(group) - 1
            page.label = str(page.rank) if len(group) == 1 else f"{page.rank}{_letters(k)}"


def _letters(k: int) -> str:
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(97 + r) + out
    return out


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _block_page(order, row, src_cols, labels, area_total, window, hours, options) -> BlockPage:
    n_min = int(options.min_shown or 0)
    total = _num(row["incidents"])
    counts, total_text = suppress_row([_num(row[c]) for c in src_cols], total, n_min)
    hidden = is_suppressed(total, n_min)
    grid = None if hidden else hour_grid(row["profile"])
    harm = "withheld" if hidden else suppress_count(_num(row["harm"]))
    by_source = ", ".join(f"{lab} {txt}" for lab, txt in zip(labels, counts))
    why = [f"{total_text} incidents in this window" + (f": {by_source}." if by_source else ".")]
    why.append(
        "Harm: withheld (small numbers)."
        if hidden
        else f"Harm score {harm} (police crimes weighted by harm days; other records count 1)."
    )
    expected = _num(row["expected"])
    if area_total > 0 and not hidden:
        share = 100.0 * total / area_total
        text = f"{share:.1f}% of the area's incidents in this window"
        if math.isfinite(expected):
            length_share = 100.0 * expected / area_total
            text += f", on {length_share:.2f}% of its street length"
        why.append(text + ".")
    ratio = total / expected if not hidden and expected > 0 and total > 0 else None
    significance = significance_words(_num(row["p_value"]), _num(row["q_value"]), ratio)
    why.append(significance[0].upper() + significance[1:] + ".")
    if hidden:
        trend = trend_words(_num(row["trend"]), total).split(" (")[0]
        why.append(f"Trend: {trend} (too few incidents for a reliable rate).")
    else:
        why.append(f"Trend: {trend_words(_num(row['trend']), total)}.")

    peak = (
        "withheld"
        if hidden
        else (str(row["peak"]) if isinstance(row["peak"], str) and row["peak"] else "–")
    )
    busiest = [hour_of_week_label(i) for i in busiest_hours(grid, 3)] if grid is not None else []
    visits = patrol_plan(
        window,
        options.visits,
        options.visit_minutes,
        seed=(int(options.seed), order),
        profile=None if grid is None or grid.sum() <= 0 else grid.ravel() * hours,
    )
    plan = [format_visit(v) for v in visits]
    when = [f"Window: {window_title(window)}."]
    if busiest:
        when.append("Peak hours: " + ", ".join([f"{busiest[0]} (busiest)", *busiest[1:]]) + ".")
    else:
        when.append(f"Peak hour: {peak}" + (" (small numbers)." if hidden else "."))
    return BlockPage(
        order=order,
        rank=int(row["rank"]),
        label=str(int(row["rank"])),
        ties=0,
        block_id=str(row["block_id"]),
        name=str(row["name"])
        if isinstance(row["name"], str) and row["name"]
        else "(unnamed street)",
        counts=counts,
        total=total_text,
        harm=harm,
        peak=peak,
        grid=grid,
        why=why,
        when=when,
        plan=plan,
    )
