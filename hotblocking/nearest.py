"""Nearest block per point within a distance: a numpy grid join with GEOS-identical results.

``nearest_within`` returns the same blocks and the same (bit-identical) distances as
shapely's ``STRtree.query_nearest(points, max_distance=d, all_matches=True)`` followed by
"lowest block index among ties", but many times faster for point sets near street
networks:

* Lines are exploded to segments (every part of a MultiLineString, never bridging parts).
  The distance of a point to a segment is evaluated in numpy with exactly the
  floating-point operations of GEOS's ``Distance::pointToSegment`` (the routine behind
  ``shapely.distance`` for a point and a line), so distances and ties come out bit for bit
  the same as shapely's.
* Candidates come from a uniform grid. Segments longer than ``h`` (about twice the search
  radius) are cut into pieces of at most ``h`` for indexing only (the distance is always
  computed on the whole original segment); each piece is registered in the one cell holding
  its bounding-box centre and a point visits every cell within reach (radius + the largest
  piece half extent, plus a rounding margin), so a long segment is seen from every cell its
  buffered bounding box covers. Cells are numbered row-major, so a row of the neighbourhood
  is one contiguous range of the cell-sorted pieces: candidate pairs are expanded with
  ``np.repeat`` from a handful of ranges per point, screened by the piece's buffered
  bounding box, and then measured exactly.
* The candidate count grows with the square of the radius, so a large ``max_distance``
  is searched in levels: radii ``max_distance / 2**k, ..., max_distance / 2,
  max_distance``, the first one sized for ~20 candidates per point from the network's
  density. A point with a match within a level's radius is final (anything nearer was a
  candidate too, ties included); only the others go on to the next level. Levels that
  would still need hundreds of candidates per point are left to the STRtree (asked
  without ``max_distance`` and cut afterwards: same answer, no slow envelope pre-screen).
* Points go in chunks (progress and cancellation per chunk); inside a chunk they are
  sorted by cell (memory locality) and the pair expansion is cut into batches of at most
  ``_PAIR_BATCH`` candidate pairs, which bounds memory whatever the data looks like.

``max_distance`` of None or <= 0 means "no limit"; then there is nothing for a grid to
bound and the exact STRtree path is used (same semantics, slower).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from .errors import check_cancelled as _check
from .errors import report as _report

__all__ = ["nearest_within"]

# Cells per reach: the neighbourhood a point visits is (2k+1) cells of reach/k per axis,
# i.e. a square of side (2 + 1/k) * reach; larger k = fewer spurious candidates but more
# (cheap) ranges per point.
_CELLS_PER_REACH = 2
# Candidate pairs expanded at once (keeps the per-pair temporaries in cache).
_PAIR_BATCH = 1 << 18
# Grid size cap (cells); the cell-start table is int32/int64 per cell.
_MAX_CELLS = 1 << 25
# Estimated candidates per point: one level up to this, else the first level is sized for
# the target; levels estimated above the cap are left to the STRtree.
_SINGLE_LEVEL_CANDIDATES = 48.0
_TARGET_CANDIDATES = 20.0
_MAX_CANDIDATES = 400.0

# Index pieces: at most this many radii long (2 minimises the candidates of long segments:
# pieces ~ length / h, reach ~ r + h / 2), coarser when there would be more than this many
# pieces per segment on average.
_PIECE_PER_RADIUS = 2.0
_PIECE_BUDGET_PER_SEGMENT = 2

_LINE_TYPES = (1, 2, 5)  # LineString, LinearRing, MultiLineString
_MISSING = -1


def nearest_within(
    points: np.ndarray,
    blocks: np.ndarray,
    max_distance: float | None,
    *,
    chunk_size: int = 250_000,
    progress: Callable[[float], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest block per point within ``max_distance`` (inclusive), ties to the lowest index.

    Parameters
    ----------
    points : array of shapely Points (None / empty / non-finite -> no match). Z is ignored.
        Other geometry types are answered by the exact STRtree path.
    blocks : array of shapely LineStrings / MultiLineStrings (all parts count; None /
        empty allowed and never matched). Any other geometry type makes the whole call use
        the exact STRtree path.
    max_distance : search radius; a block at exactly this distance matches. None or <= 0
        (or inf) means no limit (exact STRtree path).
    chunk_size : points per chunk (progress / cancellation granularity).
    progress : called with the fraction of points resolved (0..1, non-decreasing, the
        last call is 1.0) after each chunk.
    cancelled : polled before each chunk; when it returns True, :class:`Cancelled` is
        raised (:class:`hotblocking.errors.Cancelled`).

    Returns
    -------
    (block_index int64, -1 = none; distance float64, NaN = none), aligned with ``points``.
    Identical to ``STRtree(blocks).query_nearest(points, max_distance=max_distance,
    all_matches=True, return_distance=True)`` reduced to the lowest block index per point:
    distances are bit-identical to ``shapely.distance(point, blocks[block_index])``.
    """
    xy = None
    if isinstance(points, np.ndarray) and points.dtype.kind == "f":
        # (n, 2) coordinates, NaN rows = no point: no GEOS object per point is needed.
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError("coordinate input must have shape (n, 2)")
        xy = points
        points = _LazyPoints(xy)
    else:
        points = np.asarray(points, dtype=object)
    blocks = np.asarray(blocks, dtype=object)
    if points.ndim != 1 or blocks.ndim != 1:
        raise ValueError("points and blocks must be one-dimensional arrays")
    chunk_size = int(chunk_size)
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    n = len(points)
    block_index = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)

    md = None if max_distance is None else float(max_distance)
    if md is not None and np.isnan(md):
        raise ValueError("max_distance is NaN")
    if md is not None and (md <= 0 or np.isinf(md)):
        md = None

    if n == 0 or len(blocks) == 0:
        _check(cancelled)
        _report(progress, 1.0)
        return block_index, distance

    segments = _Segments.from_blocks(blocks) if md is not None else None
    if segments is None:
        # No limit, or blocks the segment kernel does not model: exact STRtree path.
        _strtree_chunks(points, blocks, md, chunk_size, progress, cancelled, block_index, distance)
        return block_index, distance

    if xy is not None:
        pending = np.flatnonzero(np.isfinite(xy).all(axis=1))
    else:
        type_id = shapely.get_type_id(points)
        other = type_id > 0  # non-point geometries (rare): exact STRtree path
        if other.any():
            idx = np.flatnonzero(other)
            b, d = _strtree_nearest(points[idx], blocks, md)
            block_index[idx] = b
            distance[idx] = d

        # Points: None, empty and non-finite ones never match.
        is_point = type_id == 0
        is_point[is_point] = ~shapely.is_empty(points[is_point])
        pending = np.flatnonzero(is_point)
    total = len(pending)
    if total == 0 or segments.count == 0:
        _check(cancelled)
        _report(progress, 1.0)
        return block_index, distance
    if xy is not None:
        px, py = xy[:, 0], xy[:, 1]
    else:
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        px[pending] = shapely.get_x(points[pending])
        py[pending] = shapely.get_y(points[pending])

    radii, strtree_rest = segments.levels(md)
    resolved = 0
    for level, radius in enumerate(radii):
        last = level == len(radii) - 1 and not strtree_rest
        grid = _Grid(segments, radius)
        unresolved = []
        for start in range(0, len(pending), chunk_size):
            _check(cancelled)
            idx = pending[start : start + chunk_size]
            b, d = grid.query(px[idx], py[idx])
            found = b >= 0
            block_index[idx[found]] = b[found]
            distance[idx[found]] = d[found]
            if last:
                resolved += len(idx)
            else:
                resolved += int(found.sum())
                unresolved.append(idx[~found])
            _report(progress, resolved / total)
        del grid
        if last:
            return block_index, distance
        pending = np.concatenate(unresolved)
        if len(pending) == 0:
            break
    if len(pending) and strtree_rest:
        tree = shapely.STRtree(blocks)
        for start in range(0, len(pending), chunk_size):
            _check(cancelled)
            idx = pending[start : start + chunk_size]
            b, d = _strtree_nearest(points[idx], blocks, md, tree)
            block_index[idx] = b
            distance[idx] = d
            resolved += len(idx)
            _report(progress, resolved / total)
    if resolved < total:
        _report(progress, 1.0)
    return block_index, distance


