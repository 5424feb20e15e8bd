"""Noding (hotblocking.noding) on hand-built networks, checked against brute force."""

import itertools

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from hotblocking.noding import TOO_SHORT, node_network


def pieces_of(net, link):
    return [
        (shapely.get_coordinates(g).round(6).tolist(), int(a), int(b))
        for g, li, a, b in zip(net.geometry, net.link_index, net.start_node, net.end_node)
        if li == link
    ]


def nodes_of(net, link):
    return {n for _, a, b in pieces_of(net, link) for n in (a, b)}


def test_t_junction_on_a_segment_connects_and_a_crossing_does_not():
    roads = np.array(
        [
            LineString([(0, 0), (200, 0)]),  # main road, no vertex at 50 or 150
            LineString([(50, 0), (50, 80)]),  # side road ending on the main road's segment
            LineString([(150, -50), (150, 50)]),  # bridge: crosses without a vertex there
        ],
        dtype=object,
    )
    net = node_network(roads, mode="touch")
    main = pieces_of(net, 0)
    assert [p[0] for p in main] == [[[0, 0], [50, 0]], [[50, 0], [200, 0]]]
    assert main[0][2] == main[1][1] == pieces_of(net, 1)[0][1]  # one junction node
    assert not nodes_of(net, 2) & nodes_of(net, 0)  # the bridge stays apart
    assert net.cuts == 1 and len(net) == 4


def test_osm_ways_connect_only_at_shared_nodes():
    ways = np.array(
        [
            LineString([(0, 0), (100, 0), (200, 0)]),
            LineString([(100, 0), (100, 50)]),  # shares the node (100, 0): a junction
            LineString([(150, 0), (150, 50)]),  # ends on the segment, no shared node
            LineString([(50, -20), (50, 20)]),  # crosses with no node (a bridge)
        ],
        dtype=object,
    )
    net = node_network(ways, mode="shared_vertex")
    assert [p[0] for p in pieces_of(net, 0)] == [[[0, 0], [100, 0]], [[100, 0], [200, 0]]]
    assert nodes_of(net, 1) & nodes_of(net, 0)
    assert not nodes_of(net, 2) & nodes_of(net, 0)
    assert not nodes_of(net, 3) & nodes_of(net, 0)
    # the touch rule would connect the end on the segment
    touched = node_network(ways, mode="touch")
    assert nodes_of(touched, 2) & nodes_of(touched, 0)


def test_a_closed_way_is_cut_where_other_ways_join_it():
    ring = LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    spur = LineString([(10, 10), (20, 20)])
    net = node_network(np.array([ring, spur], dtype=object), mode="shared_vertex")
    loop = pieces_of(net, 0)
    assert len(loop) == 2 and loop[0][1] == loop[1][2]  # (0, 0) joins the two halves
    assert pieces_of(net, 1)[0][1] in {loop[0][2], loop[1][1]}


def test_grade_separation_keeps_levels_apart():
    """MasterMap: a bridge (level 1) over a road (level 0); both links have ends at the same
    place, at different levels; a slip road at level 0 joins the road."""
    links = np.array(
        [
            LineString([(0, 0), (100, 0)]),  # road, level 0
            LineString([(100, 0), (200, 0)]),  # road continues, level 0
            LineString([(100, -100), (100, 0)]),  # bridge, ends above the road's node
            LineString([(100, 0), (100, 100)]),  # bridge continues, level 1
            LineString([(50, 0), (50, -60)]),  # level-0 side road ending on the road
            LineString([(100, 50), (140, 50)]),  # level-0 lane ending on the bridge
        ],
        dtype=object,
    )
    start = np.array([0, 0, 1, 1, 0, 0], dtype=float)
    end = np.array([0, 0, 1, 1, 0, 0], dtype=float)
    net = node_network(links, mode="touch", start_level=start, end_level=end)
    road = nodes_of(net, 0) | nodes_of(net, 1)
    bridge = nodes_of(net, 2) | nodes_of(net, 3)
    assert not road & bridge
    assert nodes_of(net, 2) & nodes_of(net, 3)  # the bridge's own halves meet
    assert nodes_of(net, 4) & nodes_of(net, 0)  # same level: cut and connected
    assert len(pieces_of(net, 3)) == 1  # a level-0 end never cuts the level-1 bridge
    assert not nodes_of(net, 5) & bridge
    # without the levels everything at (100, 0) is one junction
    flat = node_network(links, mode="touch")
    assert (nodes_of(flat, 0) | nodes_of(flat, 1)) & (nodes_of(flat, 2) | nodes_of(flat, 3))


def test_a_ramp_interior_is_never_joined():
    ramp = LineString([(0, 0), (100, 0)])  # from level 0 to level 1: interior level unknown
    side = LineString([(50, 0), (50, 40)])
    net = node_network(
        np.array([ramp, side], dtype=object),
        mode="touch",
        start_level=np.array([0.0, 0.0]),
        end_level=np.array([1.0, 0.0]),
    )
    assert len(pieces_of(net, 0)) == 1 and not nodes_of(net, 0) & nodes_of(net, 1)


def test_loose_ends_within_the_gap_are_joined():
    links = np.array(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(40, 0.6), (40, 50)]),  # 0.6 short of the road: an undershoot
            LineString([(70, 1.5), (70, 50)]),  # 1.5 away: beyond a 1.0 gap
            LineString([(100.4, 0), (150, 0)]),  # two loose ends 0.4 apart
        ],
        dtype=object,
    )
    net = node_network(links, mode="touch", gap=1.0)
    assert net.joined_ends == 2
    assert pieces_of(net, 1)[0][0][0] == [40, 0]  # moved onto the road, which is cut there
    assert nodes_of(net, 1) & nodes_of(net, 0)
    assert not nodes_of(net, 2) & nodes_of(net, 0)
    assert nodes_of(net, 3) & nodes_of(net, 0)  # the facing ends meet (one moved, not both)
    assert not node_network(links, mode="touch", gap=0.0).joined_ends


