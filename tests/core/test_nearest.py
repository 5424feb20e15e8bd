"""Grid nearest-block join (hotblocking.nearest) against brute force and shapely's STRtree.

Run as a script for a timing comparison with the STRtree approach (not a test):
    PYTHONPATH=. python tests/core/test_nearest.py [n_links n_points ...]
"""

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from hotblocking import nearest as nmod
from hotblocking.errors import Cancelled
from hotblocking.nearest import nearest_within

# ---------------------------------------------------------------------------- references


def brute_force(points, blocks, max_distance):
    """shapely.distance on all pairs; within max_distance (inclusive; None/<=0 = no limit),
    minimum distance, lowest block index among exactly equal distances."""
    points = np.asarray(points, dtype=object)
    blocks = np.asarray(blocks, dtype=object)
    n = len(points)
    block_index = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    if n == 0 or len(blocks) == 0:
        return block_index, distance
    with np.errstate(invalid="ignore"):
        d = shapely.distance(points[:, None], blocks[None, :])
    d = np.where(np.isnan(d), np.inf, d)
    if max_distance is not None and max_distance > 0:
        d = np.where(d <= max_distance, d, np.inf)
    best = d.min(axis=1)
    found = np.isfinite(best)
    # argmax of the first True = lowest index among ties.
    first = np.argmax(d == best[:, None], axis=1)
    block_index[found] = first[found]
    distance[found] = best[found]
    return block_index, distance


def strtree_reference(points, blocks, max_distance):
    """STRtree.query_nearest(max_distance, all_matches=True), lowest block index among ties
    (the approach nearest_within replaces)."""
    points = np.asarray(points, dtype=object)
    n = len(points)
    block_index = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    md = None if max_distance is None or max_distance <= 0 else float(max_distance)
    tree = shapely.STRtree(np.asarray(blocks, dtype=object))
    (pi, bi), dist = tree.query_nearest(
        points, max_distance=md, return_distance=True, all_matches=True
    )
    order = np.lexsort((bi, pi))
    pi, bi, dist = pi[order], bi[order], dist[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, dtype=bool)
    block_index[pi[first]] = bi[first]
    distance[pi[first]] = dist[first]
    return block_index, distance


def assert_same(got, expected):
    b, d = got
    eb, ed = expected
    assert b.dtype == np.int64 and d.dtype == np.float64
    np.testing.assert_array_equal(b, eb)
    # Bit-identical distances (NaN where no match).
    np.testing.assert_array_equal(d, ed)
    assert np.array_equal(np.isnan(d), b < 0)


def check(points, blocks, max_distance, **kw):
    points = np.asarray(points, dtype=object)
    blocks = np.asarray(blocks, dtype=object)
    got = nearest_within(points, blocks, max_distance, **kw)
    assert_same(got, brute_force(points, blocks, max_distance))
    return got


# ------------------------------------------------------------------------- street network


def street_network(n_links, spacing=100.0, seed=0, origin=(500000.0, 4000000.0)):
    """Jittered grid of ~spacing links with 2-4 vertices each, in random order."""
    rng = np.random.default_rng(seed)
    k = int(np.ceil(np.sqrt(n_links / 2)))
    gx, gy = np.meshgrid(np.arange(k + 1) * spacing, np.arange(k + 1) * spacing)
    nodes = np.c_[gx.ravel(), gy.ravel()] + rng.uniform(-15, 15, ((k + 1) ** 2, 2))
    nodes += origin
    idx = np.arange((k + 1) ** 2).reshape(k + 1, k + 1)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    pick = rng.permutation(len(a))[:n_links]
    a, b = a[pick], b[pick]
    nv = rng.integers(2, 5, n_links)
    offs = np.r_[0, np.cumsum(nv)]
    owner = np.repeat(np.arange(n_links), nv)
    j = np.arange(offs[-1]) - offs[owner]
    t = j / (nv[owner] - 1)
    xy = nodes[a[owner]] * (1 - t)[:, None] + nodes[b[owner]] * t[:, None]
    interior = (j > 0) & (j < nv[owner] - 1)
    xy[interior] += rng.normal(0, 4, (int(interior.sum()), 2))
    return shapely.linestrings(xy, indices=owner)


