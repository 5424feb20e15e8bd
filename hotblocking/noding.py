"""Node a road network: cut links where other links join them, and number the junctions.

Real networks are not always noded: OpenStreetMap ways run through junctions, hand-drawn
layers end a side road on the middle of the main road's segment, and bridges cross without
connecting. Blocks, smoothing and duplicate merging all need to know which blocks meet, so
the network is cut into *pieces* that meet only at their ends, and every piece end gets a
node id. Three rules:

``"touch"`` (any line layer; OS Open Roads; OS MasterMap Highways)
    A link is cut where another link's end lies on it (within ``tolerance``: a T-junction
    connects) and where another link has a vertex at the same place as one of its vertices.
    Lines that only cross, with no end or shared vertex there (bridges, tunnels, unnoded
    crossings), are not cut. With grade-separation levels (MasterMap's
    ``startGradeSeparation``/``endGradeSeparation``) an end only joins a link at its own level:
    the level of a link's interior is taken as its end level when both ends agree, and
    as unknown (never joined) when they differ (a ramp). Loose ends (touching no other
    link) within ``gap`` of another link are moved onto it first ("undershoots").
``"shared_vertex"`` (OpenStreetMap)
    Ways connect exactly where they share a node: a way is cut at every vertex that another
    way (or the same way elsewhere) also has, whatever the tags; ways that cross without a
    shared node (bridges, tunnels, ``layer``) never connect.
``"none"``
    Links stay whole.

In every rule, ends within ``tolerance`` of each other (and at the same level) share a
node, and parts or pieces shorter than ``min_length`` (zero-length and sub-centimetre
slivers) are dropped and their two end nodes merged, so they still connect what they joined
without ever becoming blocks. Cuts closer than ``min_length`` to a link's end or to another
cut are merged, so noding never creates such slivers itself.

Everything is vectorised (numpy sorts, one shapely STRtree query of the link ends, scipy
connected components); no Python loop runs per link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .arrays import exclusive_cumsum
from .blocks import _gc_paused, line_parts

__all__ = ["MODES", "NodedNetwork", "TOO_SHORT", "node_network"]

MODES = ("touch", "shared_vertex", "none")
TOO_SHORT = "too short (under the minimum piece length)"


@dataclass(frozen=True, eq=False)
class NodedNetwork:
    """Pieces of a noded network (aligned arrays, one row per piece).

    Pieces are ordered by source link, then part, then position along the part. Every input
    position appears in ``link_index`` or once in ``rejected_index``.
    """

    geometry: np.ndarray
    """object array of 2D shapely LineStrings."""
    link_index: np.ndarray
    """int64: position of the source link in the input."""
    start_node: np.ndarray
    """int64: node id at the piece's first vertex (0 .. node_count - 1)."""
    end_node: np.ndarray
    """int64: node id at the piece's last vertex."""
    node_count: int
    rejected_index: np.ndarray
    """int64: input positions that gave no piece, ascending."""
    rejected_reason: np.ndarray
    """object array of str: as :func:`hotblocking.blocks.split_links`, or ``TOO_SHORT``."""
    cuts: int
    """Junctions made: cut points added inside links."""
    short_pieces: int
    """Parts or pieces under ``min_length`` dropped (their end nodes merged)."""
    joined_ends: int
    """Loose ends moved onto a link within ``gap``."""
    before_start: np.ndarray
    """int64 per line part as given (before noding): node id at its first vertex."""
    before_end: np.ndarray
    """int64 per line part as given: node id at its last vertex (same rule for meeting)."""
    before_length: np.ndarray
    """float64 per line part as given: its planar length."""

    def __len__(self) -> int:
        return int(self.link_index.shape[0])


