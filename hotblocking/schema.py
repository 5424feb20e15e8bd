"""The layers Hot Blocking writes, declared once: fields, kinds, units, meanings, encodings.

Each output is an :class:`Output`: its default table name, its geometry and its fields in
the order they are written. The core builds its tables in this order, and the algorithms, the
brief, the styles and the dock take field names from the constants here. Stdlib only, so it
is free to import when the plugin loads.

Three fields of the hot-blocks layer hold encoded text. Each encoding is defined here, both
ways:

* ``profile``: the block's hour-of-week profile over the whole week (the same in each of the
  block's window rows, so that what happens just outside a window can be seen). 168
  comma-separated values, one per hour from Monday 00:00 local time. Each value is rounded to 2
  decimals with trailing zeros trimmed (``0``, ``1.5``, ``0.33``). The text is empty when the
  block has no incident with a time of day. See :func:`encode_profile`, :func:`encode_profiles` and
  :func:`decode_profile`.
* ``window`` holds the window's label; ``window_spec`` holds its definition in the
  ``Time windows`` grammar, ``LABEL=DAYS HH:MM-HH:MM``. For example ``Fri/Sat nights=Fri,Sat
  22:00-04:00`` is read back by :func:`hotblocking.windows.stored_window`.
* ``n_<slug>`` holds the count per source. The column name is a slug of the source label:
  ``A&E`` becomes ``n_a_e`` (:func:`source_column`). The slug cannot be turned back into the
  label, so ``sources`` carries the real labels as ``label=column`` pairs separated by ``;``,
  in column order, e.g. ``ambulance=n_ambulance;A&E=n_a_e;police=n_police``. In a label, ``%``,
  ``;`` and ``=`` are written ``%25``, ``%3B`` and ``%3D``. See :func:`encode_sources` and
  :func:`source_labels`.

NULL means missing, never 0: :func:`is_missing` and :func:`as_number` read a field value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .constants import HOURS_PER_WEEK
from .errors import ProfileError

# --- field kinds ------------------------------------------------------------------------------

TEXT, INT, REAL, BOOL, DATETIME, DATE = "text", "int", "real", "bool", "datetime", "date"
FIELD_KINDS = (TEXT, INT, REAL, BOOL, DATETIME, DATE)
"""The kinds of field the core reads and writes (the writer maps each to an OGR type)."""
OTHER = "other"
"""The kind of an input field the core does not read (binary, list, map, ...)."""
TIME, BINARY, JSON = "time", "binary", "json"
INPUT_KINDS = (TEXT, INT, REAL, BOOL, DATE, DATETIME, TIME, BINARY, JSON)
"""What an input column can hold as the readers give it (the writer takes these too):
time as 'HH:MM:SS.sss' text, binary as bytes, json as JSON text (lists and maps)."""
DTYPE_KINDS = {"b": BOOL, "i": INT, "u": INT, "f": REAL, "M": DATETIME}
"""numpy ``dtype.kind`` -> field kind; anything else is written as text."""


@dataclass(frozen=True)
class Field:
    """One output field: its name, kind (one of :data:`FIELD_KINDS`), unit and meaning."""

    name: str
    kind: str
    unit: str
    meaning: str

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"field {self.name!r}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Output:
    """One output layer or table: default table name, geometry (None: a table) and fields.

    ``per_source`` is the field the ``n_<slug>`` columns follow, when the output has them.
    """

    table: str
    geometry: str | None
    fields: tuple[Field, ...]
    per_source: str | None = None

    def names(self, source_columns: Sequence[str] = ()) -> list[str]:
        """Field names in output order, with the given ``n_<slug>`` columns in their place."""
        out: list[str] = []
        for f in self.fields:
            out.append(f.name)
            if f.name == self.per_source:
                out.extend(source_columns)
        return out

    def field(self, name: str) -> Field:
        """The declaration of ``name`` (an ``n_<slug>`` name gets :data:`SOURCE_COUNT`)."""
        if self.per_source is not None and is_source_column(name):
            return Field(name, SOURCE_COUNT.kind, SOURCE_COUNT.unit, SOURCE_COUNT.meaning)
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.table} has no field {name!r}")


# --- field names ------------------------------------------------------------------------------

BLOCK_ID, LINK_ID, PART, NAME, ROAD_CLASS, LENGTH_M = (
    "block_id",
    "link_id",
    "part",
    "name",
    "road_class",
    "length_m",
)
DESCRIPTION, FROM_NODE, TO_NODE = "description", "from_node", "to_node"
INCIDENT_ID, SOURCE, SNAP_DIST, TIME_START, TIME_END, WEIGHT, TIME_PRECISION, REASON = (
    "incident_id",
    "source",
    "snap_dist",
    "time_start",
    "time_end",
    "weight",
    "time_precision",
    "reason",
)
WINDOW, WINDOW_SPEC, INCIDENTS, HARM, RISK, RISK_PER_KM, RANK, PERCENTILE = (
    "window",
    "window_spec",
    "incidents",
    "harm",
    "risk",
    "risk_per_km",
    "rank",
    "percentile",
)
EXPECTED, P_VALUE, Q_VALUE, HOT, PEAK, PROFILE, FIRST_SEEN, LAST_SEEN, TREND, SOURCES = (
    "expected",
    "p_value",
    "q_value",
    "hot",
    "peak",
    "profile",
    "first_seen",
    "last_seen",
    "trend",
    "sources",
)
EVENTS, TREND_TAU, TREND_P, TREND_WORD, PATTERN = (
    "events",
    "trend_tau",
    "trend_p",
    "trend_word",
    "pattern",
)
DAY, HOUR, VALUE = "day", "hour", "value"
TIME_OF_DAY_PRECISIONS = ("instant", "range")
"""The ``time_precision`` values that carry a time of day (day and month do not)."""
SOURCE_PREFIX = "n_"

# --- outputs ----------------------------------------------------------------------------------

BLOCKS = Output(
    "blocks",
    "LineString",
    (
        Field(BLOCK_ID, TEXT, "", "'<link id>:<part>', unique; a repeated link id gets '#2'"),
        Field(LINK_ID, TEXT, "", "the road link's id"),
        Field(PART, INT, "", "parts numbered along the link from its first vertex"),
        Field(NAME, TEXT, "", "street name; else road number; else the street beside (paths)"),
        Field(
            DESCRIPTION,
            TEXT,
            "",
            "'High St between Mill Ln and Bridge St', 'footway beside High St', ...",
        ),
        Field(ROAD_CLASS, TEXT, "", "road classification"),
        Field(LENGTH_M, REAL, "m (true metres)", "length of the geometry"),
        Field(FROM_NODE, INT, "", "junction at the block's first vertex (blocks meet by node)"),
        Field(TO_NODE, INT, "", "junction at the block's last vertex"),
    ),
)

JOINED_INCIDENTS = Output(
    "joined_incidents",
    "Point",
    (
        Field(INCIDENT_ID, TEXT, "", "'<source>:<feature id>'"),
        Field(SOURCE, TEXT, "", "the source label"),
        Field(BLOCK_ID, TEXT, "", "the block it joined to"),
        Field(SNAP_DIST, REAL, "m (true metres)", "distance to the block"),
        Field(TIME_START, DATETIME, "local wall-clock", "start (or only) time"),
        Field(TIME_END, DATETIME, "local wall-clock", "end time; time_start for an instant"),
        Field(WEIGHT, REAL, "e.g. harm days", "harm weight; NULL stays NULL"),
        Field(
            TIME_PRECISION,
            TEXT,
            "",
            "how precisely the time is known: instant, range, day, month or none",
        ),
    ),
)
"""The incident's own attributes come first (renamed with ``_in`` where a name clashes)."""

