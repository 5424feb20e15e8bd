"""Hot-block risk by time window: the orchestrator.

Counts incidents per street block inside each time window with the aoristic method
(Ratcliffe 2002; :mod:`hotblocking.timeline`), weights them by source, harm (Cambridge Crime
Harm Index style weights, Sherman, Neyroud & Neyroud 2016) and recency (exponential decay with a
half-life), optionally smooths along the network (:mod:`hotblocking.network`), ranks blocks per
window, tests each block's count against a length-proportional Poisson null with
Benjamini-Hochberg control (:mod:`hotblocking.significance`) and reports concentration as in
Weisburd (2015) "The law of crime concentration and the criminology of place".

Conventions (documented choices):

* ``weight`` NaN counts as 1 in ``harm`` (and in ``risk`` when ``use_harm``).
* Sources missing from ``source_weights`` weigh 1. A merged multi-source incident takes the
  largest weight among its sources and its largest harm weight.
* ``incidents`` and the ``n_<source>`` columns are unweighted aoristic counts; after merging, a
  merged incident counts once in ``incidents`` and once in each of its sources' columns, so the
  source columns may sum to more than ``incidents``.
* Incidents without a start time, or spanning more than ``max_span_hours``, are left out of the
  windows and profiles but kept in totals (``summary``: concentration, blocks_with_any). A
  period filter needs a start time, so with a period set untimed incidents are dropped.
* ``profile`` is the block's 168-cell aoristic hour-of-week profile (unweighted, local
  wall-clock, Mon 00:00 = cell 0) restricted to the cells the window touches (other cells 0;
  a partly covered hour counts whole). Text: 168 comma-separated values, 2 decimals, trailing
  zeros trimmed; empty when the block has nothing in the window. For a whole-week profile add
  a window such as ``all=daily 00:00-24:00``. ``profiles`` holds the same non-zero cells in
  long form.
* ``trend`` = rate in the last third of the study period / rate in the first two thirds
  (= 2 * last / rest, by in-window count and start time); NaN when the first two thirds hold
  nothing. The study period is ``[period_start, period_end]`` when given, else the first to the
  last incident start.
* ``p_value``/``q_value`` are computed on the unsmoothed in-window counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata

from .network import BlockNetwork, Cancelled, build_network, smooth
from .significance import bh_qvalues, expected_counts, poisson_upper_p
from .timeline import (
    LONDON,
    MS_PER_HOUR,
    hour_profile_utc,
    in_period,
    interval_share,
    local_to_utc,
    occurrence_intervals,
    period_bounds,
)
from .windows import DAY_NAMES, Window, hour_of_week_label

__all__ = [
    "HOT_RULE_KINDS",
    "Cancelled",
    "HotRule",
    "RiskResult",
    "compute_risk",
    "merge_groups",
    "profile_text",
    "source_column",
]

HOT_RULE_KINDS = ("top_n", "top_length_share", "significance")
MS_PER_DAY = 24 * MS_PER_HOUR
_PEAK_LABELS = np.array([hour_of_week_label(i) for i in range(168)] + [""], dtype=object)


@dataclass(frozen=True)
class HotRule:
    """Which blocks are "hot" in a window.

    * ``top_n``: the N highest-risk blocks (ties at the cut all included; risk > 0).
    * ``top_length_share``: highest-risk blocks until their length would exceed this share
      (0-1) of the network length (risk > 0; ties broken by input order).
    * ``significance``: Benjamini-Hochberg q-value <= value (e.g. 0.05).
    """

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in HOT_RULE_KINDS:
            raise ValueError(f"hot rule kind {self.kind!r}: expected one of {HOT_RULE_KINDS}")
        v = float(self.value)
        if self.kind == "top_n" and (v < 0 or v != int(v)):
            raise ValueError(f"top_n needs a whole number >= 0, got {self.value!r}")
        if self.kind == "top_length_share" and not 0 <= v <= 1:
            raise ValueError(f"top_length_share needs a share in 0..1, got {self.value!r}")
        if self.kind == "significance" and not 0 < v <= 1:
            raise ValueError(f"significance needs a q threshold in (0, 1], got {self.value!r}")


@dataclass
class RiskResult:
    """Output of :func:`compute_risk` (see the module doc for column meanings)."""

    table: pd.DataFrame
    profiles: pd.DataFrame
    summary: dict
    source_columns: dict[str, str] = field(default_factory=dict)


def source_column(source: str) -> str:
    """``"n_" + slug``: lowercase, runs of non-alphanumerics -> ``_`` ("A&E" -> "n_a_e")."""
    slug = re.sub(r"[^0-9a-z]+", "_", str(source).lower()).strip("_")
    return "n_" + (slug or "unknown")


def _source_columns(names: Sequence[str]) -> dict[str, str]:
    cols: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = col = source_column(name)
        k = 2
        while col in used:
            col = f"{base}_{k}"
            k += 1
        used.add(col)
        cols[name] = col
    return cols


def _mask_columns(m: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """``m`` with the columns outside ``keep`` (bool) dropped to zero, explicit zeros removed."""
    m = sp.csr_matrix(m)
    on = np.asarray(keep, dtype=bool)[m.indices] & (m.data != 0)
    counts = np.bincount(
        np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[on], minlength=m.shape[0]
    )
    indptr = np.concatenate([[0], np.cumsum(counts)])
    out = sp.csr_matrix((m.data[on], m.indices[on], indptr), shape=m.shape)
    out.sort_indices()
    return out


def _row_argmax(m: sp.csr_matrix) -> np.ndarray:
    """Column of each row's largest positive value (lowest column on ties); 168 if none.

    Vectorised replacement for ``csr.argmax(axis=1)``, which loops over rows in Python.
    """
    m = sp.csr_matrix(m)
    m.sort_indices()
    n = m.shape[0]
    out = np.full(n, m.shape[1], dtype=np.int64)
    nz = np.diff(m.indptr) > 0
    if not nz.any():
        return out
    row = np.repeat(np.arange(n), np.diff(m.indptr))
    rmax = np.full(n, -np.inf)
    rmax[nz] = np.maximum.reduceat(m.data, m.indptr[:-1][nz])
    hit = np.flatnonzero((m.data == rmax[row]) & (m.data > 0))
    r, first = np.unique(row[hit], return_index=True)
    out[r] = m.indices[hit[first]]
    return out


def profile_text(profile: sp.spmatrix, chunk: int = 20_000) -> np.ndarray:
    """Rows of a sparse (n x 168) matrix as ``"0,0,1.5,0.33,..."`` (2 decimals, trailing zeros
    trimmed); ``""`` for rows without stored values. Vectorised byte assembly (no per-row
    Python), ``chunk`` rows at a time."""
    p = sp.csr_matrix(profile)
    p.sort_indices()
    out = np.full(p.shape[0], "", dtype=object)
    nz = np.flatnonzero(np.diff(p.indptr) > 0)
    for c0 in range(0, nz.size, chunk):
        rows = nz[c0 : c0 + chunk]
        out[rows] = _format_rows(p[rows])
    return out


def _format_rows(p: sp.csr_matrix) -> np.ndarray:
    """Text for each row of ``p``: every byte's place is computed arithmetically and written
    into a fixed-width buffer, viewed as ``S<width>`` and decoded (numpy only)."""
    r, c = p.shape
    row = np.repeat(np.arange(r), np.diff(p.indptr))
    col = p.indices
    cents = np.maximum(np.rint(p.data * 100), 0).astype(np.int64)
    ip, fr = np.divmod(cents, 100)
    maxd = len(str(int(ip.max()))) if ip.size else 1
    nd = np.ones(ip.shape, dtype=np.int64)
    for d in range(1, maxd):
        nd += ip >= 10**d
    has_fr = fr > 0
    two = has_fr & (fr % 10 > 0)
    clen = np.ones((r, c), dtype=np.int64)  # a zero cell reads "0"
    clen[row, col] = nd + 2 * has_fr + two
    sep = clen + 1
    starts = np.cumsum(sep, axis=1) - sep
    width = int((starts[:, -1] + clen[:, -1]).max())
    base = starts + (np.arange(r, dtype=np.int64) * width)[:, None]
    flat = np.zeros(r * width, dtype=np.uint8)
    flat[base.ravel()] = ord("0")
    flat[(base[:, :-1] + clen[:, :-1]).ravel()] = ord(",")
    b = base[row, col]
    last = b + nd - 1
    for d in range(maxd):
        ok = d < nd
        flat[last[ok] - d] = 48 + (ip[ok] // 10**d) % 10
    flat[(b + nd)[has_fr]] = ord(".")
    flat[(b + nd + 1)[has_fr]] = 48 + fr[has_fr] // 10
    flat[(b + nd + 2)[two]] = 48 + fr[two] % 10
    return flat.view(f"S{width}").astype(str).astype(object)


def merge_groups(
    block_index: np.ndarray,
    times_utc: np.ndarray,
    source_codes: np.ndarray,
    start_node: np.ndarray,
    end_node: np.ndarray,
    merge_minutes: float,
) -> np.ndarray:
    """Group label (0..g-1) per incident after cross-source duplicate merging.

    Two incidents are candidates when they come from different sources, lie on the same block
    or on blocks sharing an end node (``start_node``/``end_node`` per block, from
    :func:`hotblocking.network.endpoint_nodes`) and start within ``merge_minutes`` of each
    other. Each incident is paired with its closest-in-time candidate of each other source;
    pairs chosen by both sides (mutual nearest) are joined and groups are their connected
    components. This keeps busy places from chaining many incidents into one; a chain across
    three or more sources can still, rarely, hold two records of one source. Untimed incidents
    and incidents off the network never merge. Vectorised: incidents are listed under both end
    nodes of their block, sorted by (node, time), and compared with the next k entries for
    k = 1, 2, ... while any pair is still within the tolerance.
    """
    bi = np.asarray(block_index, dtype=np.int64)
    n = bi.size
    labels = np.arange(n, dtype=np.int64)
    t_all = np.asarray(times_utc).astype("datetime64[ms]")
    idx = np.flatnonzero(~np.isnat(t_all) & (bi >= 0))
    if merge_minutes <= 0 or idx.size < 2:
        return labels
    src = np.asarray(source_codes, dtype=np.int64)[idx]
    t = np.floor_divide(t_all[idx].view(np.int64), 1000)
    t = t - t.min()
    tol = round(merge_minutes * 60)
    sn = np.asarray(start_node, dtype=np.int64)[bi[idx]]
    en = np.asarray(end_node, dtype=np.int64)[bi[idx]]
    m = idx.size
    # one entry per (incident, end node); a block with no end points is its own "node"
    n_nodes = int(max(sn.max(), en.max())) + 1
    sn = np.where(sn >= 0, sn, n_nodes + bi[idx])
    twice = (en >= 0) & (en != sn)
    ent_inc = np.concatenate([np.arange(m), np.flatnonzero(twice)])
    ent_node = np.concatenate([sn, en[twice]])
    stride = int(t.max()) + tol + 2
    key = ent_node * stride + t[ent_inc]
    order = np.argsort(key, kind="stable")
    key, ent_inc = key[order], ent_inc[order]
    pi_l, pj_l = [], []
    active = np.arange(key.size - 1)
    k = 1
    while active.size:
        near = key[active + k] - key[active] <= tol  # same node (stride > tol) and close
        active = active[near]
        if not active.size:
            break
        i, j = ent_inc[active], ent_inc[active + k]
        ok = src[i] != src[j]
        pi_l.append(i[ok])
        pj_l.append(j[ok])
        k += 1
        active = active[active + k < key.size]
    if not pi_l:
        return labels
    i = np.concatenate(pi_l)
    j = np.concatenate(pj_l)
    if i.size == 0:
        return labels
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    pair = np.unique(lo * m + hi)
    lo, hi = np.divmod(pair, m)
    i, j = np.concatenate([lo, hi]), np.concatenate([hi, lo])  # both directions
    n_src = int(src.max()) + 1
    dt = np.abs(t[i] - t[j])
    grp = i * n_src + src[j]
    o = np.lexsort((j, dt, grp))
    first = np.concatenate([[True], grp[o][1:] != grp[o][:-1]])
    ci, cj = i[o][first], j[o][first]
    chosen = np.sort(ci * m + cj)
    back = cj * m + ci
    pos = np.minimum(np.searchsorted(chosen, back), chosen.size - 1)
    mutual = chosen[pos] == back
    ci, cj = ci[mutual], cj[mutual]
    if ci.size == 0:
        return labels
    adj = sp.coo_matrix((np.ones(ci.size, dtype=np.int8), (ci, cj)), shape=(m, m))
    _, comp = connected_components(adj, directed=False)
    labels[idx] = n + comp
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def _column(df: pd.DataFrame, name: str, default) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def _as_local_ms(values) -> np.ndarray:
    s = pd.Series(values)
    if getattr(s.dtype, "tz", None) is not None:
        raise ValueError("time columns must be naive local wall-clock times")
    return pd.to_datetime(s).to_numpy().astype("datetime64[ms]")


def _hot(rule: HotRule, risk, rank, q, lengths) -> np.ndarray:
    if rule.kind == "top_n":
        return (rank <= rule.value) & (risk > 0)
    if rule.kind == "significance":
        return np.nan_to_num(q, nan=np.inf) <= rule.value
    order = np.lexsort((np.arange(risk.size), -risk))
    cum = np.cumsum(lengths[order])
    sel = (cum <= rule.value * lengths.sum()) & (risk[order] > 0)
    hot = np.zeros(risk.size, dtype=bool)
    hot[order[sel]] = True
    return hot


def _concentration(counts: np.ndarray, lengths: np.ndarray) -> dict[str, float]:
    """Share of incidents on the top 1%/5% of blocks and of network length (by count)."""
    total = counts.sum()
    out: dict[str, float] = {}
    order = np.lexsort((np.arange(counts.size), -counts))
    sc = counts[order]
    cum_len = np.cumsum(lengths[order])
    for pct in (1, 5):
        if total <= 0 or counts.size == 0:
            out[f"share_top_{pct}pct_blocks"] = math.nan
            out[f"share_top_{pct}pct_length"] = math.nan
            continue
        k = max(1, math.ceil(counts.size * pct / 100))
        out[f"share_top_{pct}pct_blocks"] = float(sc[:k].sum() / total)
        within = cum_len <= lengths.sum() * pct / 100
        out[f"share_top_{pct}pct_length"] = float(sc[within].sum() / total)
    return out


def compute_risk(
    incidents: pd.DataFrame,
    blocks: pd.DataFrame,
    block_geoms: np.ndarray | None,
    windows: Sequence[Window],
    *,
    hot_rule: HotRule,
    source_weights: dict[str, float] | None = None,
    use_harm: bool = False,
    half_life_days: float = 0.0,
    reference_time=None,
    bandwidth_m: float = 0.0,
    merge_minutes: float = 0.0,
    max_span_hours: float | None = 72.0,
    period_start=None,
    period_end=None,
    snap_tolerance: float = 0.01,
    network: BlockNetwork | None = None,
    tz=LONDON,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RiskResult:
    """Risk per block per time window (module doc for methods and conventions).

    ``incidents``: block_id, source, time_start, time_end, weight (naive local times).
    ``blocks``: block_id, link_id, name, length_m; ``block_geoms`` aligned LineStrings (needed
    for ``bandwidth_m > 0`` or ``merge_minutes > 0`` unless a ``network`` from
    :func:`hotblocking.network.build_network` is given; ``snap_tolerance`` in layer units). ``risk`` = source weight x (harm or 1) x
    ``0.5 ** (age_days / half_life_days)`` (no decay when 0; age from ``reference_time``,
    default the latest incident start; later incidents are not boosted), summed per block in
    the window, then smoothed over ``bandwidth_m``. Raises :class:`Cancelled` when
    ``cancelled()`` turns True.
    """

    def step(frac: float) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress is not None:
            progress(frac)

    windows = list(windows)
    if not windows:
        raise ValueError("at least one time window is needed")
    labels_seen = [w.label.casefold() for w in windows]
    if len(set(labels_seen)) != len(labels_seen):
        raise ValueError("window labels must be unique")
    if not isinstance(hot_rule, HotRule):
        raise TypeError("hot_rule must be a HotRule")
    for col in ("block_id", "link_id", "name", "length_m"):
        if col not in blocks.columns:
            raise ValueError(f"blocks: missing column {col!r}")
    for col in ("block_id", "source", "time_start"):
        if col not in incidents.columns:
            raise ValueError(f"incidents: missing column {col!r}")
    step(0.0)

    # --- blocks -------------------------------------------------------------------------
    nb = len(blocks)
    block_ids = blocks["block_id"].to_numpy()
    bindex = pd.Index(block_ids)
    if not bindex.is_unique:
        raise ValueError("blocks: block_id values must be unique")
    lengths = pd.to_numeric(blocks["length_m"], errors="coerce").to_numpy(dtype=np.float64)
    if block_geoms is not None and np.isnan(lengths).any():
        geom_len = shapely.length(np.asarray(block_geoms, dtype=object))
        lengths = np.where(np.isnan(lengths), geom_len, lengths)
    lengths = np.where(np.isfinite(lengths) & (lengths > 0), lengths, 0.0)

    # --- incidents ----------------------------------------------------------------------
    n_input = len(incidents)
    inc_ids = incidents["block_id"]
    if inc_ids.dtype != bindex.dtype:
        bindex = pd.Index(bindex.astype(str))
        inc_ids = inc_ids.astype(str)
    bidx = bindex.get_indexer(inc_ids).astype(np.int64)
    src_raw = incidents["source"].astype(object)
    src_raw = src_raw.where(src_raw.notna(), "unknown").astype(str)
    names = sorted(set(src_raw.unique()) | set(source_weights or {}))
    src_cols = _source_columns(names)
    src = pd.Categorical(src_raw, categories=names).codes.astype(np.int64)
    ts = _as_local_ms(incidents["time_start"])
    te = _as_local_ms(_column(incidents, "time_end", pd.NaT))
    wgt = pd.to_numeric(_column(incidents, "weight", np.nan), errors="coerce").to_numpy(
        dtype=np.float64
    )
    known = bidx >= 0
    in_per = in_period(ts, period_start, period_end)
    keep = np.flatnonzero(known & in_per)
    n_unknown = int((~known).sum())
    n_no_time = int((known & np.isnat(ts)).sum())
    n_outside = int((known & ~np.isnat(ts) & ~in_per).sum())
    bidx, src, ts, te, wgt = bidx[keep], src[keep], ts[keep], te[keep], wgt[keep]
    su, eu = local_to_utc(ts, tz), local_to_utc(te, tz)
    step(0.1)

    # --- graph and duplicate merging ------------------------------------------------------
    if (bandwidth_m > 0 or merge_minutes > 0) and network is None:
        if block_geoms is None:
            raise ValueError("block_geoms are needed for smoothing or duplicate merging")
        network = build_network(np.asarray(block_geoms, dtype=object), lengths, snap_tolerance)
    if network is not None and network.graph.shape[0] != nb:
        raise ValueError("network does not match blocks")
    step(0.15)
    n_src = len(names)
    n_before = bidx.size
    if merge_minutes > 0 and bidx.size:
        grp = merge_groups(bidx, su, src, network.start_node, network.end_node, merge_minutes)
        ng = int(grp.max()) + 1
        tkey = np.where(np.isnat(su), np.iinfo(np.int64).max, su.view(np.int64))
        o = np.lexsort((np.arange(grp.size), tkey, grp))
        first = np.concatenate([[True], grp[o][1:] != grp[o][:-1]])
        rep = o[first]  # earliest member of each group, groups in label order
        srcmask = np.zeros((ng, n_src), dtype=bool)
        srcmask[grp, src] = True
        wmax = pd.Series(wgt).groupby(grp).max().to_numpy(dtype=np.float64)
        bidx, ts, te, su, eu = bidx[rep], ts[rep], te[rep], su[rep], eu[rep]
        wgt = wmax
    else:
        srcmask = np.zeros((bidx.size, n_src), dtype=bool)
        srcmask[np.arange(bidx.size), src] = True
    n_merged = n_before - bidx.size
    n_multi = int((srcmask.sum(axis=1) > 1).sum())
    step(0.2)

    # --- flags, weights ---------------------------------------------------------------------
    sv = su.view(np.int64)
    has = ~np.isnat(su)
    is_range = has & ~np.isnat(eu) & (eu > su)
    reversed_ = has & ~np.isnat(te) & (te < ts)
    dur = np.where(is_range, eu.view(np.int64) - sv, 0)
    if max_span_hours is None or not np.isfinite(max_span_hours):
        long_ = np.zeros(bidx.size, dtype=bool)
    else:
        long_ = has & (dur > max_span_hours * MS_PER_HOUR)
    countable = has & ~long_

    sw_by_source = np.array([float((source_weights or {}).get(s, 1.0)) for s in names])
    if n_src:
        sw = np.where(srcmask, sw_by_source[None, :], -np.inf).max(axis=1)
    else:
        sw = np.ones(bidx.size)
    harm_w = np.where(np.isnan(wgt), 1.0, wgt)
    if reference_time is not None:
        ref_local = np.datetime64(pd.Timestamp(reference_time).to_datetime64(), "ms")
    elif has.any():
        ref_local = ts[has].max()
    else:
        ref_local = np.datetime64("NaT", "ms")
    ref = local_to_utc(np.array([ref_local]), tz)[0]
    if half_life_days > 0 and not np.isnat(ref):
        age = np.maximum((ref.view(np.int64) - sv) / MS_PER_DAY, 0.0)
        decay = np.where(has, 0.5 ** (age / half_life_days), 1.0)
    else:
        decay = np.ones(bidx.size)
    base = sw * decay * (harm_w if use_harm else 1.0)

    # --- study period (trend) and occurrence range -------------------------------------------
    lo, hi = period_bounds(period_start, period_end)
    tsv = ts.view(np.int64)
    if has.any():
        p0 = lo if not np.isnat(lo) else ts[has].min()
        p1 = hi if not np.isnat(hi) else ts[has].max()
    else:
        p0 = p1 = np.datetime64("NaT", "ms")
    if not np.isnat(p0) and p1 > p0:
        split = p0.view(np.int64) + (p1.view(np.int64) - p0.view(np.int64)) * 2 // 3
        late = tsv >= split
    else:
        late = None
    if countable.any():
        first_day = ts[countable].min().astype("datetime64[D]") - np.timedelta64(1, "D")
        ends = np.where(is_range, te, ts)[countable]
        last_day = max(ends.max(), ts[countable].max()).astype("datetime64[D]")
    else:
        first_day = last_day = None
    step(0.25)

    # --- hour-of-week profile (unweighted, countable incidents) ---------------------------------
    cidx = np.flatnonzero(countable)
    prof_all = hour_profile_utc(bidx[cidx], su[cidx], eu[cidx], nb, tz=tz)
    step(0.3)

    # --- per-window counts --------------------------------------------------------------------
    nw = len(windows)
    n_rows = nb * nw
    float_cols = [
        "incidents",
        *[src_cols[nm] for nm in names],
        "harm",
        "risk",
        "risk_per_km",
        "percentile",
        "expected",
        "p_value",
        "q_value",
        "trend",
    ]
    fi = {name: i for i, name in enumerate(float_cols)}
    # one float block, filled window by window, handed to pandas without a copy
    fblock = np.zeros((len(float_cols), n_rows))
    first_seen = np.empty(n_rows, dtype="datetime64[ms]")
    last_seen = np.empty(n_rows, dtype="datetime64[ms]")
    raw_risk = np.zeros((nb, nw))
    i64min, i64max = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    for k, win in enumerate(windows):
        rows = slice(k * nb, (k + 1) * nb)
        if first_day is not None:
            a, b = occurrence_intervals(win, first_day, last_day, tz)
            share = interval_share(su, eu, a, b)
            share = np.where(countable, np.nan_to_num(share, nan=0.0), 0.0)
        else:
            share = np.zeros(bidx.size)
        fblock[fi["incidents"], rows] = np.bincount(bidx, weights=share, minlength=nb)
        for s_i, name in enumerate(names):
            fblock[fi[src_cols[name]], rows] = np.bincount(
                bidx, weights=share * srcmask[:, s_i], minlength=nb
            )
        fblock[fi["harm"], rows] = np.bincount(bidx, weights=share * harm_w, minlength=nb)
        raw_risk[:, k] = np.bincount(bidx, weights=share * base, minlength=nb)
        pos = share > 0
        fs = np.full(nb, i64max, dtype=np.int64)
        ls = np.full(nb, i64min, dtype=np.int64)
        np.minimum.at(fs, bidx[pos], tsv[pos])
        np.maximum.at(ls, bidx[pos], tsv[pos])
        first_seen[rows] = np.where(fs == i64max, i64min, fs).view("datetime64[ms]")
        last_seen[rows] = ls.view("datetime64[ms]")
        if late is not None:
            c_late = np.bincount(bidx, weights=share * late, minlength=nb)
            c_rest = np.bincount(bidx, weights=share * ~late, minlength=nb)
            with np.errstate(divide="ignore", invalid="ignore"):
                fblock[fi["trend"], rows] = np.where(c_rest > 0, 2.0 * c_late / c_rest, np.nan)
        else:
            fblock[fi["trend"], rows] = np.nan
        del share, pos
        step(0.3 + 0.3 * (k + 1) / nw)

    # --- smoothing ----------------------------------------------------------------------------
    if bandwidth_m > 0:

        def sub_progress(f: float) -> None:
            step(0.6 + 0.25 * f)

        risk_all = smooth(
            raw_risk,
            network.graph,
            bandwidth_m,
            lengths,
            progress=sub_progress,
            cancelled=cancelled,
        )
    else:
        risk_all = raw_risk
    step(0.85)

    # --- ranks, significance, hot, profiles, table ---------------------------------------------
    with np.errstate(divide="ignore", invalid="ignore"):
        per_km = np.where(lengths > 0, 1000.0 / lengths, np.nan)
    rank_all = np.empty(n_rows, dtype=np.int64)
    hot_all = np.empty(n_rows, dtype=bool)
    peak_all = np.empty(n_rows, dtype=object)
    profile_all = np.empty(n_rows, dtype=object)
    prof_frames = []
    hot_counts: dict[str, int] = {}
    win_totals: dict[str, float] = {}
    win_blocks: dict[str, int] = {}
    day_cat = pd.CategoricalDtype(list(DAY_NAMES), ordered=True)
    win_cat = pd.CategoricalDtype([w.label for w in windows])
    for k, win in enumerate(windows):
        rows = slice(k * nb, (k + 1) * nb)
        risk = risk_all[:, k]
        cnt = fblock[fi["incidents"], rows]
        rank = rankdata(-risk, method="min").astype(np.int64)
        expected = expected_counts(cnt.sum(), lengths)
        p = poisson_upper_p(cnt, expected)
        q = bh_qvalues(p)
        hot = _hot(hot_rule, risk, rank, q, lengths)
        fblock[fi["risk"], rows] = risk
        fblock[fi["risk_per_km"], rows] = risk * per_km
        fblock[fi["percentile"], rows] = rankdata(risk, method="max") / max(nb, 1) * 100.0
        fblock[fi["expected"], rows] = expected
        fblock[fi["p_value"], rows] = p
        fblock[fi["q_value"], rows] = q
        rank_all[rows] = rank
        hot_all[rows] = hot
        pw = _mask_columns(prof_all, win.hour_mask())
        peak = np.where(cnt > 0, _row_argmax(pw), 168)
        peak_all[rows] = _PEAK_LABELS[peak]
        profile_all[rows] = profile_text(pw)
        coo = pw.tocoo()
        prof_frames.append(
            pd.DataFrame(
                {
                    "block_id": block_ids[coo.row],
                    "window": pd.Categorical.from_codes(
                        np.full(coo.nnz, k, dtype=np.int8), dtype=win_cat
                    ),
                    "day": pd.Categorical.from_codes(coo.col // 24, dtype=day_cat),
                    "hour": (coo.col % 24).astype(np.int64),
                    "value": coo.data,
                }
            )
        )
        hot_counts[win.label] = int(hot.sum())
        win_totals[win.label] = float(cnt.sum())
        win_blocks[win.label] = int((cnt > 0).sum())
        del pw, coo
        step(0.85 + 0.14 * (k + 1) / nw)
    del prof_all, risk_all, raw_risk

    table = pd.DataFrame(fblock.T, columns=float_cols, copy=False)
    del fblock
    front = [
        ("block_id", np.tile(block_ids, nw)),
        ("link_id", np.tile(blocks["link_id"].to_numpy(), nw)),
        ("name", np.tile(blocks["name"].to_numpy(), nw)),
        ("window", np.repeat(np.array([w.label for w in windows], dtype=object), nb)),
    ]
    for loc, (name, values) in enumerate(front):
        table.insert(loc, name, values)
    after = {
        "risk_per_km": [("rank", rank_all)],
        "q_value": [
            ("hot", hot_all),
            ("peak", peak_all),
            ("profile", profile_all),
            ("first_seen", first_seen),
            ("last_seen", last_seen),
        ],
    }
    for anchor, extra in after.items():
        loc = table.columns.get_loc(anchor) + 1
        for name, values in extra:
            table.insert(loc, name, values)
            loc += 1
    profiles = pd.concat(prof_frames, ignore_index=True)
    del prof_frames

    counts_all = np.bincount(bidx, minlength=nb).astype(np.float64)
    summary = {
        "incidents_input": n_input,
        "incidents_unknown_block": n_unknown,
        "incidents_outside_period": n_outside,
        "incidents_used": int(bidx.size),
        "incidents_without_time": n_no_time,
        "incidents_counted_in_windows": int(countable.sum()),
        "spans_flagged": int(long_.sum()),
        "spans_reversed": int(reversed_.sum()),
        "merged_duplicates": int(n_merged),
        "multi_source_incidents": n_multi,
        "blocks": nb,
        "blocks_with_any": int((counts_all > 0).sum()),
        "network_length_m": float(lengths.sum()),
        **_concentration(counts_all, lengths),
        "hot_blocks": hot_counts,
        "window_incidents": win_totals,
        "blocks_with_any_by_window": win_blocks,
        "reference_time": None if np.isnat(ref_local) else pd.Timestamp(ref_local),
        "hot_rule": {"kind": hot_rule.kind, "value": hot_rule.value},
    }
    step(1.0)
    return RiskResult(table=table, profiles=profiles, summary=summary, source_columns=src_cols)
