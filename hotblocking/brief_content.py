"""What a tasking brief says: computerisk rows of one window -> printed strings (pure).

Every figure printed comes from the aggregates of the computerisk layer (one row per block
per window); nothing record-level is read or printed.

* Which blocks: exactly those the layer calls hot, in rank order, ties at the cut all listed
  (:mod:`hotblocking.brief_selection`); blocks hot through their neighbours (network
  smoothing) are labelled "next to hot streets", with their own count.
* Statistics in words (:mod:`hotblocking.wording`): significance with its q value, withheld
  below :data:`hotblocking.wording.MIN_EVENTS_FOR_TESTS` events; trend and pattern from the
  layer's ``trend_word``, ``trend_p`` and ``pattern``, withheld where computerisk withheld
  them (below its minimum count).
* The hour-of-week chart shows the block's whole week, the window outlined. A whole-period
  (``all``) window has no hours: a block there gets a chart and peak hours only when every
  one of its records has a time of day, and the brief says why not otherwise.
* Disclosure control (``min_shown``): counts below it print ``"<N"``, and counts from which
  one could be worked out are withheld (``"*"``) by :mod:`hotblocking.brief_counts`; for a
  block whose total is small, harm, shares, peak hours and the chart are withheld too (its
  patrol plan is then drawn uniformly over the window); shares and ratios are printed only
  beside printed totals. Per-block first/last-seen times are never printed (each is one
  incident's time); the data period printed is the range over the whole area.

Source names are the labels the layer's ``sources`` field carries
(:func:`hotblocking.schema.source_labels`), with a capital first letter.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import schema
from .brief_counts import SectionCounts, section_counts
from .brief_selection import Selection, neighbour_flags, select_blocks, selection_notes
from .constants import DAY_NAMES, DEFAULT_TIMEZONE, HOURS_PER_DAY, HOURS_PER_WEEK
from .disclosure import suppress_count
from .patrol import patrol_plan
from .schema import as_number
from .windows import Window, hour_of_week_label, stored_window
from .wording import (
    MIN_EVENTS_FOR_TESTS,
    describe_window,
    format_visit,
    pattern_words,
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
    schema.EVENTS,
    schema.HARM,
    schema.RISK,
    schema.RANK,
    schema.EXPECTED,
    schema.P_VALUE,
    schema.Q_VALUE,
    schema.HOT,
    schema.PEAK,
    schema.PROFILE,
    schema.FIRST_SEEN,
    schema.LAST_SEEN,
    schema.TREND_P,
    schema.TREND_WORD,
    schema.PATTERN,
    schema.SOURCES,
)
"""The hot-blocks fields a brief reads (and the ``n_<slug>`` counts)."""

POLICE_UK_CAVEAT = (
    "data.police.uk locations are anonymised: each crime is moved to one of a fixed set of "
    "map points (the centre of a street, a public place), so many crimes share one point and "
    "a crime may sit on a street next to where it happened. Read per-street counts from it as "
    "approximate."
)
NEIGHBOUR_WORDS = "next to hot streets"
WITHHELD_CHART = "Hour-of-week pattern withheld: too few incidents to show safely."


def source_titles(frame: pd.DataFrame) -> dict[str, str]:
    """``n_`` column -> printed source name, from the rows' ``sources`` field."""
    first = frame.iloc[0] if len(frame) else pd.Series(dtype=object, index=frame.columns)
    return {c: source_title(label) for c, label in schema.source_labels(first).items()}


def hour_grid(profile_text) -> np.ndarray:
    """A ``profile`` value as a 7 x 24 array (rows Mon..Sun, columns hours); zeros for NULL
    or empty text (:func:`hotblocking.schema.decode_profile`)."""
    return np.array(schema.decode_profile(profile_text)).reshape(len(DAY_NAMES), HOURS_PER_DAY)