def points_near(lines, n, max_offset=60.0, seed=1):
    """Points clustered near the streets: hot segments, perpendicular offsets 0..max_offset,
    a share exactly on network vertices (junction ties)."""
    rng = np.random.default_rng(seed)
    coords, ci = shapely.get_coordinates(lines, return_index=True)
    s = np.flatnonzero(ci[1:] == ci[:-1])
    a, b = coords[s], coords[s + 1]
    length = np.hypot(*(b - a).T)
    w = length * rng.pareto(1.5, len(length))
    k = rng.choice(len(length), n, p=w / w.sum())
    t = rng.uniform(0, 1, n)
    xy = a[k] + (b[k] - a[k]) * t[:, None]
    normal = np.c_[-(b - a)[k, 1], (b - a)[k, 0]] / length[k, None]
    xy += normal * (rng.uniform(0, max_offset, n) * rng.choice([-1, 1], n))[:, None]
    on_vertex = rng.random(n) < 0.02
    xy[on_vertex] = coords[rng.integers(0, len(coords), int(on_vertex.sum()))]
    return shapely.points(xy)


# ---------------------------------------------------------------------------------- cases


def test_ties_at_shared_junction_vertex_go_to_lowest_index():
    # Four blocks meet at (100, 100).
    blocks = np.array(
        [
            LineString([(100, 100), (200, 100)]),  # east
            LineString([(0, 100), (100, 100)]),  # west
            LineString([(100, 100), (100, 200)]),  # north
            LineString([(100, 0), (100, 100)]),  # south
        ]
    )
    points = np.array(
        [
            Point(100, 100),  # on the vertex: 0 to all four
            Point(101, 101),  # 1 from east and north (interiors)
            Point(99, 99),  # 1 from west and south
            Point(99, 101),  # 1 from west and north
        ]
    )
    b, d = check(points, blocks, 50.0)
    assert list(b) == [0, 0, 1, 1]
    assert list(d) == [0.0, 1.0, 1.0, 1.0]
    b, _ = check(points, blocks[::-1], 50.0)  # reversed: east=3, west=2, north=1, south=0
    assert list(b) == [0, 1, 0, 1]


def test_ties_past_the_ends_at_a_shared_vertex():
    # The points lie beyond both blocks' shared end vertex: equal vertex distances.
    blocks = np.array(
        [
            LineString([(10, 10), (10, 30)]),
            LineString([(0, 0), (5, 3), (10, 10)]),
            LineString([(10, 10), (30, 10)]),
            LineString([(20, 20), (30, 30)]),
        ]
    )
    points = np.array([Point(7, 7.5), Point(9, 9), Point(10, 10), Point(10, 9)])
    b, d = check(points, blocks, 5.0)
    assert list(b) == [1, 1, 0, 1]
    b, d = check(points[1:], blocks[[3, 2, 0]], 5.0)  # pure vertex ties
    assert list(b) == [1, 1, 1]
    assert list(d) == [np.sqrt(2.0), 0.0, 1.0]


def test_duplicate_identical_blocks_tie_to_lower_index():
    line = LineString([(0, 0), (50, 0), (50, 50)])
    blocks = np.array(
        [LineString([(500, 500), (600, 500)]), line, line, shapely.from_wkb(line.wkb)]
    )
    b, d = check([Point(10, 5), Point(60, 25), Point(550, 510)], blocks, 20.0)
    assert list(b) == [1, 1, 0]
    assert list(d) == [5.0, 10.0, 10.0]


def test_multipart_lines_use_all_parts_and_no_bridge():
    blocks = np.array(
        [
            MultiLineString([[(0, 0), (10, 0)], [(100, 0), (110, 0)]]),
            LineString([(0, 40), (110, 40)]),
        ]
    )
    # (55, 1) is 1 m from the (nonexistent) bridge between the parts, 39 m from block 1.
    b, d = check([Point(55, 1), Point(105, 2), Point(5, -3), Point(55, 30)], blocks, 45.0)
    assert list(b) == [1, 0, 0, 1]
    assert list(d) == [39.0, 2.0, 3.0, 10.0]
    b, d = check([Point(55, 1)], blocks[:1], 30.0)
    assert b[0] == -1 and np.isnan(d[0])