class _LazyPoints:
    """Coordinates that become shapely Points only where an exact STRtree path needs them."""

    ndim = 1

    def __init__(self, xy: np.ndarray):
        self.xy = xy

    def __len__(self) -> int:
        return len(self.xy)

    def __getitem__(self, index) -> np.ndarray:
        rows = self.xy[index]
        out = np.full(len(rows), None, dtype=object)
        finite = np.isfinite(rows).all(axis=1)
        out[finite] = shapely.points(rows[finite])
        return out

    def __array__(self, dtype=None):
        return self[np.arange(len(self.xy))]


# ----------------------------------------------------------------------------- exact kernel


def _segment_distance(px, py, ax, ay, bx, by, dx, dy, l2, sqrt_l2):
    """GEOS ``Distance::pointToSegment`` elementwise, with the same float operations.

    GEOS: if A == B: |P-A|; r = ((P-A).(B-A)) / |B-A|^2; r <= 0: |P-A|; r >= 1: |P-B|;
    else |s| * sqrt(|B-A|^2) with s = ((Ay-Py)(Bx-Ax) - (Ax-Px)(By-Ay)) / |B-A|^2, where
    |P-A| = sqrt((Px-Ax)^2 + (Py-Ay)^2). ``dx, dy, l2, sqrt_l2`` are ``B-A``, ``dx*dx +
    dy*dy`` and ``sqrt(l2)``, computed by the caller with the same operations.
    (Ax-Px) = -(Px-Ax) exactly and rounding is sign-symmetric, so |s| below is the same
    number as GEOS's. A degenerate segment gives r = 0/0 = NaN, which takes the |P-A|
    branch here, as GEOS's explicit A == B test does. All three branches are evaluated
    for every pair (cheaper in numpy than masked subsets) and the right one selected.
    """
    ex = px - ax
    ey = py - ay
    num = ex * dx
    num += ey * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / l2
        out = ex * dy
        out -= ey * dx
        out /= l2
        np.abs(out, out=out)
        out *= sqrt_l2
        ex *= ex
        ey *= ey
        ex += ey
        np.sqrt(ex, out=ex)  # |P - A|
        fx = px - bx
        fy = py - by
        fx *= fx
        fy *= fy
        fx += fy
        np.sqrt(fx, out=fx)  # |P - B|
        np.copyto(out, fx, where=r >= 1)
        np.copyto(out, ex, where=~(r > 0))
    return out