def profile_sums(profiles: pd.Series) -> np.ndarray:
    """Each ``profile`` value's total (its records with a time of day), without decoding
    row by row: the non-empty texts are joined and read at once."""
    text = profiles.where(profiles.notna(), "").astype(str).str.strip()
    filled = (text.str.len() > 0).to_numpy()
    out = np.zeros(len(text))
    if filled.any():
        cells = pd.to_numeric(pd.Series(",".join(text[filled]).split(",")), errors="coerce")
        if len(cells) != int(filled.sum()) * HOURS_PER_WEEK:  # a bad profile: say which
            return np.array([sum(schema.decode_profile(t)) for t in text])
        out[filled] = cells.fillna(0.0).to_numpy().reshape(-1, HOURS_PER_WEEK).sum(axis=1)
    return out


def untimed_counts(rows: pd.DataFrame) -> np.ndarray:
    """Records without a time of day per row of a whole-period window: incidents minus the
    profile's total (records with a time of day), as whole records (each such record counts
    1 in the window; the profile's 2-decimal rounding is absorbed)."""
    incidents = pd.to_numeric(rows[schema.INCIDENTS], errors="coerce").fillna(0.0).to_numpy()
    return np.maximum(np.round(incidents - profile_sums(rows[schema.PROFILE])), 0.0)


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
    timezone: str = DEFAULT_TIMEZONE
    police_uk_note: bool = False
    generated: dt.datetime | None = None
    version: str = ""

    def __post_init__(self) -> None:
        if self.generated is None:  # now, on the wall clock of the brief's time zone
            now = dt.datetime.now(ZoneInfo(self.timezone)).replace(microsecond=0)
            self.generated = now


@dataclass
class LayerFacts:
    """What the whole layer (all its windows) tells every section: records without a time
    of day (from a whole-period window; None when the layer has none) and whether some
    records are known by month only (data.police.uk style)."""

    untimed: float | None = None
    untimed_window: str = ""
    untimed_text: str = ""
    month_precision: bool = False


@dataclass
class BlockPage:
    order: int  # 1..N: page order within its section (= rank unless ranks tie)
    rank: int
    label: str  # the rank as printed: "14", or "14a", "14b"... for tied blocks
    ties: int  # other briefed blocks sharing the rank
    block_id: str
    name: str  # the street (cover table, map labels); the description when unnamed
    counts: list[str]  # printed, per source (same order as BriefContent.sources)
    total: str
    harm: str
    peak: str
    grid: np.ndarray | None  # 7 x 24 profile, None when withheld or unknown
    why: list[str]
    when: list[str]
    plan: list[str]
    neighbour: bool = False  # hot through the streets next to it
    chart_note: str = ""  # why there is no chart (when grid is None)
    hours_unknown: bool = False  # records without a time of day: no chart can be drawn
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
    hot_count: int = 0
    untimed: str = ""  # the section's "records without a time of day" sentence
    selection_notes: list[str] = field(default_factory=list)
    row_index: list[int] = field(default_factory=list)  # each page's row in the frame
    section: int = 1
    sections: int = 1


def _street_words(row, *columns: str) -> str:
    """The first of ``columns`` the row has text in: the street name ("name") or the
    description from buildblocks ("High St between Mill Ln and Bridge St")."""
    for column in columns:
        value = row.get(column) if hasattr(row, "get") else None
        if isinstance(value, str) and value.strip():
            return value
    return "(unnamed street)"


def fmt_date(value) -> str:
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def _month_starts(values: pd.Series) -> pd.Series:
    times = pd.to_datetime(values, errors="coerce")
    return (
        times.notna()
        & (times.dt.day == 1)
        & (times.dt.hour == 0)
        & (times.dt.minute == 0)
        & (times.dt.second == 0)
    )


