"""Human descriptions of blocks: which street, and between which streets.

A patrol brief needs "High St between Mill Ln and Bridge St", not "(unnamed street)" or a
block id. OpenStreetMap maps pavements as separate unnamed ``highway=footway`` ways beside
the street, so most blocks a crime snaps to near a busy street can be unnamed paths. Rules:

1. **Beside.** An unnamed path-like block (footway, path, cycleway, steps, ...) takes the name
   of the named street it runs beside: the nearest named street block within ``beside``
   (20 m) of its midpoint whose direction there is within ``angle`` (30 degrees) of the
   block's own direction (end to end). Its description reads "footway beside High St".
2. **Runs.** Blocks of the same street (or unnamed blocks of the same kind) that follow one
   another through nodes where nothing else meets form a run (a street between junctions).
3. **Ends.** At each end of a run, the cross street is a named street meeting it at that node
   (another name than the run's; roads before paths, then a street passing through the
   node before one starting there, then alphabetical); failing that, for paths (a pavement
   often stops short of the crossing street), the nearest other-named street within
   ``near`` (20 m) of the end point.
4. **Text.** "<street> between A and B" when the two ends give two streets; "<street> off A"
   when one end gives A and the other is a dead end (or gives A too); "<street> near A"
   otherwise. Unnamed blocks read "<kind> off A" ("steps off High St"), "unnamed road
   between A and B", or "unnamed footway" when nothing is known.

Vectorised: one STRtree query per rule, pandas merges and scipy connected components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from .arrays import exclusive_cumsum

__all__ = ["Descriptions", "describe_blocks", "is_blank_name"]


@dataclass(frozen=True, eq=False)
class Descriptions:
    """Per block: street name (own or from the street beside) and description."""

    name: np.ndarray
    """object: own name, else the name of the street beside (rule 1), else None."""
    description: np.ndarray
    """object of str: the human description."""
    beside: np.ndarray
    """bool: the name comes from the street beside."""
    with_ends: int
    """Blocks whose description names a cross street (between/off/near)."""


def _pairs_within(points: np.ndarray, targets: np.ndarray, distance: float):
    """(point index, target index, distance) for targets within ``distance`` of points."""
    if points.size == 0 or targets.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    xy = shapely.get_coordinates(points)
    boxes = shapely.box(
        xy[:, 0] - distance, xy[:, 1] - distance, xy[:, 0] + distance, xy[:, 1] + distance
    )
    pi, ti = shapely.STRtree(targets).query(boxes)
    d = shapely.distance(points[pi], targets[ti])
    near = d <= distance
    return pi[near], ti[near], d[near]


def _name_codes(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the stripped names in alphabetical order (-1 for None, non-text and blank),
    and the names. Each distinct value is stripped once, not each block's."""
    raw_code, raw = pd.factorize(names)
    if raw.shape[0] == 0:
        return np.full(names.shape[0], -1, dtype=np.int64), np.empty(0, dtype=object)
    clean = pd.Series(np.asarray(raw, dtype=object), dtype=object).str.strip()  # else NaN
    clean_code, labels = pd.factorize(clean.where(clean != "", None), sort=True)
    code = np.where(raw_code >= 0, clean_code[np.maximum(raw_code, 0)], -1).astype(np.int64)
    return code, labels


def is_blank_name(names: np.ndarray) -> np.ndarray:
    """True where a name is missing, not text, or only spaces (checked once per distinct
    value)."""
    return _name_codes(np.asarray(names, dtype=object))[0] < 0