UNMATCHED_INCIDENTS = Output(
    "unmatched_incidents",
    "Geometry",
    (
        Field(INCIDENT_ID, TEXT, "", "'<source>:<feature id>'"),
        Field(SOURCE, TEXT, "", "the source label"),
        Field(REASON, TEXT, "", "why it was not joined ('; '-separated when several)"),
    ),
)

SOURCE_COUNT = Field(
    SOURCE_PREFIX + "<slug>",
    REAL,
    "incidents (aoristic)",
    "the source's joined records in the window (they add up to incidents)",
)

HOT_BLOCKS = Output(
    "hot_blocks",
    "LineString",
    (
        Field(BLOCK_ID, TEXT, "", "from the blocks"),
        Field(LINK_ID, TEXT, "", "from the blocks"),
        Field(NAME, TEXT, "", "from the blocks"),
        Field(DESCRIPTION, TEXT, "", "from the blocks (their name when they have none)"),
        Field(WINDOW, TEXT, "", "the window's label"),
        Field(WINDOW_SPEC, TEXT, "", "the window's definition, 'LABEL=DAYS HH:MM-HH:MM'"),
        Field(INCIDENTS, REAL, "incidents (aoristic)", "joined records in the window, unweighted"),
        Field(
            EVENTS,
            REAL,
            "events (aoristic)",
            "the records with duplicates merged (one assault recorded by several sources or "
            "calls): what risk, ranks, significance and hot count",
        ),
        Field(HARM, REAL, "harm weight", "harm-weighted count (a missing weight counts 1)"),
        Field(RISK, REAL, "weighted events", "after source weights, harm, decay, smoothing"),
        Field(RISK_PER_KM, REAL, "per km", "risk / block length in km"),
        Field(RANK, INT, "", "1 = highest risk in the window; ties share the lower rank"),
        Field(PERCENTILE, REAL, "%", "share of the window's blocks with risk <= this one"),
        Field(EXPECTED, REAL, "events", "events expected from the share of network length"),
        Field(P_VALUE, REAL, "", "Poisson upper-tail p of the events against expected"),
        Field(Q_VALUE, REAL, "", "Benjamini-Hochberg q across the window's blocks"),
        Field(HOT, BOOL, "", "meets the hot rule"),
        Field(PEAK, TEXT, "", "busiest hour in the window, e.g. 'Sat 01:00-02:00'"),
        Field(
            PROFILE, TEXT, "incidents per hour", "the whole week's 168 hourly values (module doc)"
        ),
        Field(FIRST_SEEN, DATETIME, "local wall-clock", "first incident counted in the window"),
        Field(LAST_SEEN, DATETIME, "local wall-clock", "last incident counted in the window"),
        Field(TREND, REAL, "ratio", "rate in the last third of the period / the rate before"),
        Field(TREND_TAU, REAL, "", "Kendall's tau of the events per week or month"),
        Field(TREND_P, REAL, "", "Mann-Kendall two-sided p of that trend"),
        Field(TREND_WORD, TEXT, "", "rising, falling or no clear trend; NULL below the minimum"),
        Field(
            PATTERN,
            TEXT,
            "",
            "new, consecutive, intensifying, persistent, diminishing, "
            "sporadic, historical or no pattern; NULL below the minimum",
        ),
        Field(SOURCES, TEXT, "", "source labels of the n_ columns, 'label=column;...'"),
    ),
    per_source=INCIDENTS,
)

