"""Wall clock and real time in one time zone, by the plugin's own rules.

Incident times are recorded as wall-clock readings ("23:15 on Saturday"); durations and the
aoristic shares of :mod:`hotblocking.timeline` need real time. The conversion rules are the
plugin's, not a library's (pandas 1.5 and 2.2 move spring-gap times differently), so results are
identical on every supported library version. Only :mod:`zoneinfo` is consulted, for the zone's
UTC offsets.

Rules (README, "Clock changes"):

* an ambiguous reading (the autumn hour that happens twice) means its **first** occurrence;
* a reading that does not exist (inside the spring-forward gap) is kept as recorded by the
  callers and **counts from the end of the gap** (01:30 on the spring change day counts as the
  instant the clocks reach 02:00 BST);
* a span of readings (a time window such as 01:00-02:00) covers **every real instant whose
  reading lies in it**: on the autumn night a 01:00-02:00 window lasts two real hours, on the
  spring night none.

Arrays are int64 milliseconds since 1970-01-01 (naive local readings or UTC instants) or
``datetime64[ms]``; NaT stays NaT. A zone's offsets are found once per run, for the years the
data covers: sampled twice a day from :mod:`zoneinfo` and each change located to the second.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from .constants import DEFAULT_TIMEZONE, MS_PER_DAY, MS_PER_SECOND
from .errors import HotBlockingError

__all__ = [
    "DEFAULT_TIMEZONE",
    "ClockChanges",
    "ZoneRules",
    "clock_changes",
    "local_spans_to_utc",
    "local_to_utc",
    "split_by_offset",
    "utc_to_local",
    "zone",
    "zone_rules",
]

NAT = np.iinfo(np.int64).min  # the int64 behind NaT

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_SAMPLE_MS = MS_PER_DAY // 2  # zones never change offset twice within 12 hours
# datetime's range (years 1..9999), a day inside each end
_FIRST_MS = (_dt.datetime(1, 1, 2, tzinfo=_dt.UTC) - _EPOCH) // _dt.timedelta(milliseconds=1)
_LAST_MS = (_dt.datetime(9999, 12, 30, tzinfo=_dt.UTC) - _EPOCH) // _dt.timedelta(milliseconds=1)


class UnknownTimeZoneError(HotBlockingError):
    """A time zone name that the IANA database on this machine does not know."""


def zone(tz) -> ZoneInfo:
    """A :class:`zoneinfo.ZoneInfo` from a name (``"Europe/London"``) or a ZoneInfo."""
    if isinstance(tz, ZoneInfo):
        return tz
    name = str(tz or "").strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimeZoneError(
            f"Unknown time zone {name!r}: give an IANA name such as Europe/London, "
            "Europe/Helsinki or America/Phoenix."
        ) from error


@dataclass(frozen=True)
class ZoneRules:
    """A zone's UTC offsets over a range of years: ``offsets[i]`` applies from
    ``starts[i]`` (UTC ms; ``starts[0]`` is -inf) until ``starts[i + 1]``."""

    starts: np.ndarray
    offsets: np.ndarray

    @property
    def local_starts(self) -> np.ndarray:
        """The first reading of each offset period (increasing: gaps are skipped readings)."""
        return self.starts + self.offsets

    @property
    def local_ends(self) -> np.ndarray:
        """The reading just after each offset period's last instant."""
        return np.append(self.starts[1:] + self.offsets[:-1], np.iinfo(np.int64).max)

    def period_of_utc(self, utc_ms: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, utc_ms, side="right") - 1


def _offset_ms(tz: ZoneInfo, utc_ms: int) -> int:
    offset = (_EPOCH + _dt.timedelta(milliseconds=int(utc_ms))).astimezone(tz).utcoffset()
    return 0 if offset is None else offset // _dt.timedelta(milliseconds=1)


def _change_instant(tz: ZoneInfo, before_ms: int, after_ms: int) -> int:
    """The first second at which the offset differs from the one at ``before_ms``."""
    old = _offset_ms(tz, before_ms)
    lo, hi = before_ms // MS_PER_SECOND, -(-after_ms // MS_PER_SECOND)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_ms(tz, mid * MS_PER_SECOND) == old:
            lo = mid
        else:
            hi = mid
    return hi * MS_PER_SECOND


