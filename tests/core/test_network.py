"""Block adjacency and kernel smoothing on tiny hand-built networks (hotblocking.network)."""

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from hotblocking import network as nw
from hotblocking.errors import Cancelled


def line_net():
    """A-B-C end to end (100 m each), D crossing B at its middle without a shared vertex,
    E touching C's end 4 mm off (an unnoded near-miss within the 0.01 m tolerance)."""
    return np.array(
        [
            LineString([(0, 0), (100, 0)]),  # A
            LineString([(100, 0), (150, 0), (200, 0)]),  # B (middle vertex at 150,0)
            LineString([(200, 0), (300, 0)]),  # C
            LineString([(150, -50), (150, 50)]),  # D crosses B at (150, 0): no shared vertex
            LineString([(300.004, 0), (300, 100)]),  # E
        ],
        dtype=object,
    )


def test_adjacency_shared_end_points_only():
    g = nw.block_graph(line_net()).tocoo()
    edges = {(int(r), int(c)): float(w) for r, c, w in zip(g.row, g.col, g.data)}
    assert edges == pytest.approx(
        {(0, 1): 100.0, (1, 0): 100.0, (1, 2): 100.0, (2, 1): 100.0, (2, 4): 100.0, (4, 2): 100.0},
        abs=1e-6,
    )
    assert (g != g.T).nnz == 0


def test_snap_tolerance():
    start, end = nw.endpoint_nodes(line_net(), tolerance=0.001)
    assert end[2] != start[4]  # 4 mm apart: separate at 1 mm
    start, end = nw.endpoint_nodes(line_net(), tolerance=0.01)
    assert end[2] == start[4]
    assert end[0] == start[1] and end[1] == start[2]
    assert len({start[3], end[3]} & {start[1], end[1]}) == 0


def test_edge_weight_is_half_the_sum_of_lengths_and_lengths_override():
    geoms = np.array([LineString([(0, 0), (30, 0)]), LineString([(30, 0), (30, 50)])])
    assert nw.block_graph(geoms)[0, 1] == 40.0
    assert nw.block_graph(geoms, lengths=np.array([10.0, 20.0]))[0, 1] == 15.0


def test_multilinestring_empty_and_loop():
    geoms = np.array(
        [
            MultiLineString([[(0, 0), (10, 0)], [(10, 0), (20, 0)]]),
            LineString([(20, 0), (30, 0)]),
            shapely.from_wkt("LINESTRING EMPTY"),
            None,
            LineString([(30, 0), (40, 10), (30, 0)]),  # a loop on C's far end
        ],
        dtype=object,
    )
    start, end = nw.endpoint_nodes(geoms)
    assert end[0] == start[1]
    assert start[2] == end[2] == start[3] == end[3] == -1
    g = nw.block_graph(geoms)
    assert sorted(zip(*g.nonzero())) == [(0, 1), (1, 0), (1, 4), (4, 1)]


def test_smooth_reaches_one_hop_within_bandwidth_not_crossings():
    net = line_net()
    g = nw.block_graph(net)
    lens = shapely.length(net)
    v = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    out = nw.smooth(v, g, 150.0, lens)
    # B keeps 100 / (100 + 2 * 100/3) = 0.6; A and C at 100 m get (1 - 100/150) * 100 each
    assert out == pytest.approx([0.2, 0.6, 0.2, 0.0, 0.0], abs=1e-12)
    assert out[3] == 0.0  # D crosses B without a shared vertex: nothing
    # A at 100 m reaches B, but not C at 200 m > 150 m
    out = nw.smooth(np.array([3.0, 0, 0, 0, 0]), g, 150.0, lens)
    assert out == pytest.approx([2.25, 0.75, 0.0, 0.0, 0.0], abs=1e-12)