PROFILES = Output(
    "profiles",
    None,
    (
        Field(BLOCK_ID, TEXT, "", "the block"),
        Field(WINDOW, TEXT, "", "the window's label"),
        Field(DAY, TEXT, "", "Mon..Sun (local)"),
        Field(HOUR, INT, "hour", "0..23 (local)"),
        Field(VALUE, REAL, "incidents (aoristic)", "the cell's value (non-zero cells only)"),
    ),
)

_SHARE = "share (0-1)"
_INTERVAL = (
    "the low end of its 95% interval: the 2.5% point of the test periods' values, or with one "
    "test period of a bootstrap of its records"
)

EVALUATION = Output(
    "evaluation",
    None,
    (
        Field(WINDOW, TEXT, "", "the window's label"),
        Field(
            "method",
            TEXT,
            "",
            "a baseline (plain counts, previous period, random, grid KDE (cells), grid KDE "
            "(streets)) or a configuration's label",
        ),
        Field(
            "settings",
            TEXT,
            "",
            "what the method ran with, in computerisk's parameter names, BANDWIDTH in metres "
            "(the KDE's cell size and bandwidth in the blocks' units; random's seed)",
        ),
        Field("origin", TEXT, "date", "first day of the test period, or 'all origins'"),
        Field("test_end", TEXT, "date", "last day of the test period; NULL in 'all origins'"),
        Field("origins", INT, "test periods", "the test periods the row stands for"),
        Field("level", TEXT, "", "'5%' of network length, or 'top 10' blocks"),
        Field(
            "coverage",
            REAL,
            _SHARE,
            "share of network length chosen (grid KDE (cells): share of the network's cells)",
        ),
        Field("blocks", REAL, "blocks", "blocks chosen (cells for grid KDE (cells))"),
        Field("test_incidents", REAL, "incidents (aoristic)", "test records in the window"),
        Field("hits", REAL, "incidents (aoristic)", "test records on the chosen blocks or cells"),
        Field("hit_rate", REAL, _SHARE, "hits / test_incidents"),
        Field("hit_rate_low", REAL, _SHARE, _INTERVAL),
        Field("hit_rate_high", REAL, _SHARE, "the high end of the same interval (97.5%)"),
        Field("pai", REAL, "ratio", "predictive accuracy index: hit_rate / coverage"),
        Field(
            "rri",
            REAL,
            "ratio",
            "recapture rate index: (test / training records on the chosen blocks) / "
            "(test / training records overall)",
        ),
        Field(
            "jaccard",
            REAL,
            _SHARE,
            "chosen blocks shared with the previous test period's choice (same window, "
            "method and level) / blocks in either",
        ),
        Field(
            "gain",
            REAL,
            "share (-1 to 1)",
            "hit_rate minus plain counts' hit_rate at the same window, origin and level",
        ),
        Field("gain_low", REAL, "share (-1 to 1)", _INTERVAL + " (paired)"),
        Field("gain_high", REAL, "share (-1 to 1)", "the high end of the gain's interval"),
        Field(
            "best",
            BOOL,
            "",
            "the window's best summary row at the search level (highest mean hit rate among "
            "the configurations)",
        ),
    ),
)
"""The backtest's table (hotblocking:evaluate): one row per window, method, test period and
level, then 'all origins' rows with the means over test periods."""