def node_network(
    geoms: np.ndarray,
    *,
    mode: str = "touch",
    tolerance: float = 0.01,
    min_length: float = 0.01,
    gap: float = 0.0,
    start_level: np.ndarray | None = None,
    end_level: np.ndarray | None = None,
) -> NodedNetwork:
    """Cut links into pieces that meet only at their ends, with node ids (module doc).

    ``tolerance``, ``min_length`` and ``gap`` are in the layer's units. ``start_level`` and
    ``end_level`` (one number per input link, NaN = 0) keep grade-separated ends apart in
    the ``"touch"`` and ``"none"`` rules; ``"shared_vertex"`` ignores them.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    for label, value in (("tolerance", tolerance), ("min_length", min_length), ("gap", gap)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{label} must be a finite number >= 0, got {value!r}")
    geoms = np.asarray(geoms, dtype=object)
    if geoms.ndim != 1:
        raise ValueError("geoms must be a 1-D array of geometries")
    with _gc_paused():
        return _node(
            geoms, mode, float(tolerance), float(min_length), float(gap), start_level, end_level
        )


def _levels(level, n: int) -> np.ndarray:
    if level is None:
        return np.zeros(n)
    out = np.asarray(level, dtype=np.float64).copy()
    if out.shape != (n,):
        raise ValueError("start_level and end_level need one value per input link")
    out[~np.isfinite(out)] = 0.0
    return out


def _node(geoms, mode, tolerance, min_length, gap, start_level, end_level) -> NodedNetwork:
    n = geoms.shape[0]
    parts = line_parts(geoms)
    coords, vpart, part_link = parts.coords, parts.vertex_part, parts.part_link
    # repeated vertices (zero-length segments) would look like a vertex shared with itself
    keep = np.ones(coords.shape[0], dtype=bool)
    keep[1:] = ~((vpart[1:] == vpart[:-1]) & (coords[1:] == coords[:-1]).all(axis=1))
    coords, vpart = coords[keep], vpart[keep]
    nparts = part_link.shape[0]
    first, last = _part_bounds(vpart, nparts)

    if mode == "shared_vertex":
        lv_start = lv_end = np.zeros(nparts)
    else:
        lv_start = _levels(start_level, n)[part_link]
        lv_end = _levels(end_level, n)[part_link]
    lv_inner = np.where(lv_start == lv_end, lv_start, np.nan)
    vlevel = lv_inner[vpart]
    vlevel[first] = lv_start
    vlevel[last] = lv_end

    # the network as given, for "before noding" figures: part ends meeting as pieces' do
    before = _cluster(
        np.concatenate([coords[first], coords[last]]),
        np.concatenate([lv_start, lv_end]),
        0.0 if mode == "shared_vertex" else tolerance,
    )
    joined = 0
    tp, ts = np.empty(0, dtype=np.int64), np.empty(0)
    if mode == "touch" and nparts:
        coords, tp, ts, joined = _touches(
            coords,
            vpart,
            first,
            last,
            vlevel,
            lv_start,
            lv_end,
            lv_inner,
            tolerance,
            gap,
            min_length,
        )
    s = _along(coords, vpart, first)
    part_len = s[last]

    if mode == "touch":
        vp, vs, vv = _shared_vertex_cuts(coords, vpart, first, last, s, vlevel)
        cut_part = np.concatenate([tp, vp])
        cut_s = np.concatenate([ts, vs])
        cut_vertex = np.concatenate([np.full(tp.shape[0], -1, dtype=np.int64), vv])
    elif mode == "shared_vertex":
        cut_part, cut_s, cut_vertex = _shared_vertex_cuts(coords, vpart, first, last, s, None)
    else:
        cut_part = cut_vertex = np.empty(0, dtype=np.int64)
        cut_s = np.empty(0)
    cut_part, cut_s, cut_vertex = _clean_cuts(cut_part, cut_s, cut_vertex, part_len, min_length)

    pieces, piece_part, start_xy, end_xy, is_first, is_last = _cut(
        coords, vpart, s, part_len, cut_part, cut_s, cut_vertex, tolerance
    )
    piece_link = part_link[piece_part]
    level_a = np.where(is_first, lv_start[piece_part], lv_inner[piece_part])
    level_b = np.where(is_last, lv_end[piece_part], lv_inner[piece_part])
    length = shapely.length(pieces)
    short = length < min_length
    node = _cluster(
        np.concatenate([start_xy, end_xy]),
        np.concatenate([level_a, level_b]),
        0.0 if mode == "shared_vertex" else tolerance,
    )
    npieces = pieces.shape[0]
    start_node, end_node = node[:npieces], node[npieces:]
    keep_piece = ~short
    start_node, end_node, node_count = _merge_across(start_node, end_node, short, keep_piece)
    reason = parts.reason
    has_piece = np.zeros(n, dtype=bool)
    has_piece[piece_link[keep_piece]] = True
    reason[(reason == None) & ~has_piece] = TOO_SHORT  # noqa: E711 (element-wise)
    rejected = np.flatnonzero(reason != None)  # noqa: E711
    return NodedNetwork(
        geometry=pieces[keep_piece],
        link_index=piece_link[keep_piece].astype(np.int64),
        start_node=start_node[keep_piece],
        end_node=end_node[keep_piece],
        node_count=node_count,
        rejected_index=rejected.astype(np.int64),
        rejected_reason=reason[rejected],
        cuts=int(cut_part.shape[0]),
        short_pieces=int(short.sum()),
        joined_ends=joined,
        before_start=before[:nparts],
        before_end=before[nparts:],
        before_length=parts.part_length,
    )


def _part_bounds(vpart: np.ndarray, nparts: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(vpart, minlength=nparts)
    first = exclusive_cumsum(counts)
    return first, first + counts - 1


def _along(coords: np.ndarray, vpart: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Distance of each vertex from its part's first vertex."""
    d = np.zeros(coords.shape[0])
    if coords.shape[0] > 1:
        step = np.hypot(*(coords[1:] - coords[:-1]).T)
        step[vpart[1:] != vpart[:-1]] = 0.0
        d[1:] = np.cumsum(step)
    return d - d[first][vpart]


