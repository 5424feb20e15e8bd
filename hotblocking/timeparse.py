"""Read incident times from the forms UK ambulance, A&E and police extracts arrive in.

Times become naive wall-clock ``datetime64[ms]`` of the analysis time zone (Europe/London by
default): the clock a patrol works to. The ISTV minimum data set (NHS Data Dictionary) carries
ASSAULT DATE AND TIME; ambulance records carry a call time; both are exported as text in many
layouts. Accepted without a format:

* ISO 8601 (year first): ``2026-11-21``, ``2026-11-21 23:15``, ``2026-11-21T23:15:00``, fractional
  seconds (``.123`` or ``,123``), and ``Z`` / ``+01:00`` / ``+0100`` / ``+01`` offsets. A value with
  an offset is an instant: it is converted to the zone's wall clock (:mod:`hotblocking.clock`;
  in Europe/London ``2026-07-01T12:00:00Z`` is 13:00 BST). ``/`` and ``.`` also work as
  year-first separators.
* UK day first: ``21/11/2026``, ``21/11/2026 23:15``, ``21/11/2026 23:15:00``,
  ``21-11-2026 23:15:00``, ``21.11.2026 23:15``; one-digit day, month and hour too.
  Never month first: ``11/21/2026`` is unreadable and ``03/04/2026`` is 3 April.

Values without an offset are taken as London wall-clock as written, including the repeated hour
of the autumn change and the skipped hour of the spring change (no information is invented).
Date-only values become midnight and are flagged in ``date_only``; year-first months
(``2018-07``, ``2018/07``: data.police.uk's ``Month``) become the month's first midnight and are
flagged in ``month_only``.

The parser is vectorised (no per-value Python): strings become a fixed-width character matrix,
rows are grouped by shape (digits masked, separators kept), each shape's layout is recognised
once from its digit runs and separators, and the fields of all its rows are read column-wise with
numpy. This replaces grouping by regex + ``pd.to_datetime(format=...)`` per group, which measured
about 1.7 us a value for a day-first format and 3.5 us with offsets (2M values: 3.5-7 s);
``pd.to_datetime`` is used only for an explicit ``fmt``.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import exclusive_cumsum as _exclusive_cumsum
from .clock import DEFAULT_TIMEZONE, utc_to_local
from .constants import LONDON
from .constants import MS_PER_DAY as _MS_DAY
from .constants import MS_PER_HOUR as _MS_HOUR
from .constants import MS_PER_MINUTE as _MS_MIN

__all__ = ["LONDON", "ParsedTimes", "parse_times", "validate_times"]

_NAT = np.iinfo(np.int64).min  # the int64 behind NaT
_CHUNK = 1 << 17  # rows per character matrix (bounds memory)
_MAX_CHARS = 64  # longer strings are not times
_MAX_RUNS = 9  # Y M D h m s frac offset-h offset-m
_MAX_DIGITS = 9
_MAX_SHAPES = 256  # beyond this many shapes in a chunk, fields are gathered row by row
_NULL_TOKENS = frozenset({"", "null", "none", "nan", "nat"})
_TIME_DIRECTIVES = (
    "%H",
    "%I",
    "%M",
    "%S",
    "%f",
    "%p",
    "%X",
    "%c",
    "%T",
    "%R",
    "%z",
    "%Z",
    "%s",
)

_DAY_DIRECTIVES = ("%d", "%j", "%e", "%a", "%A", "%w", "%u", "%U", "%W", "%x", "%D", "%F")


@dataclass(frozen=True, eq=False)
class ParsedTimes:
    """Times read from one column, aligned with the input."""

    times: np.ndarray
    """datetime64[ms], naive Europe/London wall-clock; NaT where null or unreadable."""
    reason: np.ndarray
    """object: None where read (or null), else e.g. "unreadable time 'abc'"."""
    is_null: np.ndarray
    """bool: blank string, None, NaN or NaT (not an error: the caller decides)."""
    date_only: np.ndarray
    """bool: a date without a time of day, read as midnight (the caller may take the whole day)."""
    month_only: np.ndarray
    """bool: a month without a day (``2018-07``, data.police.uk), read as its first midnight."""

    @property
    def ok(self) -> np.ndarray:
        """bool: a time was read."""
        return ~self.is_null & (self.reason == None)  # noqa: E711 (element-wise)


@dataclass
class _Parsed:
    """Working arrays for a subset of values (int64 ms, NaT as ``_NAT``)."""

    ms: np.ndarray
    ok: np.ndarray
    date_only: np.ndarray
    month_only: np.ndarray
    utc: np.ndarray  # ms holds a UTC instant still to be made local wall-clock
    hint: np.ndarray  # 0 no layout, 1 impossible date/time, 2 month > 12 in a day-first date

    @classmethod
    def empty(cls, n: int) -> _Parsed:
        return cls(
            np.full(n, _NAT, np.int64),
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n, np.int8),
        )

    def put(self, idx: np.ndarray, other: _Parsed) -> None:
        self.ms[idx] = other.ms
        self.ok[idx] = other.ok
        self.date_only[idx] = other.date_only
        self.month_only[idx] = other.month_only
        self.utc[idx] = other.utc
        self.hint[idx] = other.hint


# --------------------------------------------------------------------------------------------
# Strings
# --------------------------------------------------------------------------------------------


def _chars(*chars: str) -> list[int]:
    return [ord(c) for c in chars]


_NFIELDS = 9
_Y, _MO, _D, _H, _MI, _S, _F, _OH, _OM = range(_NFIELDS)  # fields of a time string


@dataclass
class _Layout:
    """Per row: whether a known layout was found, and the column and width of each field."""

    ok: np.ndarray  # bool
    dmy: np.ndarray  # bool: day first
    date_only: np.ndarray  # bool
    month_only: np.ndarray  # bool: YYYY-MM or YYYY/MM
    tz: np.ndarray  # bool: Z or an offset follows the time
    sign: np.ndarray  # int64: +1 or -1, the offset's sign
    col: np.ndarray  # int64 (n, _NFIELDS): first column of the field's digits, -1 if absent
    width: np.ndarray  # int64 (n, _NFIELDS): number of digits, 0 if absent


def _recognise(c: np.ndarray) -> _Layout:
    """Find the layout of each row of a character matrix (``uint32`` code points, 0-padded).

    Rows are cut into digit runs; the run lengths and the separators between runs identify the
    layouts of the module docstring.
    """
    n, w = c.shape
    dig = (c - np.uint32(48)) < 10  # wraps below '0'
    start = dig.copy()
    start[:, 1:] &= ~dig[:, :-1]
    end = dig.copy()
    end[:, :-1] &= ~dig[:, 1:]
    srow, scol = np.nonzero(start)  # digit runs, row by row, left to right
    ecol = np.nonzero(end)[1]
    nruns = np.bincount(srow, minlength=n)
    rank = np.arange(srow.shape[0]) - np.repeat(_exclusive_cumsum(nruns), nruns)
    strlen = np.count_nonzero(c, axis=1)
    nxt = np.empty_like(scol)
    nxt[:-1] = scol[1:]
    last = rank == nruns[srow] - 1
    nxt[last] = strlen[srow[last]]
    gaplen = nxt - ecol - 1  # separator characters after the run

    keep = rank < _MAX_RUNS
    r, k = srow[keep], rank[keep]
    S = np.zeros((n, _MAX_RUNS), np.int64)
    L = np.zeros((n, _MAX_RUNS), np.int64)
    G = np.zeros((n, _MAX_RUNS), np.uint32)
    GL = np.zeros((n, _MAX_RUNS), np.int64)
    S[r, k] = scol[keep]
    L[r, k] = (ecol - scol + 1)[keep]
    GL[r, k] = gaplen[keep]
    G[r, k] = np.where(gaplen > 0, c[srow, np.minimum(ecol + 1, w - 1)], 0)[keep]
    lead = (nruns > 0) & (S[:, 0] == 0)  # the first run starts the string

    def short(j: int) -> np.ndarray:
        return (L[:, j] >= 1) & (L[:, j] <= 2)

    # date: three runs with one repeated separator
    date_sep = (
        lead
        & (nruns >= 3)
        & (GL[:, 0] == 1)
        & (GL[:, 1] == 1)
        & (G[:, 0] == G[:, 1])
        & np.isin(G[:, 0], _chars("-", "/", "."))
    )
    ymd = date_sep & (L[:, 0] == 4) & short(1) & short(2)
    dmy = date_sep & (L[:, 2] == 4) & short(0) & short(1)
    date_only = (nruns == 3) & (GL[:, 2] == 0)
    month_only = (  # year-first month: 2018-07 (data.police.uk's Month)
        lead
        & (nruns == 2)
        & (GL[:, 0] == 1)
        & np.isin(G[:, 0], _chars("-", "/"))
        & (L[:, 0] == 4)
        & short(1)
        & (GL[:, 1] == 0)
    )

    # time: h:mm[:ss[.fff]], then nothing, Z, +hh, +hhmm or +hh:mm
    timebase = (
        (nruns >= 5)
        & (GL[:, 2] == 1)
        & np.isin(G[:, 2], _chars(" ", "T", "t"))
        & short(3)
        & (GL[:, 3] == 1)
        & (G[:, 3] == ord(":"))
        & (L[:, 4] == 2)
    )
    has_sec = timebase & (GL[:, 4] == 1) & (G[:, 4] == ord(":")) & (L[:, 5] == 2)
    has_frac = (
        has_sec
        & (GL[:, 5] == 1)
        & np.isin(G[:, 5], _chars(".", ","))
        & (L[:, 6] >= 1)
        & (L[:, 6] <= _MAX_DIGITS)
    )
    lt = np.where(has_frac, 6, np.where(has_sec, 5, 4))  # last run of the time of day
    rows = np.arange(n)
    g_l, gl_l = G[rows, lt], GL[rows, lt]
    l1, g1, gl1 = L[rows, lt + 1], G[rows, lt + 1], GL[rows, lt + 1]
    l2, gl2 = L[rows, lt + 2], GL[rows, lt + 2]
    tail_none = (nruns == lt + 1) & (gl_l == 0)
    tail_z = (nruns == lt + 1) & (gl_l == 1) & np.isin(g_l, _chars("Z", "z"))
    signed = (gl_l == 1) & np.isin(g_l, _chars("+", "-"))
    tail_hh = signed & (nruns == lt + 2) & (l1 == 2) & (gl1 == 0)
    tail_hhmm = signed & (nruns == lt + 2) & (l1 == 4) & (gl1 == 0)
    tail_hh_mm = (
        signed
        & (nruns == lt + 3)
        & (l1 == 2)
        & (gl1 == 1)
        & (g1 == ord(":"))
        & (l2 == 2)
        & (gl2 == 0)
    )
    has_tz = tail_z | tail_hh | tail_hhmm | tail_hh_mm
    time_ok = timebase & (tail_none | has_tz)
    ok = (ymd & (date_only | time_ok)) | (dmy & (date_only | (time_ok & ~has_tz))) | month_only
    timed = ok & ~date_only

    col = np.full((n, _NFIELDS), -1, np.int64)
    width = np.zeros((n, _NFIELDS), np.int64)

    def field(
        j: int, mask: np.ndarray, run: np.ndarray | int, shift: int = 0, wide: int = 0
    ) -> None:
        at = np.flatnonzero(mask)
        ri = run[at] if isinstance(run, np.ndarray) else run
        col[at, j] = S[at, ri] + shift
        width[at, j] = wide or L[at, ri]

    field(_Y, ok, np.where(ymd | month_only, 0, 2))
    field(_MO, ok, 1)
    field(_D, ok & ~month_only, np.where(ymd, 2, 0))
    field(_H, timed, 3)
    field(_MI, timed, 4)
    field(_S, timed & has_sec, 5)
    field(_F, timed & has_frac, 6)
    field(_OH, timed & (tail_hh | tail_hhmm | tail_hh_mm), lt + 1, wide=2)
    field(_OM, timed & tail_hhmm, lt + 1, shift=2, wide=2)
    field(_OM, timed & tail_hh_mm, lt + 2)
    return _Layout(
        ok=ok,
        dmy=ok & dmy & ~ymd,
        date_only=ok & date_only & ~month_only,
        month_only=month_only,
        tz=timed & has_tz,
        sign=np.where(g_l == ord("-"), -1, 1),
        col=col,
        width=width,
    )


def _read_columns(digits: np.ndarray, col: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Fields at the same columns in every row: ``(_NFIELDS, n)`` int32 (nine digits fit)."""
    vals = np.zeros((_NFIELDS, digits.shape[1]), np.int32)
    for j in range(_NFIELDS):
        v = vals[j]
        for t in range(int(width[j])):
            v *= 10
            v += digits[col[j] + t]
    return vals