OUTPUTS = (BLOCKS, JOINED_INCIDENTS, UNMATCHED_INCIDENTS, HOT_BLOCKS, PROFILES, EVALUATION)

# --- source columns ---------------------------------------------------------------------------


def source_column(source: str) -> str:
    """``"n_" + slug``: lowercase, runs of non-alphanumerics -> ``_`` ("A&E" -> "n_a_e")."""
    slug = re.sub(r"[^0-9a-z]+", "_", str(source).lower()).strip("_")
    return SOURCE_PREFIX + (slug or "unknown")


def source_columns(labels: Iterable[str]) -> dict[str, str]:
    """Label -> column for each label in order; a slug already taken gets ``_2``, ``_3``..."""
    columns: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        base = column = source_column(label)
        k = 2
        while column in used:
            column = f"{base}_{k}"
            k += 1
        used.add(column)
        columns[label] = column
    return columns


def is_source_column(name: str) -> bool:
    return str(name).startswith(SOURCE_PREFIX)


def source_fields(names: Iterable[str]) -> list[str]:
    """The ``n_<slug>`` names among ``names``, in their order."""
    return [str(n) for n in names if is_source_column(n)]


_ESCAPES = (("%", "%25"), (";", "%3B"), ("=", "%3D"))


def _escape(label: str) -> str:
    for char, code in _ESCAPES:
        label = label.replace(char, code)
    return label


def _unescape(text: str) -> str:
    for char, code in reversed(_ESCAPES):
        text = text.replace(code, char)
    return text


def encode_sources(columns: Mapping[str, str]) -> str:
    """``{"A&E": "n_a_e", ...}`` (label -> column, in column order) as a ``sources`` value."""
    return ";".join(f"{_escape(label)}={column}" for label, column in columns.items())


