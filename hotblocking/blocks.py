"""Cut road links into street blocks of equal length.

Hot Routes (Tompson, Partridge & Shepherd, UCL / TfL, 2009) prepares the network as segments of
similar length so that incidents per metre compare like with like: links far longer than the
rest are split. Here a link (each part of a MultiLineString separately) longer than
``max_length`` is cut into ``k = ceil(length / max_length)`` equal pieces, so every block is at
most ``max_length`` long and no short leftover is created.

The cut is exact: each block keeps the original vertices that lie between its two cut points, the
cut points are interpolated on the original segments, and the blocks of a part, joined end to
end, reproduce the part. Z is dropped (OS MasterMap Highways links are 3D); lengths are planar, in
the layer's CRS units, measured from the geometry (some layers carry a ``length`` attribute that
does not match it).

Everything is vectorised with shapely 2 ufuncs and numpy: no Python loop per link.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .arrays import exclusive_cumsum
from .errors import InputError

__all__ = [
    "BlockSplit",
    "LineParts",
    "RTOL",
    "block_ids",
    "chain_nodes",
    "line_parts",
    "link_id_text",
    "renumber_parts",
    "split_links",
]

RTOL = 1e-9
"""Relative tolerance on length ratios and cut positions.

A part of 200.0000000001 m with ``max_length`` 100 gives 2 blocks (of 100.00000000005 m), not 3
with a sliver; a vertex within ``RTOL * part length`` of a cut point becomes the cut point.
"""

MAX_BLOCKS = 100_000_000
"""Refuse a ``max_length`` that would create more blocks than this (a unit mistake, usually)."""

_LINE_TYPE_IDS = (1, 2, 5)  # LineString, LinearRing, MultiLineString
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


@dataclass(frozen=True, eq=False)
class BlockSplit:
    """Blocks cut from road links, as aligned arrays (one row per block).

    Rows are ordered by ``link_index`` then ``part``. Every input index appears either in
    ``link_index`` (one or more times) or once in ``rejected_index``.
    """

    geometry: np.ndarray
    """object array of 2D shapely LineStrings."""
    link_index: np.ndarray
    """int64: position of the source link in the input array."""
    part: np.ndarray
    """int64: 1 for the block that starts at the link's first vertex, numbered along the line
    and on through the parts of a MultiLineString, in part order."""
    length: np.ndarray
    """float64: planar length of the block geometry, in CRS units."""
    rejected_index: np.ndarray
    """int64: input positions that gave no block, ascending."""
    rejected_reason: np.ndarray
    """object array of str, aligned with ``rejected_index``: "null geometry", "empty geometry",
    "zero length", "non-finite coordinates" or "not a line (<geometry type>)"."""

    def __len__(self) -> int:
        return int(self.link_index.shape[0])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of geometries are created.

    Shapely geometries are tracked objects: creating 10^6 of them triggers repeated full
    collections that scan every live geometry (measured: split_links on 500k links took 2-5 s
    with the collector on, 1.4 s with it paused). The previous state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _part_coords(
    geoms: np.ndarray, cand: np.ndarray, type_id: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2D vertices of the line parts of ``geoms[cand]``, in input then part order.

    Returns ``(coords, vertex_part, part_link)``. LineStrings and single-part MultiLineStrings
    (most OS MasterMap Highways links) are read directly; only true multi-part links go through
    ``shapely.get_parts``.
    """
    sub = geoms[cand]
    split = (type_id[cand] == 5) & (shapely.get_num_geometries(sub) > 1)
    whole = cand[~split]
    coords_a, part_a = shapely.get_coordinates(geoms[whole], return_index=True)
    if not split.any():
        return coords_a, part_a, whole
    mparts, midx = shapely.get_parts(sub[split], return_index=True)
    coords_b, part_b = shapely.get_coordinates(mparts, return_index=True)
    part_link = np.concatenate((whole, cand[split][midx]))
    count_a = np.bincount(part_a, minlength=whole.shape[0])
    count_b = np.bincount(part_b, minlength=mparts.shape[0])
    counts = np.concatenate((count_a, count_b))
    starts = np.concatenate(
        (exclusive_cumsum(count_a), coords_a.shape[0] + exclusive_cumsum(count_b))
    )
    order = np.argsort(part_link, kind="stable")  # keeps part order within a link
    counts = counts[order]
    gather = np.repeat(starts[order] - exclusive_cumsum(counts), counts) + np.arange(counts.sum())
    coords = np.concatenate((coords_a, coords_b))[gather]
    return coords, np.repeat(np.arange(order.shape[0]), counts), part_link[order]