def month_only_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose records are all known by month only: incidents, no record with a time of
    day, first and last seen at midnight on the 1st (a month's start, as a ``2018-07`` value
    reads)."""
    incidents = pd.to_numeric(frame[schema.INCIDENTS], errors="coerce").fillna(0.0)
    timed = profile_sums(frame[schema.PROFILE]) > 0
    return (
        (incidents > 0)
        & ~timed
        & _month_starts(frame[schema.FIRST_SEEN])
        & _month_starts(frame[schema.LAST_SEEN])
    )


def data_period(frame: pd.DataFrame, months: bool = False) -> str:
    """``"3 Jan 2025 to 28 Dec 2025"`` from the first/last-seen range of the window's rows
    (``"Jul 2018 to Sep 2018"`` with ``months``: a month-only record starts on the 1st)."""
    first = pd.to_datetime(frame[schema.FIRST_SEEN], errors="coerce").min()
    last = pd.to_datetime(frame[schema.LAST_SEEN], errors="coerce").max()
    if pd.isna(first) or pd.isna(last):
        return "no incidents in this window"
    if months:
        return f"{first:%b %Y} to {last:%b %Y}"
    return f"{fmt_date(first)} to {fmt_date(last)}"


def window_of(label: str, spec) -> Window | None:
    """The window a row was computed with (None when its spec is missing or unreadable)."""
    if not isinstance(spec, str) or not spec.strip():
        return None
    try:
        return stored_window(label, spec)
    except ValueError:
        return None


def layer_facts(frame: pd.DataFrame, min_shown: int = 0) -> LayerFacts:
    """:class:`LayerFacts` from every row of the layer (all windows)."""
    facts = LayerFacts()
    labels = frame[schema.WINDOW].to_numpy()
    all_specs = frame[schema.WINDOW_SPEC]
    for label in (v for v in pd.unique(labels) if isinstance(v, str)):
        in_window = labels == label
        specs = all_specs[in_window].dropna()
        window = window_of(label, specs.iloc[0]) if len(specs) else None
        if window is None or not window.whole_period:
            continue  # before taking the window's rows: a copy of ~1 GB at 4M blocks
        rows = frame[in_window]
        untimed = untimed_counts(rows)
        facts.month_precision |= bool(month_only_rows(rows).any())
        if facts.untimed is None:
            area = float(pd.to_numeric(rows[schema.INCIDENTS], errors="coerce").fillna(0).sum())
            facts.untimed = float(untimed.sum())
            facts.untimed_window = label
            counts = section_counts(
                rows, rows.iloc[:0], [], min_shown, (np.zeros(0), facts.untimed)
            )
            facts.untimed_text = counts.area_untimed if area > 0 else "0"
    return facts


def build_content(
    frame: pd.DataFrame,
    window: Window,
    options: BriefOptions,
    layer: LayerFacts | None = None,
) -> BriefContent:
    """The brief's text for the rows of one window (one row per block)."""
    layer = layer or LayerFacts()
    n_min = int(options.min_shown or 0)
    titles = source_titles(frame)
    src_cols, labels = list(titles), list(titles.values())
    selection = select_blocks(frame, options.top_n)
    rows = selection.rows
    untimed = untimed_counts(rows) if window.whole_period else None
    area_untimed = float(untimed_counts(frame).sum()) if window.whole_period else None
    counts = section_counts(
        frame,
        rows,
        src_cols,
        n_min,
        None if untimed is None else (untimed, area_untimed),
    )
    neighbours = neighbour_flags(rows, frame)
    section = _Section(frame, window, options, counts, labels, src_cols)
    pages = [
        section.page(order, row, k, bool(neighbours[k]), None if untimed is None else untimed[k])
        for k, (order, (_, row)) in enumerate(enumerate(rows.iterrows(), start=1))
    ]
    label_ties(pages)
    months = window.whole_period and bool(month_only_rows(frame).any())
    untimed_sentence = _untimed_sentence(window, counts, layer, area_untimed)
    return BriefContent(
        options=options,
        window=window,
        window_words=describe_window(window),
        window_title=window_title(window),
        period=data_period(frame, months),
        sources=list(zip(labels, counts.area_sources)),
        area_total=counts.area_total,
        block_count=len(frame),
        blocks=pages,
        notes=_notes(selection, pages, untimed_sentence, layer, options, months),
        hot_count=selection.hot,
        untimed=untimed_sentence,
        selection_notes=selection_notes(selection),
        row_index=[int(i) for i in rows.index],
    )