def test_max_distance_is_inclusive_and_beyond_is_none():
    blocks = np.array([LineString([(0, 0), (10, 0)])])
    points = np.array(
        [
            Point(5, 50),  # perpendicular, exactly 50
            Point(-30, 40),  # past the start: 3-4-5, exactly 50
            Point(40, -40),  # past the end: 30-40-50, exactly 50
            Point(5, np.nextafter(50.0, 100.0)),  # one ulp beyond
            Point(5, 50.001),
            Point(5, -49.999),
            Point(1000, 1000),
        ]
    )
    b, d = check(points, blocks, 50.0)
    assert list(b) == [0, 0, 0, -1, -1, 0, -1]
    assert list(d[:3]) == [50.0, 50.0, 50.0]


def test_none_empty_and_nonfinite_points():
    blocks = np.array([LineString([(0, 0), (10, 0)]), None, shapely.from_wkt("LINESTRING EMPTY")])
    points = np.array(
        [
            None,
            shapely.from_wkt("POINT EMPTY"),
            Point(5, 1),
            shapely.points(np.nan, np.nan),
            Point(np.inf, 0),
            None,
        ],
        dtype=object,
    )
    b, d = nearest_within(points, blocks, 10.0)
    assert list(b) == [-1, -1, 0, -1, -1, -1]
    assert d[2] == 1.0 and np.isnan(d[[0, 1, 3, 4, 5]]).all()
    # Same as the STRtree approach.
    assert_same((b, d), strtree_reference(points, blocks, 10.0))


def test_lines_longer_than_many_cells():
    # Many short blocks make the cells small; one 20 km block crosses thousands of cells.
    rng = np.random.default_rng(3)
    starts = rng.uniform(0, 20000, (400, 2))
    short = shapely.linestrings(np.stack([starts, starts + rng.uniform(-3, 3, (400, 2))], 1))
    long_line = LineString([(0, 10000), (20000, 10050), (20000, 0)])  # 2 long segments
    diagonal = LineString([(0, 0), (20000, 20000)])
    blocks = np.r_[short, [long_line, diagonal]]
    xs = rng.uniform(-10, 20010, 3000)
    ys = np.r_[
        10000 + xs[:1000] / 400 + rng.uniform(-6, 6, 1000),  # near the long line
        xs[1000:2000] + rng.uniform(-8, 8, 1000),  # near the diagonal
        rng.uniform(0, 20000, 1000),
    ]
    points = shapely.points(xs, ys)
    b, _ = check(points, blocks, 5.0)
    assert (b == 400).sum() > 400 and (b == 401).sum() > 400
    check(points, blocks, 0.5)


def test_degenerate_segments_and_z():
    blocks = np.array(
        [
            LineString([(0, 0), (0, 0), (10, 0)]),  # repeated vertex: zero-length segment
            LineString([(20, 20), (20, 20)]),  # a zero-length line
            shapely.from_wkt("LINESTRING Z (30 0 5, 40 0 7)"),
        ]
    )
    points = np.array([Point(-3, 4), Point(21, 21), Point(35, 1, 100), Point(5, 0)])
    b, d = check(points, blocks, 10.0)
    assert list(b) == [0, 1, 2, 0]
    assert list(d) == [5.0, np.sqrt(2.0), 1.0, 0.0]


def test_unlimited_and_non_positive_max_distance_use_strtree():
    blocks = np.array([LineString([(0, 0), (10, 0)]), LineString([(0, 1000), (10, 1000)])])
    points = np.array([Point(5, 400), Point(5, 600), Point(5, 500), None])
    for md in (None, 0, -1.0, np.inf):
        b, _d = check(points, blocks, md)
        assert list(b) == [0, 1, 0, -1]