def _read_fields(digits: np.ndarray, lay: _Layout, codes: np.ndarray) -> np.ndarray:
    """Integer value of every field of every row, shape ``(_NFIELDS, n)`` (0 where absent).

    ``digits`` is the character matrix transposed, minus ``ord("0")`` (``(w, n)`` int32);
    ``lay`` holds one layout per shape and ``codes`` each row's shape. Rows of one shape are
    read from the same columns; with very many shapes (free text) each row's columns are
    gathered. At most nine fields of nine digits: no per-value Python loop.
    """
    w, n = digits.shape
    k = lay.col.shape[0]
    if k == 1:
        return _read_columns(digits, lay.col[0], lay.width[0])
    if k <= _MAX_SHAPES:
        vals = np.zeros((_NFIELDS, n), np.int32)
        order = np.argsort(codes, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(codes, minlength=k))))
        for g in np.flatnonzero(lay.width.any(axis=1)):  # shapes with a layout
            rows = order[bounds[g] : bounds[g + 1]]
            vals[:, rows] = _read_columns(digits[:, rows], lay.col[g], lay.width[g])
        return vals
    vals = np.zeros((_NFIELDS, n), np.int32)
    rows = np.arange(n)
    for j in range(_NFIELDS):
        col, width = lay.col[codes, j], lay.width[codes, j]
        v = vals[j]
        for t in range(int(lay.width[:, j].max())):
            inside = t < width
            digit = digits[np.clip(col + t, 0, w - 1), rows]
            v[inside] = v[inside] * 10 + digit[inside]
    return vals