def test_smooth_length_weighting():
    geoms = np.array([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (110, 0)])])
    g = nw.block_graph(geoms)  # centres 55 m apart
    v = np.array([1.0, 0.0])
    k_far = 1 - 55 / 110
    weighted = nw.smooth(v, g, 110.0, shapely.length(geoms))
    assert weighted == pytest.approx([100 / (100 + 10 * k_far), 10 * k_far / (100 + 10 * k_far)])
    plain = nw.smooth(v, g, 110.0, shapely.length(geoms), length_weighted=False)
    assert plain == pytest.approx([1 / (1 + k_far), k_far / (1 + k_far)])


def test_bandwidth_zero_is_identity_and_isolated_keeps_value():
    net = line_net()
    g = nw.block_graph(net)
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert nw.smooth(v, g, 0.0, shapely.length(net)).tolist() == v.tolist()
    out = nw.smooth(v, g, 150.0, shapely.length(net))
    assert out[3] == 4.0
    zero_len = nw.smooth(np.array([0, 0, 0, 7.0, 0]), g, 150.0, np.zeros(5))
    assert zero_len.tolist() == [0, 0, 0, 7.0, 0]


def grid(n, step=100.0):
    xs = np.arange(n) * step
    x, y = np.meshgrid(xs[:-1], xs, indexing="ij")
    h = np.stack(
        [np.stack([x.ravel(), y.ravel()], 1), np.stack([x.ravel() + step, y.ravel()], 1)], 1
    )
    x, y = np.meshgrid(xs, xs[:-1], indexing="ij")
    v = np.stack(
        [np.stack([x.ravel(), y.ravel()], 1), np.stack([x.ravel(), y.ravel() + step], 1)], 1
    )
    return shapely.linestrings(np.concatenate([h, v]))


def test_smooth_conserves_total_and_matches_dijkstra():
    from scipy.sparse.csgraph import dijkstra

    geoms = grid(12)
    lens = shapely.length(geoms) * np.random.default_rng(3).uniform(0.5, 1.5, len(geoms))
    g = nw.block_graph(geoms, lens)
    vals = np.random.default_rng(4).poisson(2.0, (len(geoms), 2)).astype(float)
    out = nw.smooth(vals, g, 260.0, lens, chunk=7)
    assert out.sum(axis=0) == pytest.approx(vals.sum(axis=0), rel=1e-12)
    # kernel rows against scipy's exact distances
    k = nw.kernel_matrix(g, 260.0, lens).toarray()
    assert k.sum(axis=1) == pytest.approx(np.ones(len(geoms)))
    d = dijkstra(g, directed=False)
    w = np.where(d < 260.0, (1 - d / 260.0) * lens[None, :], 0.0)
    assert k == pytest.approx(w / w.sum(axis=1, keepdims=True), abs=1e-12)


def test_cancel_and_progress():
    geoms = grid(6)
    g = nw.block_graph(geoms)
    seen = []
    nw.smooth(np.ones(len(geoms)), g, 150.0, shapely.length(geoms), chunk=10, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        nw.smooth(np.ones(len(geoms)), g, 150.0, shapely.length(geoms), cancelled=lambda: True)


def test_connectivity_counts_components_and_isolated_blocks():
    # blocks 0-1-2 chained, 3 alone, 4 a loop on its own node, 5 with a missing end
    start = np.array([0, 1, 2, 10, 20, -1])
    end = np.array([1, 2, 3, 11, 20, 30])
    c = nw.connectivity(start, end)
    assert c.components == 4 and c.isolated == 3 and c.largest == 3
    assert len(set(c.component[:3].tolist())) == 1


def test_network_from_nodes_follows_the_stored_nodes_not_the_geometry():
    # two blocks whose ends meet on the map but sit at different grade levels (no shared node)
    net = nw.network_from_nodes(np.array([0, 2]), np.array([1, 3]), np.array([10.0, 30.0]))
    assert net.graph.nnz == 0
    net = nw.network_from_nodes(np.array([0, 1]), np.array([1, 3]), np.array([10.0, 30.0]))
    assert net.graph[0, 1] == 20.0