def decode_sources(text) -> dict[str, str]:
    """A ``sources`` value as column -> label; empty for NULL or empty text."""
    if is_missing(text) or not str(text).strip():
        return {}
    out: dict[str, str] = {}
    for item in str(text).split(";"):
        label, sep, column = item.rpartition("=")
        if not sep or not is_source_column(column):
            raise ValueError(f"sources: {item!r} is not LABEL=n_<slug>")
        out[column] = _unescape(label)
    return out


def source_labels(fields_or_row) -> dict[str, str]:
    """Column -> source label for each ``n_<slug>`` field, in field order.

    ``fields_or_row`` is a row (a mapping such as a dict or a pandas Series, holding the
    ``sources`` value) or a sequence of field names. A column that ``sources`` does not name
    (a layer without it) reads as its slug: nothing is guessed.
    """
    if hasattr(fields_or_row, "keys"):
        names, stored = list(fields_or_row.keys()), decode_sources(fields_or_row.get(SOURCES))
    else:
        names, stored = list(fields_or_row), {}
    return {c: stored.get(c, c.removeprefix(SOURCE_PREFIX)) for c in source_fields(names)}


# --- values -----------------------------------------------------------------------------------


def is_missing(value) -> bool:
    """None or NaN (a NULL read from a layer): missing, which is not zero."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_number(value) -> float:
    """A field value as a float; NaN when missing or not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


# --- the profile codec ------------------------------------------------------------------------

PROFILE_CELLS = HOURS_PER_WEEK
PROFILE_DECIMALS = 2
PROFILE_SEPARATOR = ","


def encode_profile(cells: Sequence[float]) -> str:
    """One profile as text (module doc); ``""`` when every cell is 0. Negative cells print 0.

    The reference for :func:`encode_profiles`, which does the same to many rows at once.
    """
    if len(cells) != PROFILE_CELLS:
        raise ProfileError(f"an hour-of-week profile has {PROFILE_CELLS} values, not {len(cells)}")
    if not any(cells):
        return ""
    return PROFILE_SEPARATOR.join(_cell_text(float(v)) for v in cells)


def _cell_text(value: float) -> str:
    whole, cents = divmod(max(round(value * 100), 0), 100)
    if cents == 0:
        return str(whole)
    return f"{whole}.{cents:02d}".rstrip("0")


def decode_profile(text) -> list[float]:
    """A ``profile`` value as 168 floats (Monday 00:00 first); zeros for NULL or empty text.

    Raises :class:`ProfileError` when the text is not 168 readable values.
    """
    if is_missing(text) or not str(text).strip():
        return [0.0] * PROFILE_CELLS
    parts = str(text).strip().split(PROFILE_SEPARATOR)
    if len(parts) != PROFILE_CELLS:
        raise ProfileError(
            f"an hour-of-week profile has {PROFILE_CELLS} values, this one has {len(parts)}"
        )
    try:
        return [float(p) if p.strip() else 0.0 for p in parts]
    except ValueError as error:
        raise ProfileError(f"unreadable hour-of-week profile: {error}") from None


def encode_profiles(matrix, chunk: int = 20_000):
    """Rows of a sparse (n x 168) matrix as profile texts (object array; ``""`` for rows
    without stored values), exactly as :func:`encode_profile` writes each row.

    Vectorised byte assembly, ``chunk`` rows at a time (no per-row Python): every character's
    place is computed arithmetically in a fixed-width buffer. Rows that would read the same
    are formatted once and share one str: many blocks hold a single incident at the same
    hour (3-4x fewer strings to make and hold). numpy and scipy are imported here, not at
    module level, so that reading the schema stays free.
    """
    import numpy as np
    import scipy.sparse as sp

    p = sp.csr_matrix(matrix)
    p.sort_indices()
    out = np.full(p.shape[0], "", dtype=object)
    nz = np.flatnonzero(np.diff(p.indptr) > 0)
    if nz.size == 0:
        return out
    firsts, codes = _same_rows(p, nz, np)
    texts = np.empty(firsts.size, dtype=object)
    for c0 in range(0, firsts.size, chunk):
        texts[c0 : c0 + chunk] = _format_rows(p[nz[firsts[c0 : c0 + chunk]]], np)
    out[nz] = texts[codes]
    return out


