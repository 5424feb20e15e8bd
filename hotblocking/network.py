"""Block adjacency and network kernel smoothing over street blocks.

Adjacency: two blocks are neighbours when they touch end to end, i.e. share an end point after
snapping end points within ``tolerance`` (layer units; 0.01 m by default) so that noded networks
connect. Lines that merely cross without a shared end point (bridges, unnoded data) do not
connect. The graph joins block midpoints; the edge weight between adjacent blocks a and b is
``(len_a + len_b) / 2``, the network distance between their centres (Hot Routes' segment model,
Tompson, Partridge & Shepherd 2009).

Smoothing: a block's value is spread over the blocks whose centres lie within the bandwidth
``h`` along the network, with a triangular kernel ``1 - d/h`` weighted by the receiving block's
length (a midpoint-rule version of network kernel density estimation, Okabe, Satoh & Sugihara
2009, "A kernel density estimation method for networks", IJGIS 23(1); spNetwork's NKDE), and
normalised per source block so that the total is conserved exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .arrays import usable_lengths
from .errors import CancelCheck, Progress
from .errors import check_cancelled as _check

__all__ = [
    "BlockNetwork",
    "Connectivity",
    "block_graph",
    "build_network",
    "connectivity",
    "endpoint_nodes",
    "graph_from_nodes",
    "kernel_matrix",
    "network_from_nodes",
    "smooth",
]


def endpoint_nodes(geoms: np.ndarray, tolerance: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Node ids ``(start_node, end_node)`` per line, end points within ``tolerance`` merged.

    For a MultiLineString the first point of its first part and the last point of its last
    part are used. Empty or missing geometries get node -1. Z is ignored.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = geoms.size
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, -1, dtype=np.int64)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    if idx.size == 0:
        return start, end
    # idx is sorted by geometry: first/last coordinate of each geometry.
    change = np.flatnonzero(np.diff(idx)) + 1
    first = np.concatenate([[0], change])
    last = np.concatenate([change - 1, [idx.size - 1]])
    owners = idx[first]
    pts = np.concatenate([coords[first], coords[last]])
    m = owners.size
    k = pts.shape[0]
    if tolerance > 0:
        # pairs within the tolerance (exact coincidences included), chained into nodes
        pairs = cKDTree(pts).query_pairs(r=tolerance, output_type="ndarray")
        g = sp.coo_matrix(
            (np.ones(pairs.shape[0], dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(k, k)
        )
        _, node = connected_components(g, directed=False)
    else:
        _, node = np.unique(pts, axis=0, return_inverse=True)
        node = node.ravel()
    start[owners] = node[:m]
    end[owners] = node[m:]
    return start, end


@dataclass(frozen=True)
class BlockNetwork:
    """Blocks as a network: end-point node ids per block and the midpoint graph."""

    graph: sp.csr_matrix
    start_node: np.ndarray
    end_node: np.ndarray
    lengths: np.ndarray


def graph_from_nodes(
    start_node: np.ndarray, end_node: np.ndarray, lengths: np.ndarray
) -> sp.csr_matrix:
    """Symmetric midpoint graph of blocks sharing a node; weight ``(len_a + len_b) / 2``.

    Node -1 means "no end point". Zero-length edges are stored explicitly (do not call
    ``eliminate_zeros`` on the result).
    """
    start_node = np.asarray(start_node, dtype=np.int64)
    end_node = np.asarray(end_node, dtype=np.int64)
    n = start_node.size
    lens = usable_lengths(lengths)
    blk = np.concatenate([np.arange(n), np.arange(n)])
    node = np.concatenate([start_node, end_node])
    ok = node >= 0
    blk, node = blk[ok], node[ok]
    n_nodes = int(node.max()) + 1 if node.size else 0
    inc = sp.csr_matrix((np.ones(blk.size), (blk, node)), shape=(n, n_nodes))
    inc.data[:] = 1.0  # a loop (start node == end node) counts once
    adj = (inc @ inc.T).tocoo()
    off = adj.row != adj.col
    r, c = adj.row[off], adj.col[off]
    g = sp.csr_matrix(((lens[r] + lens[c]) / 2.0, (r, c)), shape=(n, n))
    g.sort_indices()
    return g


def build_network(
    geoms: np.ndarray, lengths: np.ndarray | None = None, tolerance: float = 0.01
) -> BlockNetwork:
    """End-point nodes (:func:`endpoint_nodes`) and midpoint graph (:func:`graph_from_nodes`).

    Lengths default to the geometry length (the layer's own length attribute may be stale).
    """
    geoms = np.asarray(geoms, dtype=object)
    lens = usable_lengths(shapely.length(geoms) if lengths is None else lengths)
    start, end = endpoint_nodes(geoms, tolerance)
    return BlockNetwork(graph_from_nodes(start, end, lens), start, end, lens)


def network_from_nodes(
    start_node: np.ndarray, end_node: np.ndarray, lengths: np.ndarray
) -> BlockNetwork:
    """A :class:`BlockNetwork` from stored node ids (e.g. the ``from_node``/``to_node`` that
    buildblocks writes after noding), so adjacency follows the noding and grade separation
    instead of being guessed again from end points. Node -1 means "no node"."""
    start = np.asarray(start_node, dtype=np.int64)
    end = np.asarray(end_node, dtype=np.int64)
    lens = np.asarray(lengths, dtype=np.float64)
    lens = np.where(np.isfinite(lens) & (lens > 0), lens, 0.0)
    return BlockNetwork(graph_from_nodes(start, end, lens), start, end, lens)


@dataclass(frozen=True)
class Connectivity:
    """How well blocks hang together: smoothing and merging only work within a component."""

    components: int
    """Connected components (groups of blocks joined end to end)."""
    isolated: int
    """Blocks that share no end with any other block."""
    largest: int
    """Blocks in the largest component."""
    component: np.ndarray
    """int64 component label per block."""


def connectivity(start_node: np.ndarray, end_node: np.ndarray) -> Connectivity:
    """Components and isolated blocks of blocks given by their end node ids (-1 = none)."""
    start = np.asarray(start_node, dtype=np.int64)
    end = np.asarray(end_node, dtype=np.int64)
    n = start.shape[0]
    if n == 0:
        return Connectivity(0, 0, 0, np.empty(0, dtype=np.int64))
    top = int(max(start.max(), end.max(), -1)) + 1
    missing_s, missing_e = start < 0, end < 0
    start = np.where(missing_s, top + np.arange(n), start)  # a missing end meets nothing
    end = np.where(missing_e, top + n + np.arange(n), end)
    size = top + 2 * n
    graph = sp.coo_matrix((np.ones(n, dtype=np.int8), (start, end)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    _, component = np.unique(label[start], return_inverse=True)
    component = component.ravel().astype(np.int64)
    degree = np.bincount(np.concatenate([start, end]), minlength=size)
    loop = (start == end).astype(np.int64)
    others = degree[start] - 1 - loop + degree[end] - 1 - loop
    counts = np.bincount(component)
    return Connectivity(
        components=int(counts.shape[0]),
        isolated=int((others == 0).sum()),
        largest=int(counts.max()),
        component=component,
    )


def block_graph(
    geoms: np.ndarray, lengths: np.ndarray | None = None, tolerance: float = 0.01
) -> sp.csr_matrix:
    """Symmetric sparse graph between block midpoints; weight ``(len_a + len_b) / 2``.

    Blocks are adjacent when they share an end point (see :func:`endpoint_nodes`).
    """
    return build_network(geoms, lengths, tolerance).graph


def _reach(
    graph: sp.csr_matrix, sources: np.ndarray, bandwidth: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (source position, block, distance) with network distance < bandwidth.

    Multi-source label-correcting search (Bellman-Ford on the improved frontier, vectorised
    over all sources at once); stops when no distance improves.
    """
    n = graph.shape[0]
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    m = sources.size
    best_k = np.arange(m, dtype=np.int64) * n + sources  # sorted: position-major
    best_d = np.zeros(m)
    fk, fd = best_k.copy(), best_d.copy()
    while fk.size:
        fn = fk % n
        start = indptr[fn]
        deg = indptr[fn + 1] - start
        tot = int(deg.sum())
        if tot == 0:
            break
        rep = np.repeat(np.arange(fk.size), deg)
        pos = np.arange(tot) + np.repeat(start - (np.cumsum(deg) - deg), deg)
        nd = fd[rep] + data[pos]
        keep = np.flatnonzero(nd < bandwidth)
        if keep.size == 0:
            break
        r = rep[keep]
        ck = fk[r] - fn[r] + indices[pos[keep]]  # same source, neighbouring block
        cd = nd[keep]
        order = np.argsort(ck)
        ck, cd = ck[order], cd[order]
        starts = np.flatnonzero(np.concatenate([[True], ck[1:] != ck[:-1]]))
        ck, cd = ck[starts], np.minimum.reduceat(cd, starts)
        i = np.searchsorted(best_k, ck)
        ic = np.minimum(i, best_k.size - 1)
        found = best_k[ic] == ck
        better = found & (cd < best_d[ic])
        best_d[ic[better]] = cd[better]
        new = ~found
        if new.any():
            best_k = np.concatenate([best_k, ck[new]])
            best_d = np.concatenate([best_d, cd[new]])
            o = np.argsort(best_k, kind="stable")
            best_k, best_d = best_k[o], best_d[o]
        upd = better | new
        fk, fd = ck[upd], cd[upd]
    pos, blk = np.divmod(best_k, n)
    return pos, blk, best_d


def _kernel_chunks(
    graph: sp.csr_matrix,
    bandwidth_m: float,
    lengths: np.ndarray,
    src: np.ndarray,
    length_weighted: bool,
    chunk: int,
    progress: Progress,
    cancelled: CancelCheck,
):
    """Yield ``(rows, cols, weights)`` of the normalised kernel, one chunk of sources at a time."""
    lens = usable_lengths(lengths)
    graph = sp.csr_matrix(graph)
    for c0 in range(0, src.size, chunk):
        _check(cancelled)
        s = src[c0 : c0 + chunk]
        pos, blk, d = _reach(graph, s, bandwidth_m)
        w = 1.0 - d / bandwidth_m
        if length_weighted:
            w = w * lens[blk]
        tot = np.bincount(pos, weights=w, minlength=s.size)
        dead = tot <= 0
        if dead.any():
            # nothing can receive (zero length, isolated): keep the value at its source
            w = np.where(dead[pos], (blk == s[pos]).astype(np.float64), w)
            tot = np.where(dead, 1.0, tot)
        yield s[pos], blk, w / tot[pos]
        if progress is not None:
            progress(min(1.0, (c0 + s.size) / src.size))


def kernel_matrix(
    graph: sp.csr_matrix,
    bandwidth_m: float,
    lengths: np.ndarray,
    sources: np.ndarray | None = None,
    *,
    length_weighted: bool = True,
    chunk: int = 20_000,
    progress: Progress = None,
    cancelled: CancelCheck = None,
) -> sp.csr_matrix:
    """Row-stochastic smoothing matrix K (n x n): row i = how source i's value is spread.

    ``K[i, j] ∝ (1 - d_ij / h) * len_j`` for network distance ``d_ij < h`` between centres
    (``length_weighted=False`` drops the ``len_j`` factor). Each row sums to 1; a source whose
    weights all vanish (zero length, isolated) keeps its value. Rows outside ``sources``
    (default: all) are identity rows. ``h <= 0`` gives the identity.
    """
    n = graph.shape[0]
    src = np.arange(n) if sources is None else np.unique(np.asarray(sources, dtype=np.int64))
    if bandwidth_m <= 0 or src.size == 0:
        return sp.identity(n, format="csr")
    parts = list(
        _kernel_chunks(
            graph, bandwidth_m, lengths, src, length_weighted, chunk, progress, cancelled
        )
    )
    others = np.setdiff1d(np.arange(n), src, assume_unique=True)
    rows = np.concatenate([p[0] for p in parts] + [others])
    cols = np.concatenate([p[1] for p in parts] + [others])
    vals = np.concatenate([p[2] for p in parts] + [np.ones(others.size)])
    k = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    k.eliminate_zeros()
    return k


def smooth(
    values: np.ndarray,
    graph: sp.csr_matrix,
    bandwidth_m: float,
    lengths: np.ndarray,
    *,
    length_weighted: bool = True,
    chunk: int = 20_000,
    progress: Progress = None,
    cancelled: CancelCheck = None,
) -> np.ndarray:
    """Spread each block's value over blocks within ``bandwidth_m`` network distance.

    ``values`` is (n,) or (n, k) (columns share one kernel search). Triangular kernel,
    normalised per source block (see :func:`kernel_matrix`): ``sum(out) == sum(values)`` up
    to rounding. Only blocks with a non-zero value are searched from, ``chunk`` sources at a
    time, so memory stays bounded. ``bandwidth_m <= 0`` returns a copy.
    """
    v = np.asarray(values, dtype=np.float64)
    if bandwidth_m <= 0:
        return v.copy()
    n = v.shape[0]
    if v.size == 0:
        return v.copy()
    v2 = v.reshape(n, -1)
    src = np.flatnonzero(np.any(v2 != 0, axis=1))
    out = np.zeros_like(v2)
    for rows, cols, w in _kernel_chunks(
        graph, bandwidth_m, lengths, src, length_weighted, chunk, progress, cancelled
    ):
        for j in range(v2.shape[1]):
            out[:, j] += np.bincount(cols, weights=w * v2[rows, j], minlength=n)
    return out.reshape(v.shape)