def test_non_line_blocks_and_non_point_queries_fall_back_exactly():
    blocks = np.array(
        [Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]), LineString([(20, 0), (20, 10)])]
    )
    points = np.array([Point(5, 5), Point(15, 5), Point(30, 5)])
    b, _ = check(points, blocks, 6.0)
    assert list(b) == [0, 0, -1]
    lines = np.array([LineString([(0, 0), (10, 0)]), LineString([(0, 5), (10, 5)])])
    queries = np.array([shapely.from_wkt("MULTIPOINT (1 1, 2 4)"), Point(3, 3)])
    b, _d = check(queries, lines, 10.0)
    assert list(b) == [0, 1]


def test_empty_inputs():
    b, d = nearest_within(np.array([], dtype=object), np.array([LineString([(0, 0), (1, 1)])]), 5.0)
    assert b.shape == (0,) and d.shape == (0,)
    b, d = nearest_within(np.array([Point(0, 0)]), np.array([], dtype=object), 5.0)
    assert list(b) == [-1] and np.isnan(d[0])
    b, d = nearest_within(
        np.array([Point(0, 0)]),
        np.array([None, shapely.from_wkt("MULTILINESTRING EMPTY")]),
        5.0,
    )
    assert list(b) == [-1]


def test_progress_and_cancel():
    lines = street_network(500, seed=5)
    points = points_near(lines, 1000, seed=6)
    seen = []
    b, d = nearest_within(points, lines, 50.0, chunk_size=300, progress=seen.append)
    assert seen == pytest.approx([0.3, 0.6, 0.9, 1.0])
    assert_same((b, d), strtree_reference(points, lines, 50.0))
    calls = []

    def cancel_on_second():
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(Cancelled):
        nearest_within(points, lines, 50.0, chunk_size=300, cancelled=cancel_on_second)
    with pytest.raises(Cancelled):
        nearest_within(points, lines, None, chunk_size=300, cancelled=lambda: True)


def test_small_pair_batches(monkeypatch):
    # Batches of a few pairs exercise the batch splitting (a point can exceed a batch).
    monkeypatch.setattr(nmod, "_PAIR_BATCH", 7)
    lines = street_network(300, seed=8)
    points = points_near(lines, 500, seed=9)
    assert_same(nearest_within(points, lines, 40.0), strtree_reference(points, lines, 40.0))


def test_street_network_agrees_with_strtree():
    lines = street_network(5000, seed=11)
    # A few multi-part blocks and one very long block too.
    lines = np.r_[
        lines,
        [
            shapely.multilinestrings([lines[0], lines[1]]),
            LineString([(500000.0, 4000000.0), (507000.0, 4007000.0)]),
        ],
    ]
    points = points_near(lines, 20000, seed=12)
    points[::997] = None
    for md in (50.0, 12.5, 200.0):
        got = nearest_within(points, lines, md, chunk_size=7000)
        assert_same(got, strtree_reference(points, lines, md))
    assert (got[0] >= 0).mean() > 0.9


def test_large_max_distance_searches_in_levels_with_strtree_rest():
    lines = street_network(2000, seed=21)
    segments = nmod._Segments.from_blocks(lines)
    radii, rest = segments.levels(50.0)
    assert radii == [50.0] and not rest
    radii, rest = segments.levels(300.0)
    assert len(radii) > 1 and radii[-1] == 300.0 and not rest
    assert all(b == 2 * a for a, b in itertools.pairwise(radii))
    radii, rest = segments.levels(1e5)
    assert rest and (not radii or radii[-1] < 1e5)
    # Points near the streets and far away (beyond every grid level: STRtree rest).
    x0, _y0, x1, y1 = shapely.total_bounds(lines)
    rng = np.random.default_rng(22)
    far = shapely.points(
        rng.uniform(x0 - 5000, x1 + 5000, 300), rng.uniform(y1 + 500, y1 + 3000, 300)
    )
    points = np.r_[points_near(lines, 3000, seed=23), far, [None]]
    for md in (300.0, 2500.0, 1e5):
        seen = []
        got = nearest_within(points, lines, md, chunk_size=1000, progress=seen.append)
        assert_same(got, strtree_reference(points, lines, md))
        assert seen[-1] == 1.0 and all(a <= b for a, b in itertools.pairwise(seen))
    assert (got[0][:-1] >= 0).all()