def _segments(coords: np.ndarray, cpart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether vertex i and i + 1 share a part, and the segment length (0 between parts)."""
    same = cpart[1:] == cpart[:-1]
    d = coords[1:] - coords[:-1]
    d *= d
    seg = np.sqrt(d[:, 0] + d[:, 1])  # faster than np.hypot; coordinates are finite or rejected
    seg[~same] = 0.0
    return same, seg


def _reject(n: int, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reason per input (None where the geometry may give blocks), and the type ids."""
    type_id = shapely.get_type_id(geoms)
    reason = np.full(n, None, dtype=object)
    null = type_id < 0
    reason[null] = "null geometry"
    empty = ~null & shapely.is_empty(geoms)
    reason[empty] = "empty geometry"
    not_line = ~null & ~empty & ~np.isin(type_id, _LINE_TYPE_IDS)
    for tid in np.unique(type_id[not_line]):  # loop over geometry types, not features
        reason[not_line & (type_id == tid)] = f"not a line ({_TYPE_NAMES.get(int(tid), tid)})"
    return reason, type_id


def split_links(geoms: np.ndarray, max_length: float) -> BlockSplit:
    """Split road links into blocks no longer than ``max_length`` (Hot Routes, Tompson et al. 2009).

    Parameters
    ----------
    geoms
        1-D array (or sequence) of shapely geometries: LineString, MultiLineString, None or empty.
        Z values are dropped. Other geometry types are rejected with a reason.
    max_length
        Longest block, in CRS units. A part longer than this becomes
        ``ceil(length / max_length)`` equal blocks (with relative tolerance ``RTOL``).
        ``0`` keeps every part whole (one block per part).

    Returns
    -------
    BlockSplit
        Aligned block arrays plus the rejected inputs with their reasons. Zero-length parts of an
        otherwise valid MultiLineString are dropped silently; a link whose parts are all
        zero-length is rejected ("zero length"); a link with NaN/inf coordinates is rejected
        whole ("non-finite coordinates").
    """
    max_length = float(max_length)
    if not np.isfinite(max_length) or max_length < 0:
        raise InputError(f"max_length must be a finite number >= 0, got {max_length!r}")
    geoms = np.asarray(geoms, dtype=object)
    if geoms.ndim != 1:
        raise ValueError("geoms must be a 1-D array of geometries")
    with _gc_paused():
        return _split(geoms, max_length)


@dataclass(frozen=True, eq=False)
class LineParts:
    """The line parts of a geometry array, as flat 2D vertex arrays (parts in input order).

    Parts of zero length and links with non-finite coordinates are left out; ``reason`` says
    why each input gives no part (None where it gives at least one).
    """

    coords: np.ndarray
    """(nv, 2) float64 vertices, part after part."""
    vertex_part: np.ndarray
    """int64 (nv,): the part each vertex belongs to (non-decreasing)."""
    part_link: np.ndarray
    """int64 (nparts,): input position of each part's link."""
    part_length: np.ndarray
    """float64 (nparts,): planar length of each part."""
    segment_length: np.ndarray
    """float64 (nv - 1,): length from vertex i to i + 1 (0 where they are in different parts)."""
    reason: np.ndarray
    """object (n,): None, or why the input gives no part."""


def line_parts(geoms: np.ndarray) -> LineParts:
    """Split a geometry array into its line parts (see :class:`LineParts`); Z is dropped."""
    geoms = np.asarray(geoms, dtype=object)
    n = geoms.shape[0]
    reason, type_id = _reject(n, geoms)

    cand = np.flatnonzero(reason == None)  # noqa: E711 (element-wise comparison)
    coords, cpart, part_link = _part_coords(geoms, cand, type_id)
    nparts = part_link.shape[0]
    same, seg = _segments(coords, cpart)
    part_len = np.bincount(cpart[:-1][same], weights=seg[same], minlength=nparts)
    finite_v = np.isfinite(coords).all(axis=1)
    part_bad = np.bincount(cpart[~finite_v], minlength=nparts) > 0

    link_bad = np.zeros(n, dtype=bool)
    link_bad[part_link[part_bad]] = True
    keep_part = (part_len > 0) & ~part_bad
    link_kept = np.zeros(n, dtype=bool)
    link_kept[part_link[keep_part]] = True
    keep_part &= ~link_bad[part_link]
    undecided = reason == None  # noqa: E711
    reason[undecided & link_bad] = "non-finite coordinates"
    reason[undecided & ~link_bad & ~link_kept] = "zero length"

    if not keep_part.all():  # drop the parts that give no block and renumber
        keep_v = np.flatnonzero(keep_part[cpart])
        new_id = np.cumsum(keep_part) - 1
        part_link = part_link[keep_part]
        part_len = part_len[keep_part]
        seg = seg[keep_v[:-1]]  # whole parts go, so kept segments stay with their vertex
        coords = coords[keep_v]
        cpart = new_id[cpart[keep_v]]
        same = cpart[1:] == cpart[:-1]
        seg[~same] = 0.0
    return LineParts(coords, cpart, part_link, part_len, seg, reason)


def _split(geoms: np.ndarray, max_length: float) -> BlockSplit:
    parts = line_parts(geoms)
    reason = parts.reason
    coords, cpart, part_link = parts.coords, parts.vertex_part, parts.part_link
    part_len, seg = parts.part_length, parts.segment_length
    nparts = part_link.shape[0]
    same = cpart[1:] == cpart[:-1]
    nv = coords.shape[0]

    # --- number of blocks per part --------------------------------------------------------------
    if max_length > 0:
        ratio = part_len / max_length
        k = np.maximum(np.ceil(ratio * (1.0 - RTOL)), 1.0)
        if k.sum() > MAX_BLOCKS:
            raise InputError(
                f"max_length {max_length} would create {int(k.sum())} blocks "
                f"(more than {MAX_BLOCKS}); check the distance units"
            )
        k = k.astype(np.int64)
    else:
        k = np.ones(nparts, dtype=np.int64)

    # --- position of each vertex in "block units" (0 at the start, k at the end) --------------
    counts = np.bincount(cpart, minlength=nparts)
    first_v = exclusive_cumsum(counts)
    last_v = first_v + counts - 1
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    s = cum - cum[first_v][cpart]  # distance along the part
    kv = k[cpart].astype(np.float64)
    u = s * (kv / part_len[cpart])
    u[first_v] = 0.0
    u[last_v] = k  # exact end, whatever the rounding in the sums
    nearest = np.rint(u)
    snap = (np.abs(u - nearest) <= RTOL * kv) & (nearest >= 1) & (nearest <= kv - 1)
    us = np.where(snap, nearest, u)  # monotone: snapping never reorders vertices
    # block holding each vertex: 0 for the first vertex, k - 1 for the last
    fb = np.minimum(np.floor(us), kv - 1).astype(np.int64)

    # --- cut points: a segment holds the cuts j with fb[i] < j <= fb[i + 1] --------------------
    ncut_seg = np.where(same, fb[1:] - fb[:-1], 0)
    seg_of_cut = np.repeat(np.arange(nv - 1), ncut_seg)
    j = (
        fb[seg_of_cut]
        + 1
        + (np.arange(seg_of_cut.shape[0]) - np.repeat(exclusive_cumsum(ncut_seg), ncut_seg))
    )
    on_vertex = us[seg_of_cut + 1] == j  # the cut is the segment's end vertex itself
    cut_vertex = np.zeros(nv, dtype=bool)
    cut_vertex[seg_of_cut[on_vertex] + 1] = True
    interp = ~on_vertex
    ci = seg_of_cut[interp]
    ji = j[interp]
    frac = np.clip((ji - u[ci]) / (u[ci + 1] - u[ci]), 0.0, 1.0)
    cut_xy = coords[ci] + frac[:, None] * (coords[ci + 1] - coords[ci])

    # --- assemble the output stream: vertex i, then the interpolated cuts of segment i --------
    v_emit = np.where(cut_vertex, 2, 1)
    n_interp_seg = np.bincount(ci, minlength=max(nv - 1, 0))
    per_vertex = v_emit.copy()
    per_vertex[:-1] += 2 * n_interp_seg
    start = exclusive_cumsum(per_vertex)
    total = int(per_vertex.sum())
    out_xy = np.empty((total, 2), dtype=np.float64)
    out_block = np.empty(total, dtype=np.int64)  # block number within its part

    out_xy[start] = coords
    out_block[start] = fb - cut_vertex  # a cut vertex ends block fb - 1 ...
    cv = np.flatnonzero(cut_vertex)
    out_xy[start[cv] + 1] = coords[cv]
    out_block[start[cv] + 1] = fb[cv]  # ... and starts block fb
    rank = np.arange(ci.shape[0]) - np.repeat(exclusive_cumsum(n_interp_seg), n_interp_seg)
    pos = start[ci] + v_emit[ci] + 2 * rank
    out_xy[pos] = cut_xy
    out_xy[pos + 1] = cut_xy
    out_block[pos] = ji - 1
    out_block[pos + 1] = ji

    block_offset = exclusive_cumsum(k)
    out_part = np.repeat(cpart, per_vertex)
    gid = block_offset[out_part] + out_block
    nblocks = int(k.sum())
    geometry = shapely.linestrings(out_xy, indices=gid)
    if geometry.shape[0] != nblocks:  # pragma: no cover - guards the arithmetic above
        raise RuntimeError("block assembly produced an unexpected number of blocks")

    # --- block attributes -----------------------------------------------------------------------
    block_part = np.repeat(np.arange(nparts), k)
    link_index = part_link[block_part]
    new_link = np.ones(nblocks, dtype=bool)
    new_link[1:] = link_index[1:] != link_index[:-1]
    link_first_block = np.maximum.accumulate(np.where(new_link, np.arange(nblocks), 0))
    part_no = np.arange(nblocks) - link_first_block + 1

    rejected = np.flatnonzero(reason != None)  # noqa: E711
    return BlockSplit(
        geometry=geometry,
        link_index=link_index.astype(np.int64),
        part=part_no.astype(np.int64),
        length=shapely.length(geometry),
        rejected_index=rejected.astype(np.int64),
        rejected_reason=reason[rejected],
    )


def block_ids(
    link_ids: np.ndarray, part: np.ndarray, link_index: np.ndarray | None = None
) -> np.ndarray:
    """Stable, unique block ids ``"<link_id>:<part>"`` for rows of a :class:`BlockSplit`.

    ``link_ids`` holds the source link's id for each block row (``ids[split.link_index]``);
    ``part`` is ``split.part``. Missing ids (None/NaN) become ``""``.

    When a link id repeats in the input (duplicate ids in the road layer), the first link with
    that id keeps ``"<id>:<part>"`` and later ones become ``"<id>#2:<part>"``, ``"<id>#3:..."``
    in input order. Which blocks belong to the same link is taken from ``link_index`` when
    given; otherwise a new link starts where, within one id, ``part`` does not increase (the
    row order of :func:`split_links`). Raises :class:`~hotblocking.errors.InputError` if ids
    still collide (an input id that itself looks like ``"<id>#<n>"``, or repeated rows).
    """
    id_code, id_text = _id_codes(np.asarray(link_ids, dtype=object))
    part = np.asarray(part, dtype=np.int64)
    if part.shape[0] != id_code.shape[0]:
        raise ValueError("link_ids and part must have the same length")
    if id_code.size == 0:
        return np.empty(0, dtype=object)
    if link_index is not None:
        # the n-th distinct link (in row order) with an id is its occurrence n of that id
        link_code, _ = pd.factorize(np.asarray(link_index))
        pair_code, pairs = pd.factorize(id_code * (int(link_code.max()) + 1) + link_code)
        pair_id = pairs // (int(link_code.max()) + 1)
        occ = (_rank_within(pair_id) + 1)[pair_code]
    else:
        # a new link starts where, within one id, part does not increase
        order = np.argsort(id_code, kind="stable")
        ids_sorted, part_sorted = id_code[order], part[order]
        new = np.ones(order.shape[0], dtype=bool)
        new[1:] = (ids_sorted[1:] != ids_sorted[:-1]) | (part_sorted[1:] <= part_sorted[:-1])
        count = np.cumsum(new)
        group_start = np.ones(order.shape[0], dtype=bool)
        group_start[1:] = ids_sorted[1:] != ids_sorted[:-1]
        before = np.maximum.accumulate(np.where(group_start, count - 1, 0))
        occ = np.empty(order.shape[0], dtype=np.int64)
        occ[order] = count - before
    prefix = id_text[id_code]
    again = occ > 1
    if again.any():  # repeated ids (rare): "<id>#<n>"
        prefix = prefix.copy()
        prefix[again] = prefix[again] + ("#" + occ[again].astype(str).astype(object))
    out = prefix + _part_suffixes(part)
    # Ids are unique unless rows repeat (same id, occurrence and part), or an input id
    # itself looks like "<id>#<n>": only then are the texts compared.
    if "#" in "".join(id_text):
        dup = pd.Series(out).duplicated(keep=False).to_numpy()
    else:
        dup = _repeated(id_code, occ, part)
    if dup.any():
        raise InputError(f"block ids are not unique, e.g. {sorted(set(out[dup]))[:5]}")
    return out


def _id_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the ids' text (rows with equal text share one; missing ids are ""), and the
    text per code. Each distinct value is turned into text once."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        # (a hash would take 7 and 7.0 as one value; their texts differ)
        values = pd.Series(values, dtype=object)
        values = values.where(values.isna(), values.astype(str)).to_numpy(dtype=object)
    code, text = pd.factorize(values)  # distinct texts; None and NaN get -1
    text = np.asarray(text, dtype=object)
    blank = np.flatnonzero(text == "")
    if blank.size:
        missing = int(blank[0])
    else:
        missing = text.shape[0]
        text = np.append(text, np.array([""], dtype=object))
    return np.where(code >= 0, code, missing).astype(np.int64), text


def _rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... for the rows of each group value, in row order."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    start = np.ones(g.shape[0], dtype=bool)
    start[1:] = g[1:] != g[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(g.shape[0]), 0))
    rank = np.empty(g.shape[0], dtype=np.int64)
    rank[order] = np.arange(g.shape[0]) - first
    return rank