# ---------------------------------------------------------------------------- segments


class _Segments:
    """All line segments of the blocks, with GEOS's per-segment quantities."""

    @classmethod
    def from_blocks(cls, blocks: np.ndarray) -> _Segments | None:
        type_id = shapely.get_type_id(blocks)
        present = type_id != _MISSING
        if not np.isin(type_id[present], _LINE_TYPES).all():
            return None  # points / polygons / collections: not modelled, use STRtree
        if (type_id == 5).any():
            parts, owner = shapely.get_parts(blocks, return_index=True)
        else:
            parts, owner = blocks, np.arange(len(blocks))
        coords, cidx = shapely.get_coordinates(parts, return_index=True)
        if len(coords) and not np.isfinite(coords).all():
            return None
        self = cls()
        self.nblocks = len(blocks)
        s0 = np.flatnonzero(cidx[1:] == cidx[:-1])  # consecutive vertices of one part
        self.count = len(s0)
        if self.count == 0:
            return self
        self.max_abs = float(np.abs(coords).max())
        self.ax = coords[s0, 0]
        self.ay = coords[s0, 1]
        self.bx = coords[s0 + 1, 0]
        self.by = coords[s0 + 1, 1]
        self.block = owner[cidx[s0]]
        del coords, cidx, s0
        # GEOS's B - A, |B - A|^2 and its root (same float operations as pointToSegment).
        self.dx = self.bx - self.ax
        self.dy = self.by - self.ay
        self.l2 = self.dx * self.dx + self.dy * self.dy
        self.length = np.sqrt(self.l2)
        self.max_length = float(self.length.max())
        self.median_length = float(np.median(self.length))
        self.area = self._occupied_area()
        return self

    def _occupied_area(self) -> float:
        """Area of the coarse cells (a few segment lengths wide) holding segment midpoints."""
        mx = 0.5 * (self.ax + self.bx)
        my = 0.5 * (self.ay + self.by)
        x0, y0 = float(mx.min()), float(my.min())
        span_x, span_y = float(mx.max()) - x0, float(my.max()) - y0
        size = max(
            4.0 * self.median_length,
            1e-9 * (self.max_abs + 1.0),
            max(span_x, span_y) / 4096.0,
        )
        ncx = int(span_x / size) + 1
        ncy = int(span_y / size) + 1
        occupied = np.zeros(ncx * ncy, dtype=bool)
        ix = np.minimum((mx - x0) / size, ncx - 1).astype(np.int64)
        iy = np.minimum((my - y0) / size, ncy - 1).astype(np.int64)
        occupied[iy * ncx + ix] = True
        return float(np.count_nonzero(occupied)) * size * size

    def piece_length(self, radius: float) -> float:
        """Index pieces are at most this long: about the radius (minimises candidates for
        long segments), coarser if the pieces would exceed their budget."""
        h = _PIECE_PER_RADIUS * radius
        budget = max(_PIECE_BUDGET_PER_SEGMENT * self.count, 1 << 20)
        while self.pieces(h) > budget:
            h *= 2.0
        return h

    def pieces(self, h: float) -> int:
        return int(np.maximum(1.0, np.ceil(self.length / h)).sum())

    def candidates(self, radius: float) -> float:
        """Rough candidate pairs per point for a grid of this radius: pieces per occupied
        area times the neighbourhood's area (not capped at the number of pieces)."""
        h = self.piece_length(radius)
        reach = radius + 0.5 * min(h, self.max_length)
        side = (2.0 + 1.0 / _CELLS_PER_REACH) * reach
        return self.pieces(h) / self.area * side * side

    def levels(self, md: float) -> tuple[list[float], bool]:
        """Search radii (increasing, last one md unless cut) and whether the STRtree takes
        the points left over after the last radius (all of them if there are no radii)."""
        cap = float(self.pieces(self.piece_length(md)))  # a point never sees more
        estimate = self.candidates(md)
        if min(cap, estimate) <= _SINGLE_LEVEL_CANDIDATES:
            return [md], False
        radii, estimates = [md], [estimate]
        while len(radii) < 64 and estimates[-1] > _TARGET_CANDIDATES:
            r = radii[-1] / 2.0
            estimate = self.candidates(r)
            if estimate > 0.8 * estimates[-1]:
                break  # a smaller radius no longer saves candidates
            radii.append(r)
            estimates.append(estimate)
        # r_1 < 2 r_1 < ... < md; levels estimated too costly are left to the STRtree.
        keep = [
            r
            for r, e in zip(radii[::-1], estimates[::-1])
            if min(e, self.pieces(self.piece_length(r))) <= _MAX_CANDIDATES
        ]
        return keep, not keep or keep[-1] != md


