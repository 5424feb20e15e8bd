"""Aoristic time arithmetic: how much of each incident falls in a time window or a week-hour.

Incidents recorded as a range ``[start, end)`` whose exact time is unknown are spread uniformly
over the range (the aoristic method, Ratcliffe 2002, "Aoristic signatures and the spatio-temporal
analysis of high volume crime patterns", J. Quantitative Criminology 18(1)); an instant counts 1
where it falls.

Times arrive as local wall-clock (Europe/London by default), naive, as recorded. Durations are
real elapsed time: local times are converted to UTC with :mod:`zoneinfo` rules through pandas'
``tz_localize``: an ambiguous autumn time takes its first occurrence (BST) and a nonexistent
spring-forward time shifts forward to the end of the gap. A 20:00-02:00 range on the
spring-forward night therefore lasts 5 real hours. Window occurrences are defined in local
wall-clock and converted the same way.

An end that is NaT, equal to the start, or before the start is treated as an instant at the
start (a reversed range is a recording error; callers may count them with
:func:`reversed_spans`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import scipy.sparse as sp

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
    "long_spans",
    "occurrence_intervals",
    "period_bounds",
    "reversed_spans",
    "span_hours",
    "window_share",
]

LONDON = ZoneInfo("Europe/London")
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 24 * MS_PER_HOUR
_NAT = np.datetime64("NaT", "ms")


def _as_ms(times) -> np.ndarray:
    """Any datetime-like array (numpy, pandas Series/Index) as naive datetime64[ms]."""
    if isinstance(times, (pd.Series, pd.Index)):
        if getattr(times.dtype, "tz", None) is not None:
            raise ValueError("expected naive local times, got tz-aware values")
        times = times.to_numpy()
    arr = np.asarray(times)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(arr).to_numpy()
    return arr.astype("datetime64[ms]")


def _localize_exact(ms: np.ndarray, tz) -> np.ndarray:
    """Local wall-clock ms -> UTC ms through pandas + zoneinfo (first occurrence, shift forward)."""
    if ms.size == 0:
        return ms.astype(np.int64)
    idx = pd.DatetimeIndex(ms.astype("datetime64[ms]"))
    loc = idx.tz_localize(tz, ambiguous=np.ones(ms.size, dtype=bool), nonexistent="shift_forward")
    return (
        loc.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[ms]").view(np.int64)
    )


def local_to_utc(times, tz=LONDON) -> np.ndarray:
    """Naive local wall-clock times -> naive UTC datetime64[ms] (NaT stays NaT).

    zoneinfo rules are applied once per distinct local hour (fast for millions of rows); hours
    that contain a transition (the spring gap, the autumn fold) are converted value by value
    with ``ambiguous`` = first occurrence and ``nonexistent="shift_forward"``.
    """
    t = _as_ms(times)
    out = np.full(t.shape, _NAT)
    ok = ~np.isnat(t)
    if not ok.any():
        return out
    tv = t[ok].view(np.int64)
    hours = np.floor_divide(tv, MS_PER_HOUR)
    uh, inv = np.unique(hours, return_inverse=True)
    conv = _localize_exact(np.concatenate([uh, uh + 1]) * MS_PER_HOUR, tz)
    a, b = conv[: uh.size], conv[uh.size :]
    res = a[inv] + (tv - hours * MS_PER_HOUR)
    irregular = (b - a != MS_PER_HOUR)[inv]
    if irregular.any():
        res[irregular] = _localize_exact(tv[irregular], tz)
    out[ok] = res.view("datetime64[ms]")
    return out


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
    """UTC ``(starts, ends)`` (datetime64[ms], sorted, disjoint) of the window's occurrences
    starting on local dates ``first_day..last_day``; empty occurrences (inside a spring gap)
    are dropped."""
    a_loc, b_loc = window.occurrences(first_day, last_day)
    a, b = local_to_utc(a_loc, tz), local_to_utc(b_loc, tz)
    keep = b > a
    return a[keep], b[keep]


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


def _utc_hour_to_local_how(hours: np.ndarray, tz) -> np.ndarray:
    """Local hour-of-week (0..167) of UTC hour numbers (hours since the epoch)."""
    idx = pd.DatetimeIndex((hours * MS_PER_HOUR).astype("datetime64[ms]"))
    loc = idx.tz_localize("UTC").tz_convert(tz)
    return (loc.dayofweek.to_numpy() * 24 + loc.hour.to_numpy()).astype(np.int64)


def hour_profile_utc(
    block_index, starts_utc, ends_utc, n_blocks: int, weights=None, tz=LONDON
) -> sp.csr_matrix:
    """Aoristic hour-of-week profile per block from UTC times: sparse (n_blocks x 168).

    An instant puts its weight (default 1) in its local hour; a range spreads it by the share
    of its real duration in each local hour (UK offsets are whole hours, so local hours are
    UTC hours relabelled; the autumn fold's two 01:00 hours both land in cell 01). Rows with
    NaT start or ``block_index < 0`` are ignored. Cost grows with the longest span (one
    vectorised pass per hour offset): filter long spans first.
    """
    bi = np.asarray(block_index, dtype=np.int64)
    s = np.asarray(starts_utc).astype("datetime64[ms]")
    e = np.asarray(ends_utc).astype("datetime64[ms]")
    sv, ev, has, is_range = _utc_arrays(s, e)
    w = np.ones(sv.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    use = np.flatnonzero(has & (bi >= 0))
    if use.size == 0:
        return sp.csr_matrix((n_blocks, 168), dtype=np.float64)
    sv, ev, rng_, bi, w = sv[use], ev[use], is_range[use], bi[use], w[use]
    h0 = np.floor_divide(sv, MS_PER_HOUR)
    nh = np.where(rng_, np.floor_divide(ev - 1, MS_PER_HOUR) - h0 + 1, 1)
    dur = np.where(rng_, ev - sv, 1).astype(np.float64)
    rows, hrs, vals = [], [], []
    active = np.arange(sv.size)
    k = 0
    while active.size:
        h = h0[active] + k
        lo = np.maximum(sv[active], h * MS_PER_HOUR)
        hi = np.minimum(ev[active], (h + 1) * MS_PER_HOUR)
        frac = np.where(rng_[active], (hi - lo) / dur[active], 1.0)
        rows.append(bi[active])
        hrs.append(h)
        vals.append(frac * w[active])
        k += 1
        active = active[nh[active] > k]
    rows_a = np.concatenate(rows)
    hrs_a = np.concatenate(hrs)
    vals_a = np.concatenate(vals)
    hmin, hmax = hrs_a.min(), hrs_a.max()
    if hmax - hmin < 2_000_000:
        lut = _utc_hour_to_local_how(np.arange(hmin, hmax + 1), tz)
        how = lut[hrs_a - hmin]
    else:
        uh, inv = np.unique(hrs_a, return_inverse=True)
        how = _utc_hour_to_local_how(uh, tz)[inv]
    m = sp.coo_matrix((vals_a, (rows_a, how)), shape=(n_blocks, 168)).tocsr()
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