@pytest.mark.parametrize(
    "plan",
    [
        lambda md: ([md / 8, md / 4, md / 2, md], False),
        lambda md: ([md / 3, md], False),
        lambda md: ([md / 4, md / 2], True),  # grid levels, then the STRtree
        lambda md: ([], True),  # all STRtree
    ],
)
def test_level_plans_match_brute_force(monkeypatch, plan):
    # Whatever radii the heuristic picks, the answer must not change: integer coordinates
    # give many exact ties and distances exactly at a level's radius.
    monkeypatch.setattr(nmod._Segments, "levels", lambda self, md: plan(md))
    rng = np.random.default_rng(31)
    blocks = shapely.linestrings(rng.integers(0, 40, (60, 3, 2)).astype(float))
    points = shapely.points(rng.integers(-10, 50, (400, 2)).astype(float))
    points[::50] = None
    for md in (4.0, 8.0, 13.0, 40.0):
        seen = []
        check(points, blocks, md, chunk_size=64, progress=seen.append)
        assert seen[-1] == 1.0 and all(a <= b for a, b in itertools.pairwise(seen))


# ------------------------------------------------------------------------------ property


coord = st.one_of(
    st.integers(-6, 6).map(float),
    st.floats(-6, 6, allow_nan=False, allow_infinity=False, width=32).map(float),
)
xy = st.tuples(coord, coord)
line = st.lists(xy, min_size=2, max_size=4).map(LineString)
multi = st.lists(st.lists(xy, min_size=2, max_size=3), min_size=2, max_size=3).map(MultiLineString)
block = st.one_of(line, line, multi, st.none())
point = st.one_of(xy.map(Point), st.none())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(point, min_size=0, max_size=12),
    blocks=st.lists(block, min_size=1, max_size=7),
    max_distance=st.sampled_from([0.5, 1.0, 2.0, 2.5, 5.0, 13.0, 100.0, None]),
    offset=st.sampled_from([0.0, 1e3, 4.5e6]),
)
def test_property_matches_brute_force(points, blocks, max_distance, offset):
    # Small integer coordinates give exact ties and distances exactly at max_distance;
    # the offset (exactly representable shifts) checks large projected coordinates.
    points = np.array(points + [None], dtype=object)[:-1]
    blocks = np.array(blocks + [None], dtype=object)[:-1]
    if offset:
        points = shapely.transform(points, lambda c: c + offset)
        blocks = shapely.transform(blocks, lambda c: c + offset)
    check(points, blocks, max_distance)


# ----------------------------------------------------------------------------- benchmark


def _benchmark(n_links, n_points, max_distance=50.0):  # pragma: no cover - manual timing
    import gc
    import time

    def rss_mb():
        with open("/proc/self/status") as f:
            status = dict(line.split(":", 1) for line in f)
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024

    def measured(fn):
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak-RSS mark (VmHWM)
        base, _ = rss_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return out, wall, cpu, rss_mb()[1] - base

    lines = street_network(n_links)
    points = points_near(lines, n_points)
    print(
        f"--- {n_points} points, {n_links} lines, max_distance {max_distance}",
        flush=True,
    )
    got, t1, c1, m1 = measured(lambda: nearest_within(points, lines, max_distance))
    print(
        f"nearest_within : {t1:7.3f} s wall {c1:7.3f} s cpu, peak extra RSS {m1:6.0f} MB",
        flush=True,
    )
    ref, t2, c2, m2 = measured(lambda: strtree_reference(points, lines, max_distance))
    print(
        f"STRtree nearest: {t2:7.3f} s wall {c2:7.3f} s cpu, peak extra RSS {m2:6.0f} MB",
        flush=True,
    )
    same = np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1], equal_nan=True)
    print(
        f"speed-up {t2 / t1:.1f}x wall, {c2 / c1:.1f}x cpu; identical results: {same}",
        flush=True,
    )


if __name__ == "__main__":  # pragma: no cover
    import sys

    args = [int(a) for a in sys.argv[1:]] or [50_000, 200_000, 500_000, 2_000_000]
    for i in range(0, len(args), 2):
        _benchmark(args[i], args[i + 1])