# ------------------------------------------------------------------------------- the grid


class _Grid:
    """Cell-sorted segment pieces and the cell-start table for one search radius."""

    def __init__(self, segments: _Segments, md: float):
        sg = segments
        self.md = md
        self.nseg = sg.count
        ax, ay, bx, by, dx, dy = sg.ax, sg.ay, sg.bx, sg.by, sg.dx, sg.dy
        # Generous allowance for rounding (true errors are ~1e-16 relative): it only
        # ever adds candidates, the final test is the exact GEOS distance <= md.
        margin = 1e-9 * (md + sg.max_abs + sg.max_length)

        # Index pieces: cut segments longer than h (for indexing only).
        h = sg.piece_length(md)
        npieces = np.maximum(1, np.ceil(sg.length / h)).astype(np.int64)
        lox = np.minimum(ax, bx)
        hix = np.maximum(ax, bx)
        loy = np.minimum(ay, by)
        hiy = np.maximum(ay, by)
        split = np.flatnonzero(npieces > 1)
        if len(split):
            # Unsplit segments are their own piece; split ones are replaced by pieces.
            whole = np.flatnonzero(npieces == 1)
            n_s = npieces[split]
            sseg = np.repeat(split, n_s)
            first = np.cumsum(n_s) - n_s
            j = np.arange(len(sseg)) - np.repeat(first, n_s)
            nrep = np.repeat(n_s, n_s)
            t0 = j / nrep
            t1 = (j + 1) / nrep
            del j, nrep, first, n_s
            x0 = ax[sseg] + dx[sseg] * t0
            x1 = ax[sseg] + dx[sseg] * t1
            y0 = ay[sseg] + dy[sseg] * t0
            y1 = ay[sseg] + dy[sseg] * t1
            del t0, t1
            seg = np.concatenate([whole, sseg])
            lox = np.concatenate([lox[whole], np.minimum(x0, x1)])
            hix = np.concatenate([hix[whole], np.maximum(x0, x1)])
            loy = np.concatenate([loy[whole], np.minimum(y0, y1)])
            hiy = np.concatenate([hiy[whole], np.maximum(y0, y1)])
            del x0, x1, y0, y1, whole, sseg
        else:
            seg = None  # pieces are the segments
        del split, npieces
        mx = 0.5 * (lox + hix)
        my = 0.5 * (loy + hiy)
        md_eff = md + margin
        reach_x = md_eff + 0.5 * float((hix - lox).max()) + margin
        reach_y = md_eff + 0.5 * float((hiy - loy).max()) + margin

        # Cells: reach / k, coarsened if the extent would need too many cells.
        cell = max(reach_x, reach_y) / _CELLS_PER_REACH
        gx0, gy0 = float(mx.min()), float(my.min())
        span_x, span_y = float(mx.max()) - gx0, float(my.max()) - gy0
        npieces_total = len(mx)
        max_cells = min(_MAX_CELLS, max(8 * npieces_total, 1 << 20))
        while True:
            nx = int(np.floor(span_x / cell)) + 1
            ny = int(np.floor(span_y / cell)) + 1
            kx = int(np.ceil(reach_x / cell))
            ky = int(np.ceil(reach_y / cell))
            # The table is padded with kx empty columns / ky empty rows on each side, so a
            # neighbourhood never needs clipping.
            if (nx + 2 * kx) * (ny + 2 * ky) <= max_cells:
                break
            cell *= max(1.05, np.sqrt((nx + 2 * kx) * (ny + 2 * ky) / max_cells))
        nxp = nx + 2 * kx
        ix = np.clip(np.floor((mx - gx0) / cell), 0, nx - 1).astype(np.int64)
        iy = np.clip(np.floor((my - gy0) / cell), 0, ny - 1).astype(np.int64)
        del mx, my
        key = (iy + ky) * nxp + (ix + kx)
        del ix, iy
        order = np.argsort(key)  # any order within a cell will do
        key = key[order]
        seg = order if seg is None else seg[order]
        # Buffered piece boxes (screen) and whole-segment data (exact kernel), cell order.
        self.flox = lox[order] - md_eff
        self.fhix = hix[order] + md_eff
        self.floy = loy[order] - md_eff
        self.fhiy = hiy[order] + md_eff
        del lox, hix, loy, hiy, order
        self.ax, self.ay, self.bx, self.by = ax[seg], ay[seg], bx[seg], by[seg]
        self.dx, self.dy, self.l2 = dx[seg], dy[seg], sg.l2[seg]
        self.sqrt_l2 = sg.length[seg]
        bdtype = np.int32 if sg.nblocks < 2**31 - 1 else np.int64
        self.block = sg.block[seg].astype(bdtype)
        del seg
        # starts[c] = first piece of cell c (cell-start table, ncells + 1 entries).
        sdtype = np.int32 if npieces_total < 2**31 - 1 else np.int64
        starts = np.zeros(nxp * (ny + 2 * ky) + 1, dtype=sdtype)
        run_end = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
        starts[key[run_end] + 1] = run_end + 1
        np.maximum.accumulate(starts, out=starts)
        self.starts = starts
        self.gx0, self.gy0, self.cell = gx0, gy0, cell
        self.nx, self.ny, self.kx, self.ky = nx, ny, kx, ky
        self.bmax = np.iinfo(bdtype).max

    def query(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = len(px)
        out_b = np.full(m, -1, dtype=np.int64)
        out_d = np.full(m, np.nan)
        if self.nseg == 0:
            return out_b, out_d
        nx, ny, kx, ky = self.nx, self.ny, self.kx, self.ky
        with np.errstate(invalid="ignore"):
            fx = np.floor((px - self.gx0) / self.cell)
            fy = np.floor((py - self.gy0) / self.cell)
            # Non-finite points and points whose neighbourhood misses the grid: no match.
            ok = (fx >= -kx) & (fx <= nx - 1 + kx) & (fy >= -ky) & (fy <= ny - 1 + ky)
        sel = np.flatnonzero(ok)
        if len(sel) == 0:
            return out_b, out_d
        # Neighbourhood top-left in padded cells: the point's cell (clamped into the grid;
        # for a point just outside that only widens its neighbourhood's overlap).
        cell0 = np.clip(fy[sel], 0, ny - 1).astype(np.int64) * (nx + 2 * kx)
        cell0 += np.clip(fx[sel], 0, nx - 1).astype(np.int64)
        # Sort by cell for memory locality of the candidate ranges.
        order = np.argsort(cell0)
        sel, cell0 = sel[order], cell0[order]
        qx, qy = px[sel], py[sel]
        ns = len(sel)

        # Per point and neighbourhood row: one contiguous range of cell-sorted pieces.
        nrows = 2 * ky + 1
        width = 2 * kx + 1
        rstart = np.empty((ns, nrows), dtype=np.int64)
        rcount = np.empty((ns, nrows), dtype=np.int64)
        starts = self.starts
        for r in range(nrows):
            s = starts[cell0]
            rstart[:, r] = s
            rcount[:, r] = starts[cell0 + width] - s
            cell0 += nx + 2 * kx
        per_point = rcount.sum(axis=1)
        cum = np.cumsum(per_point)

        res_b = np.full(ns, -1, dtype=np.int64)
        res_d = np.full(ns, np.nan)
        p0 = 0
        while p0 < ns:
            base_pairs = cum[p0 - 1] if p0 else 0
            p1 = int(np.searchsorted(cum, base_pairs + _PAIR_BATCH, side="right"))
            p1 = max(p1, p0 + 1)
            self._batch(p0, p1, rstart, rcount, per_point, qx, qy, res_b, res_d)
            p0 = p1
        out_b[sel] = res_b
        out_d[sel] = res_d
        return out_b, out_d

    def _batch(self, p0, p1, rstart, rcount, per_point, qx, qy, res_b, res_d) -> None:
        cnt = rcount[p0:p1].ravel()
        total = int(cnt.sum())
        if total == 0:
            return
        # Expand (point, piece) candidate pairs from the per-row ranges.
        offs = np.cumsum(cnt)
        offs -= cnt
        q = np.repeat(rstart[p0:p1].ravel() - offs, cnt)
        q += np.arange(total)
        npp = per_point[p0:p1]
        pp = np.repeat(np.arange(p0, p1, dtype=np.int64), npp)
        x = np.repeat(qx[p0:p1], npp)
        y = np.repeat(qy[p0:p1], npp)
        # Screen: point inside the piece's box buffered by max_distance.
        keep = x >= self.flox[q]
        keep &= x <= self.fhix[q]
        keep &= y >= self.floy[q]
        keep &= y <= self.fhiy[q]
        keep = np.flatnonzero(keep)
        if len(keep) == 0:
            return
        q = q[keep]
        d = _segment_distance(
            x[keep],
            y[keep],
            self.ax[q],
            self.ay[q],
            self.bx[q],
            self.by[q],
            self.dx[q],
            self.dy[q],
            self.l2[q],
            self.sqrt_l2[q],
        )
        within = np.flatnonzero(d <= self.md)
        if len(within) == 0:
            return
        d = d[within]
        pp = pp[keep[within]]
        blk = self.block[q[within]]
        # Pairs are grouped by point (ascending): min distance, then lowest block on ties.
        brk = pp[1:] != pp[:-1]
        first = np.empty(np.count_nonzero(brk) + 1, dtype=np.int64)
        first[0] = 0
        np.add(np.flatnonzero(brk), 1, out=first[1:])
        dmin = np.minimum.reduceat(d, first)
        best = np.flatnonzero(d == np.repeat(dmin, np.diff(first, append=len(d))))
        owner = pp[best]
        bmin = blk[best]
        if len(best) > len(first):  # exact ties: lowest block index per point
            f2 = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            bmin = np.minimum.reduceat(bmin, f2)
            owner = owner[f2]
        res_b[owner] = bmin
        res_d[owner] = dmin


# ------------------------------------------------------------------------ STRtree (exact)


def _strtree_nearest(points, blocks, md, tree=None) -> tuple[np.ndarray, np.ndarray]:
    """STRtree.query_nearest(max_distance=md, all_matches=True), lowest block index among
    ties.

    The tree is asked without ``max_distance`` and the result cut at ``md`` afterwards:
    the same answer (shapely's ``max_distance`` only pre-screens by envelope and then drops
    matches beyond it), but without the pre-screen, which visits every tree envelope
    within ``md`` of each point and is very slow for a large ``md``.
    """
    n = len(points)
    block_index = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    if tree is None:
        tree = shapely.STRtree(blocks)
    (pi, bi), dist = tree.query_nearest(points, return_distance=True, all_matches=True)
    if md is not None:
        keep = dist <= md
        pi, bi, dist = pi[keep], bi[keep], dist[keep]
    if len(pi):
        order = np.lexsort((bi, pi))
        pi, bi, dist = pi[order], bi[order], dist[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        block_index[pi[first]] = bi[first]
        distance[pi[first]] = dist[first]
    return block_index, distance


def _strtree_chunks(
    points, blocks, md, chunk_size, progress, cancelled, block_index, distance
) -> None:
    tree = shapely.STRtree(blocks)
    n = len(points)
    for start in range(0, n, chunk_size):
        _check(cancelled)
        sl = slice(start, start + chunk_size)
        b, d = _strtree_nearest(points[sl], blocks, md, tree)
        block_index[sl] = b
        distance[sl] = d
        _report(progress, min(start + chunk_size, n) / n)