@lru_cache(maxsize=64)
def _rules_for_years(tz: ZoneInfo, first_year: int, last_year: int) -> ZoneRules:
    begin = max(_FIRST_MS, _year_start_ms(first_year) - MS_PER_DAY)
    end = min(_LAST_MS, _year_start_ms(last_year + 1) + MS_PER_DAY)
    samples = np.arange(begin, end + _SAMPLE_MS, _SAMPLE_MS, dtype=np.int64)
    offsets = np.array([_offset_ms(tz, t) for t in samples], dtype=np.int64)
    changed = np.flatnonzero(offsets[1:] != offsets[:-1])
    starts = [np.iinfo(np.int64).min // 2]
    starts += [_change_instant(tz, int(samples[i]), int(samples[i + 1])) for i in changed]
    period_offsets = np.concatenate([offsets[:1], offsets[changed + 1]])
    return ZoneRules(np.array(starts, dtype=np.int64), period_offsets)


def _year_start_ms(year: int) -> int:
    year = min(max(year, 1), 9999)
    return (_dt.datetime(year, 1, 1, tzinfo=_dt.UTC) - _EPOCH) // _dt.timedelta(milliseconds=1)


def zone_rules(tz, *times_ms: np.ndarray) -> ZoneRules:
    """The zone's offsets for every year the given int64 ms arrays (NaT ignored) touch.

    Only the years present (and their neighbours) are looked up, so a typo'd year such as
    0225 or 9999 costs two more years, not the millennia between.
    """
    tz = zone(tz)
    years: set[int] = set()
    for values in times_ms:
        v = np.asarray(values, dtype=np.int64)
        v = np.clip(v[v != NAT], _FIRST_MS, _LAST_MS)
        years.update((np.unique(v.view("M8[ms]").astype("M8[Y]").view(np.int64)) + 1970).tolist())
    return _rules_for_runs(tz, _year_runs(years or {1970}))


def _year_runs(years: set[int]) -> tuple[tuple[int, int], ...]:
    """Contiguous runs of the years and their neighbours, e.g. ((224, 226), (2023, 2026))."""
    wanted = sorted({min(max(y + k, 1), 9999) for y in years for k in (-1, 0, 1)})
    runs, first = [], wanted[0]
    for before, after in zip(wanted, wanted[1:]):
        if after != before + 1:
            runs.append((first, before))
            first = after
    runs.append((first, wanted[-1]))
    return tuple(runs)


@lru_cache(maxsize=64)
def _rules_for_runs(tz: ZoneInfo, runs: tuple[tuple[int, int], ...]) -> ZoneRules:
    starts, offsets = [], []
    for k, (first_year, last_year) in enumerate(runs):
        rules = _rules_for_years(tz, first_year, last_year)
        run_starts = rules.starts.copy()
        if k:  # a later run takes over from its first sampled instant
            run_starts[0] = max(_FIRST_MS, _year_start_ms(first_year) - MS_PER_DAY)
        starts.append(run_starts)
        offsets.append(rules.offsets)
    return ZoneRules(np.concatenate(starts), np.concatenate(offsets))


def _as_ms(times) -> tuple[np.ndarray, np.ndarray]:
    """(int64 ms, valid mask) from datetime64 or int64 input."""
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[ms]").view(np.int64)
    arr = arr.astype(np.int64, copy=False)
    return arr, arr != NAT


def utc_to_local(utc, tz=DEFAULT_TIMEZONE) -> np.ndarray:
    """UTC instants -> naive local readings (``datetime64[ms]``)."""
    ms, ok = _as_ms(utc)
    out = np.full(ms.shape, NAT, dtype=np.int64)
    if ok.any():
        rules = zone_rules(tz, ms[ok])
        out[ok] = ms[ok] + rules.offsets[rules.period_of_utc(ms[ok])]
    return out.view("datetime64[ms]")


def local_to_utc(local, tz=DEFAULT_TIMEZONE) -> np.ndarray:
    """Naive local readings -> UTC instants (``datetime64[ms]``).

    An ambiguous reading gives its first occurrence; a skipped reading gives the end of the
    gap (the instant of the change).
    """
    ms, ok = _as_ms(local)
    out = np.full(ms.shape, NAT, dtype=np.int64)
    if ok.any():
        rules = zone_rules(tz, ms[ok])
        out[ok] = _first_instant(rules, ms[ok])
    return out.view("datetime64[ms]")


def _first_instant(rules: ZoneRules, local_ms: np.ndarray) -> np.ndarray:
    # The earliest offset period whose readings reach past the value holds its first
    # occurrence, unless the value lies before that period's first reading (a gap).
    period = np.searchsorted(rules.local_ends, local_ms, side="right")
    inside = local_ms >= rules.local_starts[period]
    return np.where(inside, local_ms - rules.offsets[period], rules.starts[period])


@dataclass(frozen=True)
class ClockChanges:
    """How many readings fell on a clock change (for the log)."""

    ambiguous: int  # read as their first occurrence
    nonexistent: int  # kept as recorded, counted from the end of the gap


def clock_changes(local, tz=DEFAULT_TIMEZONE) -> ClockChanges:
    """Count readings in an autumn repeated hour or a spring gap."""
    ms, ok = _as_ms(local)
    ms = ms[ok]
    if not ms.size:
        return ClockChanges(0, 0)
    rules = zone_rules(tz, ms)
    period = np.searchsorted(rules.local_ends, ms, side="right")
    gap = ms < rules.local_starts[period]
    later = np.minimum(period + 1, len(rules.starts) - 1)
    repeated = ~gap & (period + 1 < len(rules.starts)) & (ms >= rules.local_starts[later])
    return ClockChanges(int(repeated.sum()), int(gap.sum()))


def local_spans_to_utc(starts_local, ends_local, tz=DEFAULT_TIMEZONE):
    """Every real instant whose reading lies in one of the half-open spans ``[start, end)``.

    Returns UTC ``(starts, ends)`` as ``datetime64[ms]``, sorted, disjoint and merged where they
    touch. A span's preimage may be two pieces (the autumn repeated hour) or none (a span inside
    a spring gap).
    """
    a, ok_a = _as_ms(starts_local)
    b, ok_b = _as_ms(ends_local)
    keep = ok_a & ok_b & (b > a)
    a, b = a[keep], b[keep]
    if not a.size:
        empty = np.array([], dtype="datetime64[ms]")
        return empty, empty.copy()
    rules = zone_rules(tz, a, b)
    first = np.searchsorted(rules.local_ends, a, side="right")
    last = np.searchsorted(rules.local_starts, b, side="left") - 1
    count = np.maximum(last - first + 1, 0)
    span = np.repeat(np.arange(a.size), count)
    period = np.repeat(first, count) + _ranks_within(count)
    next_start = np.append(rules.starts[1:], np.iinfo(np.int64).max)
    lo = np.maximum(a[span] - rules.offsets[period], rules.starts[period])
    hi = np.minimum(b[span] - rules.offsets[period], next_start[period])
    lo, hi = lo[hi > lo], hi[hi > lo]
    order = np.argsort(lo, kind="stable")
    lo, hi = _merge_touching(lo[order], hi[order])
    return lo.view("datetime64[ms]"), hi.view("datetime64[ms]")


def _ranks_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each count c, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


def _merge_touching(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if lo.size < 2:
        return lo, hi
    reach = np.maximum.accumulate(hi)
    new = np.concatenate([[True], lo[1:] > reach[:-1]])
    return lo[new], np.maximum.reduceat(hi, np.flatnonzero(new))


def split_by_offset(starts_utc, ends_utc, tz=DEFAULT_TIMEZONE):
    """Cut UTC ranges ``[start, end)`` where the zone's offset changes.

    Returns ``(row, start, end, offset)`` per piece (int64 ms; ``row`` indexes the input),
    so that within a piece local reading = UTC + offset. An instant (end <= start or NaT)
    is one piece with ``end == start``. Rows with a NaT start give no piece.
    """
    s, ok_s = _as_ms(starts_utc)
    e, ok_e = _as_ms(ends_utc)
    e = np.where(ok_e & (e > s), e, s)
    rows = np.flatnonzero(ok_s)
    s, e = s[rows], e[rows]
    if not rows.size:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, empty
    rules = zone_rules(tz, s, e)
    first = rules.period_of_utc(s)
    last = np.maximum(rules.period_of_utc(np.maximum(e - 1, s)), first)
    count = last - first + 1
    piece_row = np.repeat(np.arange(rows.size), count)
    period = np.repeat(first, count) + _ranks_within(count)
    next_start = np.append(rules.starts[1:], np.iinfo(np.int64).max)
    lo = np.maximum(s[piece_row], rules.starts[period])
    hi = np.minimum(e[piece_row], next_start[period])
    hi = np.maximum(hi, lo)
    return rows[piece_row], lo, hi, rules.offsets[period]
