"""What a tasking brief says: computerisk rows of one window -> printed strings (pure).

Every figure printed comes from the aggregates of the computerisk layer (one row per block
per window); nothing record-level is read or printed. Disclosure control (``min_shown``):

* every count (per source, totals per block and for the area) below ``min_shown`` prints
  as ``"<N"``; a row with one hidden source count also withholds (``"*"``) the smallest
  other count, so the hidden one cannot be worked out from the total
  (:func:`hotblocking.disclosure.suppress_row`);
* when a block's total is hidden, everything that would let a reader rebuild it or place
  its few incidents in time is withheld too: harm, share of the area, the ratio to the
  expected count, the peak hours and the hour-of-week chart (its patrol plan is then drawn
  uniformly over the window);
* per-block first/last-seen times are never printed (each is one incident's time); the
  data period printed is the range over the whole area.

Source names are the labels the layer's ``sources`` field carries
(:func:`hotblocking.schema.source_labels`), with a capital first letter.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema
from .constants import DAY_NAMES, HOURS_PER_DAY
from .disclosure import is_suppressed, suppress_count, suppress_row
from .patrol import patrol_plan
from .schema import as_number
from .windows import Window, hour_of_week_label
from .wording import (
    describe_window,
    format_visit,
    significance_words,
    source_title,
    trend_words,
    window_title,
)

BRIEF_FIELDS = (
    schema.BLOCK_ID,
    schema.NAME,
    schema.WINDOW,
    schema.WINDOW_SPEC,
    schema.INCIDENTS,
    schema.HARM,
    schema.RANK,
    schema.EXPECTED,
    schema.P_VALUE,
    schema.Q_VALUE,
    schema.PEAK,
    schema.PROFILE,
    schema.TREND,
    schema.FIRST_SEEN,
    schema.LAST_SEEN,
    schema.SOURCES,
)
"""The hot-blocks fields a brief reads (and the ``n_<slug>`` counts)."""


def source_titles(frame: pd.DataFrame) -> dict[str, str]:
    """``n_`` column -> printed source name, from the rows' ``sources`` field."""
    first = frame.iloc[0] if len(frame) else pd.Series(dtype=object, index=frame.columns)
    return {c: source_title(label) for c, label in schema.source_labels(first).items()}


def hour_grid(profile_text) -> np.ndarray:
    """A ``profile`` value as a 7 x 24 array (rows Mon..Sun, columns hours); zeros for NULL
    or empty text (:func:`hotblocking.schema.decode_profile`)."""
    return np.array(schema.decode_profile(profile_text)).reshape(len(DAY_NAMES), HOURS_PER_DAY)


def busiest_hours(grid: np.ndarray, k: int = 3) -> list[int]:
    """Hour-of-week indices (Mon 00-01 = 0) of the ``k`` busiest non-empty hours, busiest
    first (ties: earlier in the week first)."""
    flat = np.asarray(grid, dtype=float).ravel()
    order = np.lexsort((np.arange(flat.size), -flat))
    return [int(i) for i in order[:k] if flat[i] > 0]


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
    name: str  # the street (cover table, map labels); the description when unnamed
    counts: list[str]  # printed, per source (same order as BriefContent.sources)
    total: str
    harm: str
    peak: str
    grid: np.ndarray | None  # 7 x 24 profile, None when withheld
    why: list[str]
    when: list[str]
    plan: list[str]
    description: str = ""  # "High St between Mill Ln and Bridge St": the block page's title


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


def data_period(frame: pd.DataFrame) -> str:
    """``"3 Jan 2025 to 28 Dec 2025"`` from the first/last-seen range of the window's rows."""
    first = pd.to_datetime(frame[schema.FIRST_SEEN], errors="coerce").min()
    last = pd.to_datetime(frame[schema.LAST_SEEN], errors="coerce").max()
    if pd.isna(first) or pd.isna(last):
        return "no incidents in this window"
    return f"{fmt_date(first)} to {fmt_date(last)}"


def top_rows(frame: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The top ``top_n`` blocks by rank with any incident (ties: more incidents, then id)."""
    rows = frame[(frame[schema.INCIDENTS].fillna(0) > 0) & frame[schema.RANK].notna()]
    rows = rows.assign(_neg=-rows[schema.INCIDENTS]).sort_values(
        [schema.RANK, "_neg", schema.BLOCK_ID], kind="stable"
    )
    return rows.drop(columns="_neg").head(top_n)


def _street_words(row, *columns: str) -> str:
    """The first of ``columns`` the row has text in: the street name ("name") or the
    description from buildblocks ("High St between Mill Ln and Bridge St")."""
    for column in columns:
        value = row.get(column) if hasattr(row, "get") else None
        if isinstance(value, str) and value.strip():
            return value
    return "(unnamed street)"


def build_content(frame: pd.DataFrame, window: Window, options: BriefOptions) -> BriefContent:
    """The brief's text for the rows of one window (one row per block)."""
    n_min = int(options.min_shown or 0)
    titles = source_titles(frame)
    src_cols, labels = list(titles), list(titles.values())
    area_total = float(frame[schema.INCIDENTS].fillna(0).sum())
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


def _block_page(order, row, src_cols, labels, area_total, window, hours, options) -> BlockPage:
    n_min = int(options.min_shown or 0)
    total = as_number(row[schema.INCIDENTS])
    counts, total_text = suppress_row([as_number(row[c]) for c in src_cols], total, n_min)
    hidden = is_suppressed(total, n_min)
    grid = None if hidden else hour_grid(row[schema.PROFILE])
    harm = "withheld" if hidden else suppress_count(as_number(row[schema.HARM]))
    by_source = ", ".join(f"{lab} {txt}" for lab, txt in zip(labels, counts))
    why = [f"{total_text} incidents in this window" + (f": {by_source}." if by_source else ".")]
    why.append(
        "Harm: withheld (small numbers)."
        if hidden
        else f"Harm score {harm} (police crimes weighted by harm days; other records count 1)."
    )
    expected = as_number(row[schema.EXPECTED])
    if area_total > 0 and not hidden:
        share = 100.0 * total / area_total
        text = f"{share:.1f}% of the area's incidents in this window"
        if math.isfinite(expected):
            length_share = 100.0 * expected / area_total
            text += f", on {length_share:.2f}% of its street length"
        why.append(text + ".")
    ratio = total / expected if not hidden and expected > 0 and total > 0 else None
    significance = significance_words(
        as_number(row[schema.P_VALUE]), as_number(row[schema.Q_VALUE]), ratio
    )
    why.append(significance[0].upper() + significance[1:] + ".")
    if hidden:
        trend = trend_words(as_number(row[schema.TREND]), total).split(" (")[0]
        why.append(f"Trend: {trend} (too few incidents for a reliable rate).")
    else:
        why.append(f"Trend: {trend_words(as_number(row[schema.TREND]), total)}.")

    stored_peak = row[schema.PEAK]
    peak = "–" if not isinstance(stored_peak, str) or not stored_peak else stored_peak
    peak = "withheld" if hidden else peak
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
        rank=int(row[schema.RANK]),
        label=str(int(row[schema.RANK])),
        ties=0,
        block_id=str(row[schema.BLOCK_ID]),
        name=_street_words(row, schema.NAME, schema.DESCRIPTION),
        counts=counts,
        total=total_text,
        harm=harm,
        peak=peak,
        grid=grid,
        why=why,
        when=when,
        plan=plan,
        description=_street_words(row, schema.DESCRIPTION, schema.NAME),
    )