def _compose(vals: np.ndarray, lay: _Layout, codes: np.ndarray) -> _Parsed:
    """Check the fields and turn them into int64 ms (UTC for values with an offset)."""
    n = vals.shape[1]
    res = _Parsed.empty(n)
    ok, dmy, tz, sign = lay.ok[codes], lay.dmy[codes], lay.tz[codes], lay.sign[codes]
    flen = lay.width[codes, _F]
    vals = vals.astype(np.int64)
    month_only = lay.month_only[codes]
    year, month = vals[_Y], vals[_MO]
    day = np.where(month_only, 1, vals[_D])
    hour, minute, second = vals[_H], vals[_MI], vals[_S]
    off_h, off_m = vals[_OH], vals[_OM]
    scale = 10 ** np.abs(3 - flen)
    frac_ms = np.where(flen <= 3, vals[_F] * scale, vals[_F] // scale)
    mc = np.clip(month, 1, 12)
    months = (np.clip(year, 1, 9999) - 1970) * 12 + (mc - 1)
    month_start = months.astype("M8[M]").astype("M8[D]").astype(np.int64)
    month_days = (months + 1).astype("M8[M]").astype("M8[D]").astype(np.int64) - month_start
    valid = (
        ok
        & (year >= 1)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
        & (off_h <= 18)
        & (off_m <= 59)
    )
    ms = (
        (month_start + day - 1) * _MS_DAY
        + hour * _MS_HOUR
        + minute * _MS_MIN
        + second * 1000
        + frac_ms
        - sign * (off_h * 60 + off_m) * _MS_MIN
    )
    res.ms[valid] = ms[valid]
    res.ok[:] = valid
    res.date_only[:] = valid & lay.date_only[codes]
    res.month_only[:] = valid & month_only
    res.utc[:] = valid & tz
    res.hint[ok & ~valid] = 1
    res.hint[dmy & ~valid & (month > 12) & (day >= 1) & (day <= 12)] = 2
    return res


def _shape_keys(c: np.ndarray) -> np.ndarray:
    """Two 64-bit hashes per row of its shape (every digit replaced by "0", other characters
    kept): ``(n, 2)``. Fixed odd multipliers in wrapping arithmetic, so rows differing in one
    character never collide; a false match needs both hashes to collide (about 2**-128)."""
    w = c.shape[1]
    pos = np.arange(1, w + 1, dtype=np.uint64)
    mult = np.stack(
        (
            (pos * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1),
            (pos * np.uint64(0xC2B2AE3D27D4EB4F) + np.uint64(0x165667B19E3779F9)) | np.uint64(1),
        ),
        axis=1,
    )
    shape = np.where((c - np.uint32(48)) < 10, np.uint32(48), c).astype(np.uint64)
    with np.errstate(over="ignore"):
        return (shape @ mult).view(np.int64)


def _scan(u: np.ndarray) -> _Parsed:
    """Read every time string of a 1-D ``U`` array.

    Rows are grouped by shape (digits replaced by "0", separators kept); a column from one
    source typically has a handful of shapes. The layout is recognised once per shape and every
    row of the shape is read from the same columns.
    """
    n = u.shape[0]
    w = u.dtype.itemsize // 4
    if n == 0 or w == 0:
        return _Parsed.empty(n)
    c = np.ascontiguousarray(u).view(np.uint32).reshape(n, w)
    keys = _shape_keys(c)
    k2 = keys[:, 1]
    codes, _ = pd.factorize(keys[:, 0])
    seen = np.maximum.accumulate(codes)
    first = np.flatnonzero(codes > np.concatenate(([-1], seen[:-1])))  # a row per shape
    lay = _recognise(c[first])
    digits = c.T.astype(np.int32)
    digits -= 48
    res = _compose(_read_fields(digits, lay, codes), lay, codes)
    clash = np.flatnonzero(k2 != k2[first][codes])  # the first hash collided: read apart
    if clash.size:
        own = np.arange(clash.size)
        lay = _recognise(c[clash])
        res.put(clash, _compose(_read_fields(digits[:, clash], lay, own), lay, own))
    return res


def _as_unicode(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A ``U`` array of the chunk's strings, and which were too long to be a time."""
    if chunk.dtype.kind == "U":
        lengths = np.char.str_len(chunk) if chunk.dtype.itemsize // 4 > _MAX_CHARS else None
    else:
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=chunk.shape[0])
        if lengths.size == 0 or lengths.max() <= _MAX_CHARS:
            return chunk.astype(str), np.zeros(chunk.shape[0], bool)
    if lengths is None:
        return chunk, np.zeros(chunk.shape[0], bool)
    too_long = lengths > _MAX_CHARS
    shortened = np.where(too_long, "", chunk.astype(object)).astype(f"U{_MAX_CHARS}")
    return shortened, too_long


def _scan_all(strs: np.ndarray) -> _Parsed:
    """:func:`_scan` over chunks of ``_CHUNK`` strings (object or ``U`` array)."""
    n = strs.shape[0]
    res = _Parsed.empty(n)
    for lo in range(0, n, _CHUNK):  # chunks bound the character matrix's memory
        hi = min(lo + _CHUNK, n)
        u, too_long = _as_unicode(strs[lo:hi])
        part = _scan(u)
        part.ok &= ~too_long
        part.hint[too_long] = 0
        res.put(np.arange(lo, hi), part)
    return res


def _quote(texts: pd.Series) -> pd.Series:
    """``'text'`` for a message, cut to 40 characters."""
    short = texts.str.slice(0, 40)
    short = short.where(texts.str.len() <= 40, short + "...")
    return "'" + short + "'"


def _parse_strings(strs: np.ndarray) -> tuple[_Parsed, np.ndarray, np.ndarray]:
    """Read strings without a format: (parsed, is_null, reason)."""
    n = strs.shape[0]
    res = _scan_all(strs)
    null = np.zeros(n, bool)
    reason = np.full(n, None, dtype=object)
    bad = np.flatnonzero(~res.ok)
    empty = np.asarray(strs[bad] == "", dtype=bool)
    null[bad[empty]] = True
    bad = bad[~empty]
    if bad.size == 0:
        return res, null, reason
    raw = pd.Series(strs[bad], dtype=object)
    clean = raw.str.strip().str.replace(r"\s+", " ", regex=True)
    blank = clean.str.lower().isin(_NULL_TOKENS).to_numpy()
    null[bad[blank]] = True
    retry = ~blank & (clean != raw).to_numpy()
    if retry.any():  # surrounding or repeated white space
        res.put(bad[retry], _scan_all(clean.to_numpy(dtype=object)[retry]))
    still = ~blank & ~res.ok[bad]
    if still.any():
        hint = res.hint[bad[still]]
        suffix = np.select(
            [hint == 2, hint == 1],
            [" (dates are read day first: DD/MM/YYYY)", " (no such date or time)"],
            "",
        )
        text = "unreadable time " + _quote(clean[still]) + suffix
        reason[bad[still]] = text.to_numpy(dtype=object)
    return res, null, reason


def _has_time_directive(fmt: str) -> bool:
    return any(d in fmt for d in _TIME_DIRECTIVES)


def _parse_with_format(strs: np.ndarray, fmt: str) -> tuple[_Parsed, np.ndarray, np.ndarray]:
    """Read strings with an explicit strftime format (``pd.to_datetime``, strict)."""
    n = strs.shape[0]
    res = _Parsed.empty(n)
    reason = np.full(n, None, dtype=object)
    text = pd.Series(strs, dtype=object).str.strip()
    null = text.str.lower().isin(_NULL_TOKENS).to_numpy()
    aware = "%z" in fmt or "%Z" in fmt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text.where(~null), format=fmt, errors="coerce", utc=aware)
    got = parsed.notna().to_numpy() & ~null
    if aware:
        parsed = parsed.dt.tz_localize(None)
    res.ms[got] = parsed.to_numpy(dtype="M8[ns]")[got].astype("M8[ms]").view(np.int64)
    res.ok[:] = got
    res.utc[:] = got & aware
    no_time = not _has_time_directive(fmt)
    no_day = not any(d in fmt for d in _DAY_DIRECTIVES)
    res.date_only[:] = got & no_time & (not no_day)
    res.month_only[:] = got & no_time & no_day
    bad = ~got & ~null
    if bad.any():
        msg = "unreadable time " + _quote(text[bad]) + f" (expected format {fmt})"
        reason[bad] = msg.to_numpy(dtype=object)
    return res, null, reason