def test_zero_length_and_sub_centimetre_pieces_never_become_pieces_but_still_connect():
    links = np.array(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(100, 0), (100.004, 0)]),  # 4 mm connector
            LineString([(100.004, 0), (200, 0)]),
            LineString([(5, 5), (5, 5)]),  # zero length
            LineString([(60, 0.0), (60, 30)]),  # cuts link 0 at 60
            LineString([(60.005, 0), (60.005, -30)]),  # 5 mm further: no 5 mm sliver
        ],
        dtype=object,
    )
    net = node_network(links, mode="touch", tolerance=0.001, min_length=0.01)
    assert 1 not in net.link_index and 3 not in net.link_index
    reasons = dict(zip(net.rejected_index.tolist(), net.rejected_reason.tolist()))
    assert reasons == {1: TOO_SHORT, 3: "zero length"}
    assert net.short_pieces == 1
    assert nodes_of(net, 0) & nodes_of(net, 2)  # joined through the dropped connector
    assert shapely.length(net.geometry).min() >= 0.01
    assert len(pieces_of(net, 0)) == 2  # one cut for the two ends 5 mm apart


def test_multilinestring_parts_are_pieces_of_one_link():
    link = MultiLineString([[(0, 0), (100, 0)], [(100, 10), (200, 10)]])
    side = LineString([(150, 10), (150, 60)])
    net = node_network(np.array([link, side, None], dtype=object), mode="touch")
    assert [p[0] for p in pieces_of(net, 0)] == [
        [[0, 0], [100, 0]],
        [[100, 10], [150, 10]],
        [[150, 10], [200, 10]],
    ]
    assert net.rejected_reason.tolist() == ["null geometry"]


def test_mode_none_keeps_links_whole_and_joins_ends_within_tolerance():
    links = np.array(
        [LineString([(0, 0), (100, 0)]), LineString([(100.004, 0), (100, 80)])], dtype=object
    )
    net = node_network(links, mode="none", tolerance=0.01)
    assert len(net) == 2 and net.cuts == 0
    assert net.end_node[0] == net.start_node[1]
    with pytest.raises(ValueError, match="mode"):
        node_network(links, mode="fast")


def _grid_network(seed: int, n: int = 40) -> np.ndarray:
    """Random lines on an integer grid (so vertices coincide) plus ends placed on the
    middle of other lines' segments (T-junctions off any vertex)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        k = rng.integers(2, 5)
        pts = rng.integers(0, 12, size=(k, 2)).astype(float) * 10
        pts = pts[np.r_[True, (np.diff(pts, axis=0) != 0).any(axis=1)]]  # GEOS dislikes repeats
        if len(pts) > 1:
            lines.append(LineString(pts))
    for _ in range(n // 3):
        target = lines[rng.integers(len(lines))]
        at = shapely.line_interpolate_point(target, rng.uniform(0.2, 0.8), normalized=True)
        x, y = at.x, at.y
        lines.append(LineString([(x, y), (x + rng.uniform(5, 30), y + rng.uniform(5, 30))]))
    return np.array(lines, dtype=object)


@pytest.mark.parametrize("seed", range(5))
def test_touch_noding_matches_brute_force(seed):
    links = _grid_network(seed)
    tol = 1e-6
    net = node_network(links, mode="touch", tolerance=tol, min_length=1e-3)
    # every link is covered exactly by its pieces
    for i, link in enumerate(links):
        mine = net.geometry[net.link_index == i]
        assert shapely.length(mine).sum() == pytest.approx(link.length, abs=1e-6)
        vertices = shapely.points(shapely.get_coordinates(mine))
        assert shapely.dwithin(link, vertices, 1e-6).all()
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(net.geometry, 0)),
            shapely.get_coordinates(shapely.get_point(net.geometry, -1)),
        ]
    )
    node = np.concatenate([net.start_node, net.end_node])
    # brute force: two piece ends share a node exactly when they are at the same place
    for a, b in itertools.combinations(range(len(ends)), 2):
        same_place = np.hypot(*(ends[a] - ends[b])) <= tol
        assert (node[a] == node[b]) == same_place, (a, b)
    # brute force: an original link end lying on another link (not within min_length of
    # that link's own ends) is a piece end of that link
    for i, j in itertools.permutations(range(len(links)), 2):
        for end in (links[i].coords[0], links[i].coords[-1]):
            point = shapely.Point(end)
            off_ends = min(
                shapely.distance(point, shapely.points([links[j].coords[0], links[j].coords[-1]]))
            )
            if shapely.distance(point, links[j]) <= tol and off_ends > 1e-3:
                theirs = net.geometry[net.link_index == j]
                piece_ends = np.concatenate(
                    [shapely.get_point(theirs, 0), shapely.get_point(theirs, -1)]
                )
                assert shapely.distance(point, piece_ends).min() <= 1e-6, (i, j)


@pytest.mark.parametrize("seed", range(3))
def test_shared_vertex_noding_leaves_no_shared_vertex_inside_a_piece(seed):
    links = _grid_network(seed)
    net = node_network(links, mode="shared_vertex", min_length=1e-3)
    inner = [{tuple(c) for c in shapely.get_coordinates(g)[1:-1]} for g in net.geometry]
    every = [{tuple(c) for c in shapely.get_coordinates(g)} for g in net.geometry]
    for a, b in itertools.permutations(range(len(net)), 2):
        assert not inner[a] & every[b], (a, b)