def _part_lines(coords: np.ndarray, vpart: np.ndarray) -> np.ndarray:
    return shapely.linestrings(coords, indices=vpart)


def _level_at(d, length, lv_start, lv_end, lv_inner, q, tolerance):
    """Level of part ``q`` at distance ``d`` along it (its end levels near its ends)."""
    return np.where(
        d <= tolerance, lv_start[q], np.where(d >= length - tolerance, lv_end[q], lv_inner[q])
    )


def _end_pairs(coords, vpart, first, last, distance):
    """(end vertex index, other part, distance, position along it) for every part within
    ``distance`` of a part end, the end's own part excluded.

    Candidates come from one query of an STRtree of the parts' grown bounding boxes
    (cheaper than the ``dwithin`` predicate); an end that is exactly the other part's end
    (most pairs in a noded network) is settled in numpy without a GEOS call.
    """
    ends = np.concatenate([first, last])
    lines = _part_lines(coords, vpart)
    xy = coords[ends]
    # the tree holds each part's bounding box grown by the distance; the ends are points
    lo = np.minimum.reduceat(coords, first, axis=0) - distance
    hi = np.maximum.reduceat(coords, first, axis=0) + distance
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    pi, q = _query_places(shapely.STRtree(boxes), xy)
    del boxes
    other = vpart[ends[pi]] != q
    pi, q = pi[other], q[other]
    p_xy = xy[pi]
    at_start = (p_xy == coords[first[q]]).all(axis=1)
    at_end = ~at_start & (p_xy == coords[last[q]]).all(axis=1)
    dist = np.zeros(pi.shape[0])
    along = np.where(at_end, np.nan, 0.0)
    rest = np.flatnonzero(~at_start & ~at_end)
    points = shapely.points(p_xy[rest])
    dist[rest] = shapely.distance(points, lines[q[rest]])
    along[rest] = shapely.line_locate_point(lines[q[rest]], points)
    length = shapely.length(lines)
    along[at_end] = length[q[at_end]]
    near = dist <= distance
    return ends[pi[near]], q[near], dist[near], along[near], lines, length