# --------------------------------------------------------------------------------------------
# Python objects
# --------------------------------------------------------------------------------------------


def _datetimes(objs: np.ndarray) -> _Parsed:
    """``datetime.datetime`` / ``pd.Timestamp`` objects; aware ones are instants."""
    n = objs.shape[0]
    res = _Parsed.empty(n)
    aware = np.frompyfunc(lambda d: d.utcoffset() is not None, 1, 1)(objs).astype(bool)
    naive = ~aware
    if naive.any():
        sub = objs[naive]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ns = pd.to_datetime(sub, errors="coerce").to_numpy(dtype="M8[ns]")
        ms = ns.astype("M8[ms]").view(np.int64).copy()
        oob = np.isnat(ns)  # outside pandas' nanosecond range: numpy reads them (slowly)
        if oob.any():
            ms[oob] = sub[oob].astype("M8[ms]").view(np.int64)
        res.ms[naive] = ms
    if aware.any():  # as UTC by datetime's own arithmetic: any year, any library version
        as_utc = np.frompyfunc(lambda d: (d - d.utcoffset()).replace(tzinfo=None), 1, 1)
        res.ms[aware] = as_utc(objs[aware]).astype("M8[ms]").view(np.int64)
        res.utc[:] = aware
    res.ok[:] = res.ms != _NAT
    return res