def _untimed_sentence(window, counts: SectionCounts, layer: LayerFacts, area_untimed) -> str:
    """How many records had no time of day, as this section can know it."""
    if window.whole_period:
        if not area_untimed:
            return "Every record counted here has a time of day."
        return (
            f"{counts.area_untimed} of the {counts.area_total} records counted here have no "
            "time of day (a date or month only, or a from/to range too long to place): they "
            "are in no hour-of-week chart and in no time-of-day window."
        )
    if layer.untimed:
        return (
            f"{layer.untimed_text} records have no time of day (a date or month only; counted "
            f"in the layer's whole-period window '{layer.untimed_window}'): they count in no "
            "time-of-day window, so not in this one."
        )
    return ""


def _notes(selection, pages, untimed_sentence, layer, options, months) -> list[str]:
    n_min = int(options.min_shown or 0)
    notes = selection_notes(selection)
    if any(p.neighbour for p in pages):
        notes.append(
            f"† {NEIGHBOUR_WORDS[0].upper() + NEIGHBOUR_WORDS[1:]}: hot in the layer through "
            "network smoothing (risk spread from the streets around it), with few or no "
            "incidents of its own; its page gives its own count."
        )
    notes.append(
        "Counts are incidents in the time window over the data period, by source; a police "
        "record with a from/to time range is shared across the hours it covers, so counts can "
        "be fractions (printed rounded). Risk, ranks and significance count events (records of "
        "one incident from several sources or calls merged). Harm is the sum of harm weights "
        "(police: Crime Harm Index style days; records without a weight count 1). Tied blocks "
        "share a rank (14a, 14b). Records known by date or month only count only in "
        "whole-period ('all') windows."
    )
    if untimed_sentence and not untimed_sentence.startswith("Every"):
        notes.append(untimed_sentence)
    if options.police_uk_note or layer.month_precision or months:
        notes.append(POLICE_UK_CAVEAT)
    notes.append(
        "Aggregates per street section only: no person's or health record appears in this brief."
    )
    if n_min > 1:
        notes.append(
            f"Small numbers: <{n_min} = fewer than {n_min} (value withheld); * = withheld so "
            f"that a small count cannot be worked out from the figures printed."
        )
    return notes


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


