"""Aoristic time arithmetic: how much of each incident falls in a time window or a week-hour.

Incidents recorded as a range ``[start, end)`` whose exact time is unknown are spread uniformly
over the range (the aoristic method, Ratcliffe 2002, "Aoristic signatures and the spatio-temporal
analysis of high volume crime patterns", J. Quantitative Criminology 18(1)); an instant counts 1
where it falls.

Times arrive as local wall-clock (Europe/London by default), naive, as recorded. Durations are
real elapsed time, by the rules of :mod:`hotblocking.clock`: an ambiguous autumn time takes its
first occurrence and a time inside the spring-forward gap counts from the end of the gap, so a
20:00-02:00 range on the spring-forward night lasts 5 real hours. A window is a set of
wall-clock readings: its occurrences cover every real instant whose reading lies inside (both
passes of the autumn repeated hour), and the hour-of-week profile files each instant under its
reading's hour, so windows and profiles always agree.

An end that is NaT, equal to the start, or before the start is treated as an instant at the
start (a reversed range is a recording error; callers may count them with
:func:`reversed_spans`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import clock
from .constants import LONDON, MS_PER_HOUR
from .windows import Window

__all__ = [
    "LONDON",
    "MS_PER_HOUR",
    "hour_of_week",
    "hour_of_week_profile",
    "hour_profile_utc",
    "in_period",
    "interval_share",
    "local_to_utc",
    "counted_shares",
    "long_spans",
    "occurrence_intervals",
    "period_bounds",
    "reversed_spans",
    "span_hours",
    "window_share",
]

_NAT = np.datetime64("NaT", "ms")


def _as_ms(times) -> np.ndarray:
    """Any datetime-like array (numpy, pandas Series/Index) as naive datetime64[ms]."""
    if isinstance(times, pd.Series | pd.Index):
        if getattr(times.dtype, "tz", None) is not None:
            raise ValueError("expected naive local times, got tz-aware values")
        times = times.to_numpy()
    arr = np.asarray(times)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(arr).to_numpy()
    return arr.astype("datetime64[ms]")


def local_to_utc(times, tz=LONDON) -> np.ndarray:
    """Naive local wall-clock times -> naive UTC datetime64[ms] (NaT stays NaT), by the rules
    of :mod:`hotblocking.clock` (first occurrence; a gap time counts from the gap's end)."""
    return clock.local_to_utc(_as_ms(times), tz)


def hour_of_week(times) -> np.ndarray:
    """Local hour-of-week index (Mon 00:00-01:00 = 0 .. Sun 23:00 = 167); -1 for NaT."""
    t = _as_ms(times)
    ok = ~np.isnat(t)
    hours = np.floor_divide(t.view(np.int64), MS_PER_HOUR)
    # 1970-01-01 00:00 was Thursday, hour-of-week 72.
    return np.where(ok, (hours + 72) % 168, -1)


def period_bounds(period_start=None, period_end=None) -> tuple[np.datetime64, np.datetime64]:
    """Half-open local bounds ``[start 00:00, day after end 00:00)``; NaT where not given."""
    lo = hi = _NAT
    if period_start is not None:
        lo = np.datetime64(pd.Timestamp(period_start).normalize().to_datetime64(), "ms")
    if period_end is not None:
        hi = np.datetime64(pd.Timestamp(period_end).normalize().to_datetime64(), "ms")
        hi = hi + np.timedelta64(1, "D")
    return lo, hi


def in_period(starts, period_start=None, period_end=None) -> np.ndarray:
    """Rows whose local start date lies in ``[period_start, period_end]`` (whole end day).

    With no bound every row passes, NaT included; with a bound a NaT start cannot be placed
    and fails.
    """
    t = _as_ms(starts)
    lo, hi = period_bounds(period_start, period_end)
    keep = np.ones(t.shape, dtype=bool)
    if not np.isnat(lo):
        keep &= t >= lo
    if not np.isnat(hi):
        keep &= t < hi
    if not (np.isnat(lo) and np.isnat(hi)):
        keep &= ~np.isnat(t)
    return keep


def _utc_pair(starts, ends, tz) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start ms, end ms, has_time, is_range) in UTC; instants have end = start."""
    s = local_to_utc(starts, tz)
    e = local_to_utc(ends, tz)
    return _utc_arrays(s, e)


def _utc_arrays(s: np.ndarray, e: np.ndarray):
    has = ~np.isnat(s)
    sv = s.view(np.int64)
    ev = e.view(np.int64)
    is_range = has & ~np.isnat(e) & (ev > sv)
    ev = np.where(is_range, ev, sv)
    return sv, ev, has, is_range


def span_hours(starts, ends, tz=LONDON) -> np.ndarray:
    """Real elapsed hours of each range (0 for instants, NaN without a start time)."""
    s, e, has, _ = _utc_pair(starts, ends, tz)
    return np.where(has, (e - s) / MS_PER_HOUR, np.nan)


def long_spans(starts, ends, max_hours: float = 72.0, tz=LONDON) -> np.ndarray:
    """Ranges lasting more than ``max_hours`` real hours (flag them; by default Hot Blocking
    leaves them out of windows and profiles but keeps them in totals)."""
    s, e, has, _ = _utc_pair(starts, ends, tz)
    return has & ((e - s) > max_hours * MS_PER_HOUR)


def reversed_spans(starts, ends) -> np.ndarray:
    """Rows whose end is before their start (recording errors, treated as instants)."""
    s, e = _as_ms(starts), _as_ms(ends)
    return ~np.isnat(s) & ~np.isnat(e) & (e < s)


def occurrence_intervals(
    window: Window, first_day, last_day, tz=LONDON
) -> tuple[np.ndarray, np.ndarray]:
    """UTC ``(starts, ends)`` (datetime64[ms], sorted, disjoint) of the real instants whose
    wall-clock reading falls in one of the window's occurrences starting on local dates
    ``first_day..last_day`` (two pieces for the autumn repeated hour, none inside a gap)."""
    a_loc, b_loc = window.occurrences(first_day, last_day)
    return clock.local_spans_to_utc(a_loc, b_loc, tz)


def interval_share(starts_utc, ends_utc, occ_starts_utc, occ_ends_utc) -> np.ndarray:
    """Aoristic share of each incident inside sorted disjoint intervals ``[a, b)`` (UTC).

    An instant scores 1 inside, else 0; a range ``[s, e)`` scores the fraction of its real
    duration that lies inside. NaT start gives NaN. Vectorised via the cumulative covered-time
    function C(t) and ``searchsorted`` (no per-incident loop).
    """
    s = np.asarray(starts_utc).astype("datetime64[ms]")
    e = np.asarray(ends_utc).astype("datetime64[ms]")
    sv, ev, has, is_range = _utc_arrays(s, e)
    a = np.asarray(occ_starts_utc).astype("datetime64[ms]").view(np.int64)
    b = np.asarray(occ_ends_utc).astype("datetime64[ms]").view(np.int64)
    out = np.zeros(sv.shape, dtype=np.float64)
    out[~has] = np.nan
    if a.size == 0:
        return out
    lengths = b - a
    cum = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    def covered(t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(a, t, side="right") - 1
        ic = np.clip(i, 0, None)
        part = np.clip(t - a[ic], 0, lengths[ic])
        return np.where(i >= 0, cum[ic] + part, 0)

    inst = has & ~is_range
    ts = sv[inst]
    i = np.searchsorted(a, ts, side="right") - 1
    ic = np.clip(i, 0, None)
    out[inst] = ((i >= 0) & (ts < b[ic])).astype(np.float64)
    rs, re_ = sv[is_range], ev[is_range]
    out[is_range] = (covered(re_) - covered(rs)) / (re_ - rs)
    return out


def _data_days(s: np.ndarray, e: np.ndarray) -> tuple[np.datetime64, np.datetime64] | None:
    """Local dates whose window occurrences can touch the data (start - 1 day .. latest end)."""
    ok = ~np.isnat(s)
    if not ok.any():
        return None
    first = s[ok].min().astype("datetime64[D]") - np.timedelta64(1, "D")
    last = s[ok].max()
    ok_e = ~np.isnat(e)
    if ok_e.any():
        last = max(last, e[ok_e].max())
    return first, last.astype("datetime64[D]")


def window_share(
    starts, ends, window: Window, period_start=None, period_end=None, tz=LONDON
) -> np.ndarray:
    """Share (0..1) of each incident inside ``window``'s occurrences (aoristic; module doc).

    ``starts``/``ends`` are naive local times. ``period_start``/``period_end`` (dates,
    inclusive) restrict the occurrences counted to those starting in the period; by default
    every occurrence touching the data counts. NaT start gives NaN (no time: report it).
    """
    s, e = _as_ms(starts), _as_ms(ends)
    su, eu = local_to_utc(s, tz), local_to_utc(e, tz)
    days = _data_days(s, e)
    if days is None:
        return np.full(s.shape, np.nan)
    first, last = days
    if period_start is not None:
        first = max(first, np.datetime64(pd.Timestamp(period_start).date(), "D"))
    if period_end is not None:
        last = min(last, np.datetime64(pd.Timestamp(period_end).date(), "D"))
    a, b = occurrence_intervals(window, first, last, tz)
    return interval_share(su, eu, a, b)


def counted_shares(
    starts,
    ends,
    window: Window,
    *,
    time_of_day=None,
    period_start=None,
    period_end=None,
    max_span_hours: float | None = 72.0,
    tz=LONDON,
    starts_utc=None,
    ends_utc=None,
) -> np.ndarray:
    """How much of each record counts in ``window``: the one rule computerisk and the backtest
    share (0 where it does not count; never NaN).

    * A time-of-day window counts the aoristic share of the record inside the window's
      occurrences that start on a date of the study period (a night belongs to the evening it
      starts); without a period, every occurrence touching the data. Records without a time
      of day (``time_of_day`` False: a date or a month only), without a start, or spanning
      more than ``max_span_hours`` real hours count 0.
    * The whole-period window (``all``) counts every record: the share of its range inside
      ``[period_start 00:00, day after period_end 00:00)``, or 1 without a period (a record
      without a start then counts 1; with a period it cannot be placed and counts 0).

    ``starts_utc``/``ends_utc``, when given, are the records' real times (saves converting).
    """
    s, e = _as_ms(starts), _as_ms(ends)
    su = local_to_utc(s, tz) if starts_utc is None else _as_ms(starts_utc)
    eu = local_to_utc(e, tz) if ends_utc is None else _as_ms(ends_utc)
    if window.whole_period:
        return _period_share(su, eu, period_start, period_end, tz)
    days = _data_days(s, e)
    if days is None:
        return np.zeros(s.shape)
    first, last = days
    if period_start is not None:
        first = max(first, np.datetime64(pd.Timestamp(period_start).date(), "D"))
    if period_end is not None:
        last = min(last, np.datetime64(pd.Timestamp(period_end).date(), "D"))
    a, b = occurrence_intervals(window, first, last, tz)
    share = np.nan_to_num(interval_share(su, eu, a, b), nan=0.0)
    counted = ~np.isnat(s)
    if time_of_day is not None:
        counted &= np.asarray(time_of_day, dtype=bool)
    if max_span_hours is not None and np.isfinite(max_span_hours):
        sv, ev, _, is_range = _utc_arrays(su, eu)
        counted &= ~(is_range & (ev - sv > max_span_hours * MS_PER_HOUR))
    return np.where(counted, share, 0.0)


def _period_share(starts_utc, ends_utc, period_start, period_end, tz) -> np.ndarray:
    if period_start is None and period_end is None:
        return np.ones(starts_utc.shape)
    lo, hi = period_bounds(period_start, period_end)
    first = lo if not np.isnat(lo) else np.datetime64("0001-01-02", "ms")
    last = hi if not np.isnat(hi) else np.datetime64("9999-12-30", "ms")
    a, b = clock.local_spans_to_utc(np.array([first]), np.array([last]), tz)
    return np.nan_to_num(interval_share(starts_utc, ends_utc, a, b), nan=0.0)


def hour_profile_utc(
    block_index, starts_utc, ends_utc, n_blocks: int, weights=None, tz=LONDON
) -> sp.csr_matrix:
    """Aoristic hour-of-week profile per block from UTC times: sparse (n_blocks x 168).

    An instant puts its weight (default 1) in the hour of its local reading; a range spreads
    it by the share of its real duration spent in each local hour (the autumn fold's two 01:00
    hours both land in cell 01; any offset, whole hour or not). Rows with NaT start or
    ``block_index < 0`` are ignored. Cost grows with the longest span (one vectorised pass per
    hour offset): filter long spans first.
    """
    bi = np.asarray(block_index, dtype=np.int64)
    s = np.asarray(starts_utc).astype("datetime64[ms]")
    e = np.asarray(ends_utc).astype("datetime64[ms]")
    sv, ev, has, is_range = _utc_arrays(s, e)
    w = np.ones(sv.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    use = np.flatnonzero(has & (bi >= 0))
    if use.size == 0:
        return sp.csr_matrix((n_blocks, 168), dtype=np.float64)
    row, lo_utc, hi_utc, offset = clock.split_by_offset(sv[use], ev[use], tz)
    piece_block, piece_weight = bi[use][row], w[use][row]
    ranged = is_range[use][row]
    duration = np.where(ranged, (ev[use] - sv[use])[row], 1).astype(np.float64)
    lo, hi = lo_utc + offset, hi_utc + offset  # local readings: a piece has one offset
    first_hour = np.floor_divide(lo, MS_PER_HOUR)
    last_hour = np.floor_divide(np.maximum(hi - 1, lo), MS_PER_HOUR)
    n_hours = np.where(ranged, last_hour - first_hour + 1, 1)
    rows, hours, values = [], [], []
    active = np.arange(lo.size)
    k = 0
    while active.size:
        hour = first_hour[active] + k
        overlap = np.minimum(hi[active], (hour + 1) * MS_PER_HOUR) - np.maximum(
            lo[active], hour * MS_PER_HOUR
        )
        share = np.where(ranged[active], overlap / duration[active], 1.0)
        rows.append(piece_block[active])
        hours.append(hour)
        values.append(share * piece_weight[active])
        k += 1
        active = active[n_hours[active] > k]
    # 1970-01-01 00:00 was a Thursday, hour-of-week 72.
    how = (np.concatenate(hours) + 72) % 168
    m = sp.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), how)), shape=(n_blocks, 168)
    ).tocsr()
    m.sum_duplicates()
    return m


def hour_of_week_profile(
    block_index, starts, ends, n_blocks: int, weights=None, tz=LONDON
) -> sp.csr_matrix:
    """168-cell aoristic hour-of-week profile per block (rows) from naive local times.

    See :func:`hour_profile_utc`; Mon 00:00-01:00 local is column 0.
    """
    return hour_profile_utc(
        block_index, local_to_utc(starts, tz), local_to_utc(ends, tz), n_blocks, weights, tz
    )