def _dates(objs: np.ndarray) -> _Parsed:
    res = _Parsed.empty(objs.shape[0])
    res.ms[:] = objs.astype("M8[D]").astype("M8[ms]").view(np.int64)
    res.ok[:] = True
    res.date_only[:] = True
    return res


def _datetime64s(objs: np.ndarray) -> _Parsed:
    res = _Parsed.empty(objs.shape[0])
    res.ms[:] = objs.astype("M8[ms]").view(np.int64)
    res.ok[:] = res.ms != _NAT
    return res


def _kind(v: object) -> int:
    if isinstance(v, str):
        return 1
    if isinstance(v, _dt.datetime):
        return 2
    if isinstance(v, _dt.date):
        return 3
    if isinstance(v, np.datetime64):
        return 4
    return 5


_BY_INFERRED: dict[str, int] = {"string": 1, "datetime": 2, "date": 3, "datetime64": 4}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def parse_times(
    values: np.ndarray | pd.Series | list, fmt: str | None = None, tz=DEFAULT_TIMEZONE
) -> ParsedTimes:
    """Read a column of incident times as naive wall-clock ``datetime64[ms]`` of zone ``tz``.

    ``values`` may be a ``datetime64`` array (any unit; NaT is null; a day or coarser unit is
    date-only), a tz-aware pandas Series/Index (converted to London), a ``U`` array, or an
    object array of ``str``, ``datetime.datetime`` (aware ones converted to London),
    ``datetime.date`` (date-only), ``np.datetime64`` and None/NaN/NaT. Blank strings and the
    words NULL/None/NaN/NaT are null. Strings are read in the layouts of the module docstring;
    an explicit strftime ``fmt`` (e.g. ``"%Y%m%d %H%M"``) replaces detection for strings (a
    ``%z`` in it makes the values instants, converted to London). Other values are unreadable.
    """
    if isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype):
        utc = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
        values = utc_to_local(utc.to_numpy().astype("M8[ms]"), tz)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError("values must be one-dimensional")
    n = arr.shape[0]
    res = _Parsed.empty(n)
    null = np.zeros(n, bool)
    reason = np.full(n, None, dtype=object)

    kind = arr.dtype.kind
    if kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        res.ms[:] = arr.astype("M8[ms]").view(np.int64)
        null = res.ms == _NAT
        res.ok[:] = ~null
        if unit in ("M", "Y"):
            res.month_only[:] = ~null
        elif unit in ("D", "W"):
            res.date_only[:] = ~null
        return _finish(res, null, reason, tz)
    if kind in "US":
        strs = arr.astype(str) if kind == "S" else arr
        return _finish(*_read_strings(strs, fmt), tz)

    obj = arr.astype(object)
    null = np.asarray(pd.isna(obj), dtype=bool)
    idx = np.flatnonzero(~null)
    sub = obj[idx]
    inferred = pd.api.types.infer_dtype(sub, skipna=False) if sub.size else "empty"
    if inferred in _BY_INFERRED:
        kinds = np.full(sub.shape[0], _BY_INFERRED[inferred], np.int8)
    else:  # mixed types: one type test per value
        kinds = (
            np.frompyfunc(_kind, 1, 1)(sub).astype(np.int8) if sub.size else np.zeros(0, np.int8)
        )
    readers: dict[int, Callable[[np.ndarray], _Parsed]] = {
        2: _datetimes,
        3: _dates,
        4: _datetime64s,
    }
    for code in np.unique(kinds):  # at most five value types
        where = idx[kinds == code]
        group = obj[where]
        if code == 1:
            part, part_null, part_reason = _read_strings(group, fmt)
            res.put(where, part)
            null[where] = part_null
            reason[where] = part_reason
        elif code in readers:
            part = readers[int(code)](group)
            res.put(where, part)
            reason[where[~part.ok]] = (
                "unreadable time "
                + _quote(pd.Series(group[~part.ok]).astype(str))
                + " (out of range)"
            ).to_numpy(dtype=object)
        else:
            reason[where] = ("unreadable time " + _quote(pd.Series(group).astype(str))).to_numpy(
                dtype=object
            )
    return _finish(res, null, reason, tz)