def _part_suffixes(part: np.ndarray) -> np.ndarray:
    """ ":<part>" per row, each distinct part number formatted once."""
    values, inverse = np.unique(part, return_inverse=True)
    return (":" + values.astype(str).astype(object))[inverse.ravel()]


def _repeated(*keys: np.ndarray) -> np.ndarray:
    """Rows whose keys (integers) equal another row's."""
    frame = pd.DataFrame({str(i): k for i, k in enumerate(keys)})
    return frame.duplicated(keep=False).to_numpy()


def chain_nodes(
    split: BlockSplit, start_node: np.ndarray, end_node: np.ndarray, node_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Node ids ``(start, end)`` per block of a split of noded pieces.

    ``split`` comes from :func:`split_links` on pieces whose end nodes are ``start_node`` and
    ``end_node`` (``node_count`` nodes). A piece's first block starts at the piece's start
    node and its last block ends at its end node; each cut between two blocks of a piece
    becomes a new node, numbered from ``node_count`` on.
    """
    piece = split.link_index
    n = piece.shape[0]
    first = np.ones(n, dtype=bool)
    first[1:] = piece[1:] != piece[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = piece[1:] != piece[:-1]
    # the cut after block i (not a piece's last) gets the next new id
    new_id = node_count + np.cumsum(~last) - 1
    end = np.where(last, np.asarray(end_node, dtype=np.int64)[piece], new_id)
    start = np.empty(n, dtype=np.int64)
    start[first] = np.asarray(start_node, dtype=np.int64)[piece[first]]
    start[1:][~first[1:]] = end[:-1][~first[1:]]
    return start, end


def renumber_parts(link_index: np.ndarray) -> np.ndarray:
    """Part numbers 1, 2, ... along each link for rows sorted by link (then position)."""
    link_index = np.asarray(link_index)
    n = link_index.shape[0]
    new = np.ones(n, dtype=bool)
    new[1:] = link_index[1:] != link_index[:-1]
    first_row = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return (np.arange(n) - first_row + 1).astype(np.int64)


def link_id_text(values: np.ndarray, fids: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Link ids as text, and why feature ids were used instead (None when they were not).

    Whole numbers in a Real field read as integers ("17", not "17.0", so block ids are
    "17:1", not "17.0:1"); missing values (None/NaN) become None. A field whose values are
    all equal (an all-zero id column) or all missing identifies no link: the feature ids
    are used instead, and the reason is returned for the log.
    """
    values = np.asarray(values)
    fids = np.asarray(fids)
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        whole = finite & (np.floor(values) == values) & (np.abs(values) < 2**53)
        text = np.full(values.shape[0], None, dtype=object)
        text[whole] = values[whole].astype(np.int64).astype(str).astype(object)
        other = finite & ~whole
        text[other] = values[other].astype(str).astype(object)
    elif values.dtype.kind in "iub":
        text = values.astype(np.int64).astype(str).astype(object)
    else:
        values = values.astype(object)
        present = pd.notna(values)
        text = np.full(values.shape[0], None, dtype=object)
        text[present] = values[present].astype(str).astype(object)
        text[text == ""] = None
    known = pd.Series(text, dtype=object).dropna()
    if text.shape[0] > 1 and known.nunique() <= 1:
        what = f"one value ({known.iloc[0]!r})" if len(known) else "no value"
        reason = f"the id field holds {what} for every link: feature ids are used instead"
        return fids.astype(np.int64).astype(str).astype(object), reason
    return text, None