def _first_per(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Positions of the first row per ``group`` after sorting by ``keys`` (last key first)."""
    order = np.lexsort((*keys[::-1], group)) if keys else np.argsort(group, kind="stable")
    g = group[order]
    first = np.ones(g.shape[0], dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return order[first]


def _beside(geoms, code, path_like, beside, angle, step):
    """Name code of the street beside each block (rule 1), -1 where there is none."""
    out = np.full(geoms.shape[0], -1, dtype=np.int64)
    cand = np.flatnonzero(path_like & (code < 0))
    streets = np.flatnonzero((code >= 0) & ~path_like)
    if cand.size == 0 or streets.size == 0 or beside <= 0:
        return out
    mid = shapely.line_interpolate_point(geoms[cand], 0.5, normalized=True)
    pi, si, d = _pairs_within(mid, geoms[streets], beside)
    a = shapely.get_coordinates(shapely.get_point(geoms[cand[pi]], 0))
    b = shapely.get_coordinates(shapely.get_point(geoms[cand[pi]], -1))
    street = geoms[streets[si]]
    at = shapely.line_locate_point(street, mid[pi])
    length = shapely.length(street)
    p = shapely.get_coordinates(shapely.line_interpolate_point(street, np.maximum(at - step, 0)))
    q = shapely.get_coordinates(
        shapely.line_interpolate_point(street, np.minimum(at + step, length))
    )
    u, v = b - a, q - p
    norm = np.hypot(*u.T) * np.hypot(*v.T)
    cos = np.abs((u * v).sum(axis=1)) / np.where(norm > 0, norm, np.inf)
    ok = cos >= np.cos(np.radians(angle))
    pi, si, d = pi[ok], si[ok], d[ok]
    best = _first_per(pi, d)
    out[cand[pi[best]]] = code[streets[si[best]]]
    return out


def _groups(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort order of rows by non-negative integer ``keys`` (first key first; ties keep row
    order) and the group number of each sorted row (rows with equal keys share one).

    The keys are packed into one int64 when their ranges allow (one sort instead of a
    lexsort over several keys)."""
    packed, span = np.zeros(keys[0].shape[0], dtype=np.int64), 1
    for k in keys[::-1]:
        top = int(k.max()) + 1 if k.size else 1
        if span * top >= 2**62:
            order = np.lexsort(keys[::-1])
            break
        packed += k.astype(np.int64) * span
        span *= top
    else:
        order = np.argsort(packed, kind="stable")
    new = np.zeros(order.shape[0], dtype=bool)
    new[:1] = True
    for k in keys:
        ks = k[order]
        new[1:] |= ks[1:] != ks[:-1]
    return order, np.cumsum(new) - 1


def _runs(key: np.ndarray, road: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Run label per block, whether each incidence (block, node) is inside its run, and the
    node degree per incidence.

    Two blocks of the same key join at a node where they are the only two of that key and
    no other named road meets (unnamed ways and paths do not end a street's run).
    """
    n = key.shape[0]
    blk = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([start, end])
    valid = node >= 0
    degree = np.bincount(node[valid], minlength=1)
    deg = np.where(valid, degree[np.maximum(node, 0)], 0)
    is_road = np.concatenate([road, road])
    # incidences grouped by (node, key), in row order within a group
    pos = np.flatnonzero(valid)
    order, group = _groups(node[pos], key[blk[pos]])
    pos = pos[order]
    same = np.bincount(group)[group]
    roads_in_group = np.bincount(group, weights=is_road[pos])[group]
    roads_here = np.bincount(node[valid & is_road], minlength=degree.shape[0])
    other_roads = roads_here[node[pos]] - roads_in_group
    pos = pos[(same == 2) & (other_roads == 0)]  # consecutive pairs, one per (node, key)
    a, b = blk[pos[0::2]], blk[pos[1::2]]
    join = a != b
    inside = np.zeros(2 * n, dtype=bool)
    inside[pos[0::2][join]] = True
    inside[pos[1::2][join]] = True
    graph = sp.coo_matrix(
        (np.ones(int(join.sum()), dtype=np.int8), (a[join], b[join])), shape=(n, n)
    )
    _, run = connected_components(graph, directed=False)
    return run.astype(np.int64), inside, deg


def _first_two_ends(run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slot (0, 1, ...) of each run end in row order within its run; rows of slots 0 and 1."""
    order = np.argsort(run, kind="stable")
    r = run[order]
    new = np.ones(r.shape[0], dtype=bool)
    new[1:] = r[1:] != r[:-1]
    starts = np.flatnonzero(new)
    slot = np.empty(r.shape[0], dtype=np.int64)
    slot[order] = np.arange(r.shape[0]) - np.repeat(starts, np.diff(np.append(starts, r.size)))
    rows = np.flatnonzero(slot < 2)
    return slot[rows], rows


def _cross_at_nodes(end_node, end_street, node, block, code, path_like) -> np.ndarray:
    """Cross street by topology for each run end (-1 = none): a street (own name) at the
    end's node other than the run's; roads before paths, then the street met most often
    there (passing through: twice), then the lowest name code (alphabetical)."""
    cross = np.full(end_node.shape[0], -1, dtype=np.int64)
    named = np.flatnonzero((code[block] >= 0) & (node >= 0))
    if named.size == 0:
        return cross
    m_node, m_code = node[named], code[block[named]]
    m_path = path_like[block[named]].astype(np.int8)
    order, group = _groups(m_node, m_code, m_path)
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    u_node, u_code, u_path = m_node[order][first], m_code[order][first], m_path[order][first]
    u_size = np.bincount(group)
    # each node's streets in order of preference
    pref = np.lexsort((u_code, -u_size, u_path, u_node))
    u_node, u_code = u_node[pref], u_code[pref]
    offset = exclusive_cumsum(np.bincount(u_node, minlength=int(node.max()) + 2))
    at_node = np.maximum(end_node, 0)
    lo, hi = offset[at_node], offset[at_node + 1]
    pending = (end_node >= 0) & (lo < hi)
    # the run's own street is at most two entries (road and path) of a node's list: the first
    # other street is among the first three, so this loops over ranks, not ends
    rank = 0
    while pending.any():
        at = lo + rank
        here = pending & (at < hi)
        at_code = u_code[np.minimum(at, u_code.shape[0] - 1)]
        found = here & (at_code != end_street)
        cross[found] = at_code[found]
        pending &= here & ~found
        rank += 1
    return cross


def describe_blocks(
    geoms: np.ndarray,
    names: np.ndarray,
    kinds: np.ndarray,
    path_like: np.ndarray,
    start_node: np.ndarray,
    end_node: np.ndarray,
    *,
    beside: float = 20.0,
    near: float = 20.0,
    angle: float = 30.0,
    step: float = 1.0,
) -> Descriptions:
    """Street names and descriptions per block (module doc for the rules).

    ``geoms``: block LineStrings; ``names``: own street name or None; ``kinds``: a word for
    unnamed blocks ("footway", "steps", "road", ...); ``path_like``: blocks that may take the
    name of the street beside them; node ids from noding (-1 = none). ``beside``, ``near``
    and ``step`` (the distance over which a street's direction is read) are in layer units.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = geoms.shape[0]
    start = np.asarray(start_node, dtype=np.int64)
    end = np.asarray(end_node, dtype=np.int64)
    path_like = np.asarray(path_like, dtype=bool)
    if n == 0:
        empty = np.empty(0, dtype=object)
        return Descriptions(empty, empty, np.zeros(0, dtype=bool), 0)
    # names as integer codes in alphabetical order (-1 = none): every comparison below is
    # on integers; text is built once per run at the end
    code, labels = _name_codes(np.asarray(names, dtype=object))
    labels = np.asarray(labels, dtype=object)
    kind_code, kind_labels = pd.factorize(pd.Series(np.asarray(kinds, dtype=object)).fillna("road"))
    kind_code = kind_code.astype(np.int64)

    beside_code = _beside(geoms, code, path_like, beside, angle, step)
    is_beside = beside_code >= 0
    street = np.where(is_beside, beside_code, code)
    has_street = street >= 0
    key = (street + 1) * (len(kind_labels) + 1) + np.where(
        has_street & ~is_beside, 0, kind_code + 1
    )
    road = (code >= 0) & ~path_like
    run, inside, deg = _runs(key, road, start, end)

    # --- the two ends of each run ------------------------------------------------------------
    blk = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([start, end])
    is_end = np.flatnonzero(~inside)
    slot, rows = _first_two_ends(run[blk[is_end]])
    is_end = is_end[rows]
    end_block, end_node, end_deg = blk[is_end], node[is_end], deg[is_end]
    end_run, end_street = run[end_block], street[end_block]
    cross = _cross_at_nodes(end_node, end_street, node, blk, code, path_like)

    # cross street by proximity for the ends still without one
    # (only for paths: a pavement often stops short of the crossing street; a road that
    # meets nothing at its end is a dead end, whatever runs nearby, e.g. on a bridge)
    lost = (cross < 0) & path_like[end_block]
    if lost.any() and near > 0:
        rows = np.flatnonzero(lost)
        blocks_at = end_block[rows]
        at_start = start[blocks_at] == end_node[rows]
        points = np.where(
            at_start,
            shapely.get_point(geoms[blocks_at], 0),
            shapely.get_point(geoms[blocks_at], -1),
        )
        roads = np.flatnonzero(road)
        pi, ri, d = _pairs_within(points, geoms[roads], near)
        other = code[roads[ri]] != end_street[rows[pi]]
        pi, ri, d = pi[other], ri[other], d[other]
        best = _first_per(pi, d)
        cross[rows[pi[best]]] = code[roads[ri[best]]]

    # --- text per run ----------------------------------------------------------------------------
    nruns = int(run.max()) + 1  # connected_components labels runs 0 .. nruns - 1
    a = np.full(nruns, -1, dtype=np.int64)
    b = np.full(nruns, -1, dtype=np.int64)
    a[end_run[slot == 0]] = cross[slot == 0]
    b[end_run[slot == 1]] = cross[slot == 1]
    dead = np.zeros(nruns, dtype=bool)
    dead[end_run[end_deg == 1]] = True
    suffix = _suffix(labels, a, b, dead)
    rep = _first_per(run)  # one block per run, runs in label order
    words = np.asarray(kind_labels, dtype=object)[kind_code[rep]]
    text = _text(labels, street[rep], words, is_beside[rep], code[rep] >= 0, suffix)
    description = text[run]
    with_ends = int((suffix[run] != "").sum())
    name = np.full(n, None, dtype=object)
    name[has_street] = labels[street[has_street]]
    return Descriptions(name, description, is_beside, with_ends)


def _suffix(labels: np.ndarray, a: np.ndarray, b: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """ " between A and B" / " off A" / " near A" / "" per run (name codes, -1 = none).

    The words are joined to each name once (few names, many runs): one concatenation per run.
    """
    out = np.full(a.shape[0], "", dtype=object)
    has_a, has_b = a >= 0, b >= 0
    both = has_a & has_b & (a != b)
    one = (has_a | has_b) & ~both
    only = np.where(has_a, a, b)
    out[both] = (" between " + labels)[a[both]] + (" and " + labels)[b[both]]
    off = one & (dead | (has_a & has_b))
    out[off] = (" off " + labels)[only[off]]
    close = one & ~off
    out[close] = (" near " + labels)[only[close]]
    return out


def _text(labels, street, kind, beside, own, suffix) -> np.ndarray:
    """The description of each run from its street code, kind word and suffix."""
    by = beside & ~own
    unnamed = ~own & ~by
    out = np.empty(street.shape[0], dtype=object)
    out[own] = labels[street[own]] + suffix[own]
    out[by] = (kind[by] + " beside ") + (labels[street[by]] + suffix[by])
    plain_kind = np.where(kind == "road", "unnamed road", kind)
    bare = unnamed & (suffix == "")
    out[unnamed] = plain_kind[unnamed] + suffix[unnamed]
    out[bare] = "unnamed " + kind[bare]
    return out