def _read_strings(strs: np.ndarray, fmt: str | None) -> tuple[_Parsed, np.ndarray, np.ndarray]:
    return _parse_with_format(strs, fmt) if fmt else _parse_strings(strs)


def _finish(res: _Parsed, null: np.ndarray, reason: np.ndarray, tz) -> ParsedTimes:
    ms = res.ms.copy()
    if res.utc.any():
        ms[res.utc] = utc_to_local(ms[res.utc], tz).view(np.int64)
    ms[~res.ok] = _NAT
    return ParsedTimes(
        times=ms.view("M8[ms]"),
        reason=reason,
        is_null=null,
        date_only=res.date_only & res.ok,
        month_only=res.month_only & res.ok,
    )


def _naive_ms(value: object, tz) -> np.datetime64:
    """A moment as naive wall-clock ``datetime64[ms]`` (aware values are converted to ``tz``)."""
    if isinstance(value, _dt.datetime) and value.utcoffset() is not None:
        utc = (value - value.utcoffset()).replace(tzinfo=None)
        return utc_to_local(np.array([utc], dtype="M8[ms]"), tz)[0]
    if isinstance(value, str):
        parsed = parse_times(np.array([value], dtype=object), tz=tz)
        if not parsed.ok[0]:
            raise ValueError(f"cannot read {value!r} as a time")
        return parsed.times[0]
    return np.datetime64(value, "ms")


def validate_times(
    times: np.ndarray, now: object, earliest: object = "1990-01-01", tz=DEFAULT_TIMEZONE
) -> np.ndarray:
    """Reasons to distrust read times: "time in the future" (after ``now``) or
    "time before <earliest>"; None where plausible or NaT.

    ``now`` and ``earliest`` may be ``datetime``/``date``/``datetime64`` or strings in a layout
    :func:`parse_times` reads; aware datetimes are converted to ``tz`` wall-clock.
    """
    t = np.asarray(times).astype("M8[ms]")
    now64 = _naive_ms(now, tz)
    first = _naive_ms(earliest, tz)
    if isinstance(earliest, str):
        label = earliest.strip()
    elif first == first.astype("M8[D]"):
        label = str(first.astype("M8[D]"))
    else:
        label = str(first.astype("M8[s]")).replace("T", " ")
    reason = np.full(t.shape[0], None, dtype=object)
    reason[t > now64] = "time in the future"
    reason[t < first] = f"time before {label}"
    return reason