@dataclass
class _Section:
    """What every block page of one window's section shares."""

    frame: pd.DataFrame
    window: Window
    options: BriefOptions
    counts: SectionCounts
    labels: list[str]
    src_cols: list[str]

    def __post_init__(self) -> None:
        self.hours = self.window.hour_mask()
        self.area_total = float(
            pd.to_numeric(self.frame[schema.INCIDENTS], errors="coerce").fillna(0).sum()
        )
        self.area_events = float(
            pd.to_numeric(self.frame[schema.EVENTS], errors="coerce").fillna(0).sum()
        )

    def page(self, order, row, k, neighbour, untimed) -> BlockPage:
        counts, total_text = self.counts.block_sources[k], self.counts.block_totals[k]
        small, hidden = self.counts.total_small[k], self.counts.total_hidden[k]
        total = as_number(row[schema.INCIDENTS])
        events = as_number(row[schema.EVENTS])
        by_source = ", ".join(f"{lab} {txt}" for lab, txt in zip(self.labels, counts))
        why = []
        if neighbour:
            why.append(
                f"{NEIGHBOUR_WORDS[0].upper() + NEIGHBOUR_WORDS[1:]}: hot through the streets "
                f"around it (network smoothing), with {total_text} incident"
                f"{'' if total_text == '1' else 's'} of its own in this window."
            )
        why.append(
            f"{total_text} incidents in this window" + (f": {by_source}." if by_source else ".")
        )
        harm = "withheld" if small else suppress_count(as_number(row[schema.HARM]))
        why.append(
            "Harm: withheld (small numbers)."
            if small
            else f"Harm score {harm} (police crimes weighted by harm days; other records count 1)."
        )
        why += self._shares(row, total, hidden)
        why += self._statistics(row, events, small)
        grid, chart_note, peak, when = self._when(row, small, untimed, k)
        visits = patrol_plan(
            self.window,
            self.options.visits,
            self.options.visit_minutes,
            seed=(int(self.options.seed), order),
            profile=None if grid is None or grid.sum() <= 0 else grid.ravel() * self.hours,
        )
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
            plan=[format_visit(v) for v in visits],
            neighbour=neighbour,
            chart_note=chart_note,
            hours_unknown=grid is None and not small,
            description=_street_words(row, schema.DESCRIPTION, schema.NAME),
        )

    def _shares(self, row, total, hidden) -> list[str]:
        """Share of the area's incidents and of its street length: printed only beside
        printed totals (a share and a total give the other total away)."""
        if hidden or self.counts.area_hidden or self.area_total <= 0:
            return []
        text = f"{100.0 * total / self.area_total:.1f}% of the area's incidents in this window"
        expected = as_number(row[schema.EXPECTED])
        if math.isfinite(expected) and self.area_events > 0:
            text += f", on {100.0 * expected / self.area_events:.2f}% of its street length"
        return [text + "."]

    def _statistics(self, row, events, small) -> list[str]:
        if small:
            return [
                "Against its length: withheld (small numbers).",
                "Trend: withheld (small numbers).",
            ]
        expected = as_number(row[schema.EXPECTED])
        ratio = events / expected if expected > 0 and events > 0 else None
        words = significance_words(
            as_number(row[schema.P_VALUE]), as_number(row[schema.Q_VALUE]), ratio, events
        )
        out = [f"Against its length: {words}."]
        trend = trend_words(row[schema.TREND_WORD], as_number(row[schema.TREND_P]))
        out.append(f"Trend: {trend}.")
        if not schema.is_missing(row[schema.PATTERN]) and row[schema.PATTERN]:
            out.append(f"Pattern: {pattern_words(row[schema.PATTERN])}.")
        return out

    def _when(self, row, small, untimed, k):
        """The chart's grid (or why none), the peak hour cell and the "When to go" lines."""
        when = [f"Window: {window_title(self.window)}."]
        if small:
            when.append("Peak hour: withheld (small numbers).")
            return None, WITHHELD_CHART, "withheld", when
        grid = hour_grid(row[schema.PROFILE])
        if untimed is not None and untimed > 0:
            note = (
                f"No hour-of-week chart or peak hours: {self.counts.block_untimed[k]} of its "
                f"{self.counts.block_totals[k]} incidents have no time of day (a date or month "
                "only), so when they happened is not known."
            )
            when.append(note)
            when.append("The visits below are spread evenly over the week: no hour to follow.")
            return None, note, "–", when
        stored = row[schema.PEAK]
        peak = stored if isinstance(stored, str) and stored else "–"
        inside = busiest_hours(grid * self.hours.reshape(grid.shape), 3)
        if inside:
            names = [hour_of_week_label(i) for i in inside]
            when.append("Peak hours: " + ", ".join([f"{names[0]} (busiest)", *names[1:]]) + ".")
        else:
            when.append(f"Peak hour: {peak}.")
        outside = busiest_hours(grid * ~self.hours.reshape(grid.shape), 1)
        if inside and outside and grid.ravel()[outside[0]] > grid.ravel()[inside[0]]:
            when.append(
                f"Busier just outside the window: {hour_of_week_label(outside[0])} has more "
                "incidents than any hour inside it (see the chart)."
            )
        return grid, "", peak, when


__all__ = [
    "BRIEF_FIELDS",
    "MIN_EVENTS_FOR_TESTS",
    "BlockPage",
    "BriefContent",
    "BriefOptions",
    "LayerFacts",
    "Selection",
    "build_content",
    "busiest_hours",
    "data_period",
    "hour_grid",
    "layer_facts",
    "profile_sums",
    "untimed_counts",
]