def _query_places(tree: shapely.STRtree, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query`` of a point at each row of ``xy``: (row, tree index) pairs, rows
    ascending, each row's hits in the tree's order. The tree is asked once per distinct
    place (ends meet at junctions: about a quarter as many) and the hits shared."""
    code, k = _place_codes(xy[:, 0], xy[:, 1])
    rep = np.empty(k, dtype=np.int64)
    rep[code[::-1]] = np.arange(code.shape[0])[::-1]
    ui, q = tree.query(shapely.points(xy[rep]))
    if ui.size > 1 and (ui[1:] < ui[:-1]).any():  # (shapely gives them in input order)
        keep_order = np.argsort(ui, kind="stable")
        ui, q = ui[keep_order], q[keep_order]
    hits = np.bincount(ui, minlength=k)
    per_row = hits[code]
    row = np.repeat(np.arange(code.shape[0]), per_row)
    at = np.repeat(exclusive_cumsum(hits)[code] - exclusive_cumsum(per_row), per_row)
    return row, q[at + np.arange(row.shape[0])]


def _touches(coords, vpart, first, last, vlevel, lv_start, lv_end, lv_inner, tol, gap, min_len):
    """Cuts where a part end lies on another part (within ``tol``), after moving loose ends
    (touching no other part) onto the nearest part within ``gap``.

    Returns (coords with moved ends, cut_part, cut_s, number of moved ends).
    """
    v, q, dist, along, lines, length = _end_pairs(coords, vpart, first, last, max(tol, gap))
    ok = vlevel[v] == _level_at(along, length[q], lv_start, lv_end, lv_inner, q, tol)
    v, q, dist, along = v[ok], q[ok], dist[ok], along[ok]
    touch = dist <= tol
    moved = np.empty(0, dtype=np.int64)
    cut_q, cut_s = q[touch], along[touch]
    if gap > tol:
        touching = np.zeros(coords.shape[0], dtype=bool)
        touching[v[touch]] = True
        loose = ~touching[v]
        lv, lq, ld, la = v[loose], q[loose], dist[loose], along[loose]
        order = np.lexsort((ld, lv))
        lv, lq, la = lv[order], lq[order], la[order]
        nearest = np.ones(lv.shape[0], dtype=bool)
        nearest[1:] = lv[1:] != lv[:-1]
        lv, lq, la = lv[nearest], lq[nearest], la[nearest]
        # Two loose ends facing each other would swap places: only the first of them moves.
        target_end = np.where(la <= tol, first[lq], np.where(la >= length[lq] - tol, last[lq], -1))
        moving = np.zeros(coords.shape[0], dtype=bool)
        moving[lv] = True
        swap = (target_end >= 0) & moving[np.maximum(target_end, 0)] & (target_end < lv)
        lv, lq, la = lv[~swap], lq[~swap], la[~swap]
        coords = coords.copy()
        coords[lv] = shapely.get_coordinates(shapely.line_interpolate_point(lines[lq], la))
        moved, cut_q, cut_s = lv, np.concatenate([cut_q, lq]), np.concatenate([cut_s, la])
    inside = (cut_s > min_len) & (cut_s < length[cut_q] - min_len)
    return coords, cut_q[inside], cut_s[inside], int(moved.shape[0])


def _shared_vertex_cuts(coords, vpart, first, last, s, vlevel):
    """Cuts at interior vertices whose place (and level, when given) another vertex shares."""
    nv = coords.shape[0]
    interior = np.ones(nv, dtype=bool)
    interior[first] = False
    interior[last] = False
    x, y = coords[:, 0], coords[:, 1]
    if vlevel is None:
        usable = np.ones(nv, dtype=bool)
        lv = np.zeros(nv)
    else:
        usable = np.isfinite(vlevel)
        lv = np.where(usable, vlevel, 0.0)
    idx = np.flatnonzero(usable)
    group, _ = _equal_codes(x[idx], y[idx], lv[idx])  # (how many share: no numbering)
    hit = idx[np.bincount(group)[group] > 1]
    hit = hit[interior[hit]]
    return vpart[hit], s[hit], hit.astype(np.int64)


def _clean_cuts(cut_part, cut_s, cut_vertex, part_len, min_len):
    """Sorted cuts, none within ``min_len`` of a part end or of the previous cut."""
    keep = (cut_s >= min_len) & (cut_s <= part_len[cut_part] - min_len)
    cut_part, cut_s, cut_vertex = cut_part[keep], cut_s[keep], cut_vertex[keep]
    order = np.lexsort((-cut_vertex, cut_s, cut_part))  # a vertex cut first among equals
    cut_part, cut_s, cut_vertex = cut_part[order], cut_s[order], cut_vertex[order]
    if cut_part.size:
        # a run of cuts each within min_len of the one before collapses onto its first
        new_run = np.ones(cut_part.size, dtype=bool)
        new_run[1:] = (cut_part[1:] != cut_part[:-1]) | (np.diff(cut_s) >= min_len)
        cut_part, cut_s, cut_vertex = cut_part[new_run], cut_s[new_run], cut_vertex[new_run]
    return cut_part, cut_s, cut_vertex


def _cut(coords, vpart, s, part_len, cut_part, cut_s, cut_vertex, tol):
    """Cut parts at the given positions. Returns (pieces, piece_part, start_xy, end_xy,
    piece is its part's first, piece is its part's last)."""
    nparts = part_len.shape[0]
    # one increasing key over all parts: part offset + distance along the part
    offset = np.zeros(nparts)
    np.cumsum(part_len[:-1] + 1.0, out=offset[1:])
    key_v = offset[vpart] + s
    key_c = offset[cut_part] + cut_s
    # snap a cut to a vertex within the tolerance (no sliver segment next to it)
    j = np.searchsorted(key_v, key_c, side="right")
    prev, nxt = j - 1, np.minimum(j, key_v.shape[0] - 1)
    near_prev = (cut_vertex < 0) & (key_c - key_v[prev] <= tol) & (vpart[prev] == cut_part)
    near_next = (
        (cut_vertex < 0) & ~near_prev & (key_v[nxt] - key_c <= tol) & (vpart[nxt] == cut_part)
    )
    cut_vertex = np.where(near_prev, prev, np.where(near_next, nxt, cut_vertex))
    at_vertex = cut_vertex >= 0
    frac = np.where(
        at_vertex, 0.0, (key_c - key_v[prev]) / np.maximum(key_v[nxt] - key_v[prev], 1e-300)
    )
    cut_xy = coords[prev] + np.clip(frac, 0.0, 1.0)[:, None] * (coords[nxt] - coords[prev])
    cut_xy[at_vertex] = coords[cut_vertex[at_vertex]]
    key_c = np.where(at_vertex, key_v[np.maximum(cut_vertex, 0)], key_c)
    if key_c.size:  # two cuts snapped onto one vertex: keep one
        unique = np.concatenate([[True], key_c[1:] != key_c[:-1]])
        cut_part, key_c, cut_xy, cut_vertex = (
            cut_part[unique],
            key_c[unique],
            cut_xy[unique],
            cut_vertex[unique],
        )

    ncuts = np.bincount(cut_part, minlength=nparts)
    piece_offset = exclusive_cumsum(ncuts + 1)
    cuts_before = exclusive_cumsum(ncuts)
    rank = np.arange(cut_part.shape[0]) - cuts_before[cut_part]

    dropped = np.zeros(coords.shape[0], dtype=bool)
    dropped[cut_vertex[cut_vertex >= 0]] = True  # the cut's two copies stand for it
    kv = np.flatnonzero(~dropped)
    v_piece = piece_offset[vpart[kv]] + (
        np.searchsorted(key_c, key_v[kv], side="left") - cuts_before[vpart[kv]]
    )
    c_piece = piece_offset[cut_part] + rank
    stream_key = np.concatenate([key_v[kv], key_c, key_c])
    stream_sub = np.concatenate(
        [np.zeros(kv.shape[0]), np.ones(key_c.shape[0]), np.full(key_c.shape[0], 2.0)]
    )
    stream_piece = np.concatenate([v_piece, c_piece, c_piece + 1])
    stream_xy = np.concatenate([coords[kv], cut_xy, cut_xy])
    order = np.lexsort((stream_sub, stream_key))
    stream_piece, stream_xy = stream_piece[order], stream_xy[order]
    npieces = int(nparts + cut_part.shape[0])
    pieces = shapely.linestrings(stream_xy, indices=stream_piece)
    if pieces.shape[0] != npieces:  # pragma: no cover - guards the arithmetic above
        raise RuntimeError("noding produced an unexpected number of pieces")
    counts = np.bincount(stream_piece, minlength=npieces)
    p_first = exclusive_cumsum(counts)
    p_last = p_first + counts - 1
    piece_part = np.repeat(np.arange(nparts), ncuts + 1)
    is_first = np.ones(npieces, dtype=bool)
    is_first[1:] = piece_part[1:] != piece_part[:-1]
    is_last = np.ones(npieces, dtype=bool)
    is_last[:-1] = piece_part[1:] != piece_part[:-1]
    return pieces, piece_part, stream_xy[p_first], stream_xy[p_last], is_first, is_last


def _place_codes(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Code per row (0 .. count - 1, in order of first appearance): rows at the same (x, y)
    share one. A hash of each place as one complex number; -0.0 and 0.0 are one place, as in
    a comparison. Coordinates must be finite."""
    xy = np.empty(x.shape[0], dtype=np.complex128)
    xy.real = x + 0.0
    xy.imag = y + 0.0
    code, uniques = pd.factorize(xy)
    return code.astype(np.int64), int(uniques.shape[0])


def _equal_codes(x: np.ndarray, y: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, int]:
    """Code per row (0 .. count - 1, any order): rows with equal (x, y, level) share one.
    Finite values only."""
    code, k = _place_codes(x, y)
    if level.size and level.min() != level.max():
        level_code, levels = pd.factorize(level + 0.0)
        code, uniques = pd.factorize(code * levels.shape[0] + level_code)
        k = uniques.shape[0]
    return code, k


def _group_equal(x: np.ndarray, y: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Group id per row: rows with equal (x, y, level) share one, numbered in (x, y, level)
    order. Rows are hashed and only the distinct places sorted (most rows share theirs)."""
    n = x.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(level).all()):
        return _group_equal_sorted(x, y, level)
    code, k = _equal_codes(x, y, level)
    rep = np.empty(k, dtype=np.int64)
    rep[code] = np.arange(n)  # any row of a group stands for it: they are equal
    order = np.lexsort((level[rep], y[rep], x[rep]))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[code]


def _group_equal_sorted(x: np.ndarray, y: np.ndarray, level: np.ndarray) -> np.ndarray:
    """:func:`_group_equal` by one sort of every row (any values, NaN never equal)."""
    order = np.lexsort((level, y, x))
    xs, ys, ls = x[order], y[order], level[order]
    new = np.ones(order.shape[0], dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]) | (ls[1:] != ls[:-1])
    group = np.empty(order.shape[0], dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return group


def _cluster(points: np.ndarray, levels: np.ndarray, tolerance: float) -> np.ndarray:
    """Node id per point: same level, and within ``tolerance`` (chained) or identical."""
    levels = np.where(np.isfinite(levels), levels, 0.0)
    if points.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    if tolerance <= 0:
        return _group_equal(points[:, 0], points[:, 1], levels)
    exact = _group_equal(points[:, 0], points[:, 1], levels)  # most ends meet exactly
    k = int(exact.max()) + 1
    one = np.zeros(k, dtype=np.int64)
    one[exact] = np.arange(exact.shape[0])
    lift = max(10.0 * tolerance, 1.0)  # levels further apart than the tolerance
    place = (
        points[one]
        if levels.min() == levels.max()
        else (np.column_stack([points[one], levels[one] * lift]))
    )
    # (an unbalanced tree builds faster and finds the same pairs)
    tree = cKDTree(place, balanced_tree=False, compact_nodes=False)
    pairs = tree.query_pairs(r=tolerance, output_type="ndarray")
    graph = sp.coo_matrix(
        (np.ones(pairs.shape[0], dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(k, k)
    )
    _, node = connected_components(graph, directed=False)
    return node[exact].astype(np.int64)


def _merge_across(start, end, short, keep):
    """Merge the two end nodes of every short piece; number the kept pieces' nodes
    0 .. count - 1 (other rows get -1)."""
    nodes = np.concatenate([start, end])
    if nodes.size == 0:
        return start, end, 0
    size = int(nodes.max()) + 1
    a, b = start[short], end[short]
    graph = sp.coo_matrix((np.ones(a.shape[0], dtype=np.int8), (a, b)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    merged = label[nodes]
    both_keep = np.concatenate([keep, keep])
    used, compact = np.unique(merged[both_keep], return_inverse=True)
    out = np.full(nodes.shape[0], -1, dtype=np.int64)
    out[both_keep] = compact.ravel()
    m = start.shape[0]
    return out[:m], out[m:], int(used.shape[0])