def _cents(values, np):
    """Stored values as the whole cents the text shows (negatives read 0)."""
    return np.maximum(np.rint(values * 100), 0).astype(np.int64)


def _row_hashes(indices, cents, starts, lengths, np):
    """A 64-bit mix of each row's (column, cents) entries; equal rows hash equal."""
    with np.errstate(over="ignore"):
        mix = (indices.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        mix ^= (cents.astype(np.uint64) + np.uint64(0x632BE59BD9B4E019)) * np.uint64(
            0xBF58476D1CE4E5B9
        )
        mix ^= mix >> np.uint64(29)
        mix *= np.uint64(0x94D049BB133111EB)
        return np.add.reduceat(mix, starts) ^ (lengths.astype(np.uint64) << np.uint64(48))


def _same_rows(p, nz, np):
    """For the non-empty rows ``nz`` of csr ``p`` (sorted indices): ``firsts``, positions in
    ``nz`` of one row per distinct text, and ``codes``, each row's index into ``firsts``.
    Rows are grouped by hash, then checked entry by entry against their group's first row;
    a row that differs (a hash collision) becomes a group of its own, so the grouping is
    exact."""
    import pandas as pd

    starts = p.indptr[nz]
    lengths = np.diff(p.indptr)[nz]
    cents = _cents(p.data, np)
    codes, uniques = pd.factorize(_row_hashes(p.indices, cents, starts, lengths, np))
    firsts = np.full(len(uniques), -1, dtype=np.int64)
    firsts[codes[::-1]] = np.arange(len(codes))[::-1]  # each group's first row
    rep = firsts[codes]
    same_length = lengths == lengths[rep]
    row_of = np.repeat(np.arange(len(nz)), lengths)
    offset = np.arange(len(p.data)) - starts[row_of]
    mate = np.where(same_length[row_of], starts[rep][row_of] + offset, 0)
    entry_ok = same_length[row_of] & (p.indices == p.indices[mate]) & (cents == cents[mate])
    bad = np.flatnonzero(np.bincount(row_of[~entry_ok], minlength=len(nz)) > 0)
    codes = codes.astype(np.int64)
    codes[bad] = len(firsts) + np.arange(bad.size)
    return np.concatenate([firsts, bad]), codes


def _format_rows(p, np):
    """Text for each row of the csr matrix ``p`` (all rows hold values)."""
    r, c = p.shape
    row = np.repeat(np.arange(r), np.diff(p.indptr))
    col = p.indices
    cents = _cents(p.data, np)
    whole, frac = np.divmod(cents, 100)
    most_digits = len(str(int(whole.max()))) if whole.size else 1
    digits = np.ones(whole.shape, dtype=np.int64)
    for d in range(1, most_digits):
        digits += whole >= 10**d
    has_frac = frac > 0
    two = has_frac & (frac % 10 > 0)
    cell_len = np.ones((r, c), dtype=np.int64)  # a zero cell reads "0"
    cell_len[row, col] = digits + 2 * has_frac + two
    step = cell_len + 1
    starts = np.cumsum(step, axis=1) - step
    width = int((starts[:, -1] + cell_len[:, -1]).max())
    base = starts + (np.arange(r, dtype=np.int64) * width)[:, None]
    flat = np.zeros(r * width, dtype=np.uint8)
    flat[base.ravel()] = ord("0")
    flat[(base[:, :-1] + cell_len[:, :-1]).ravel()] = ord(PROFILE_SEPARATOR)
    at = base[row, col]
    last = at + digits - 1
    for d in range(most_digits):
        ok = d < digits
        flat[last[ok] - d] = 48 + (whole[ok] // 10**d) % 10
    flat[(at + digits)[has_frac]] = ord(".")
    flat[(at + digits + 1)[has_frac]] = 48 + frac[has_frac] // 10
    flat[(at + digits + 2)[two]] = 48 + frac[two] % 10
    return flat.view(f"S{width}").astype(str).astype(object)
