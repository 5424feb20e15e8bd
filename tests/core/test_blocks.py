"""Equal-length block splitting and block ids (hotblocking.blocks)."""

import time

import numpy as np
import pytest
import shapely
from shapely import LineString, MultiLineString, Point, Polygon

from hotblocking.blocks import BlockSplit, block_ids, split_links


def _geoms(*gs):
    return np.array(list(gs), dtype=object)


def _xy(geom):
    return shapely.get_coordinates(geom).tolist()


def _assert_conserved(split: BlockSplit, n: int) -> None:
    covered = np.union1d(split.link_index, split.rejected_index)
    assert covered.tolist() == list(range(n))
    assert np.intersect1d(split.link_index, split.rejected_index).size == 0
    assert len(set(split.rejected_index.tolist())) == split.rejected_index.size


def _assert_aligned(split: BlockSplit) -> None:
    n = len(split)
    assert split.geometry.shape == split.part.shape == split.length.shape == (n,)
    assert split.rejected_index.shape == split.rejected_reason.shape


def test_250m_line_max_100_gives_three_equal_parts_from_first_vertex():
    s = split_links(_geoms(LineString([(0, 0), (250, 0)])), 100)
    assert s.link_index.tolist() == [0, 0, 0]
    assert s.part.tolist() == [1, 2, 3]
    np.testing.assert_allclose(s.length, [250 / 3] * 3, rtol=1e-12)
    assert _xy(s.geometry[0])[0] == [0.0, 0.0]  # part 1 starts at the first vertex
    assert _xy(s.geometry[2])[-1] == [250.0, 0.0]
    np.testing.assert_allclose(_xy(s.geometry[1]), [[250 / 3, 0], [500 / 3, 0]])
    assert s.rejected_index.size == 0
    _assert_aligned(s)


def test_reversed_line_is_numbered_from_its_own_first_vertex():
    s = split_links(_geoms(LineString([(250, 0), (0, 0)])), 100)
    assert _xy(s.geometry[0])[0] == [250.0, 0.0]
    assert s.part.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "length, max_length, parts",
    [
        (100.0, 100, 1),
        (100.000001, 100, 2),  # 1e-8 relative: a real excess
        (200.0, 100, 2),
        (200.0000000001, 100, 2),  # rounding, not a 3rd sliver
        (199.9999999999, 100, 2),
        (300.0, 100, 3),
        (99.0, 100, 1),
        (1000.0, 100, 10),
        (1000.0, 333, 4),
        (0.5, 100, 1),
    ],
)
def test_exact_part_counts(length, max_length, parts):
    s = split_links(_geoms(LineString([(0, 0), (length, 0)])), max_length)
    assert len(s) == parts
    np.testing.assert_allclose(s.length, length / parts, rtol=1e-12)
    assert s.length.max() <= max_length * (1 + 1e-9)


def test_interior_vertices_kept_and_pieces_rebuild_the_line():
    # L-shaped polyline, 100 + 100 + 50 = 250 m, max 100 -> 3 parts of 83.33 m
    line = LineString([(0, 0), (100, 0), (100, 100), (50, 100)])
    s = split_links(_geoms(line), 100)
    a, b, c = (_xy(g) for g in s.geometry)
    cut1, cut2 = 250 / 3, 500 / 3
    np.testing.assert_allclose(a, [[0, 0], [cut1, 0]])
    np.testing.assert_allclose(b, [[cut1, 0], [100, 0], [100, cut2 - 100]])
    np.testing.assert_allclose(c, [[100, cut2 - 100], [100, 100], [50, 100]])
    np.testing.assert_allclose(s.length, [250 / 3] * 3, rtol=1e-12)
    # consecutive blocks meet exactly; joining them gives back every original vertex
    assert a[-1] == b[0] and b[-1] == c[0]
    rebuilt = a + b[1:] + c[1:]
    originals = _xy(line)
    assert all(v in rebuilt for v in originals)
    assert shapely.equals(shapely.line_merge(shapely.multilinestrings(s.geometry)), line)


def test_cut_on_an_existing_vertex_reuses_it_exactly():
    line = LineString([(0, 0), (50, 0), (100, 0), (150, 0), (200, 0)])
    s = split_links(_geoms(line), 100)
    assert [_xy(g) for g in s.geometry] == [
        [[0, 0], [50, 0], [100, 0]],
        [[100, 0], [150, 0], [200, 0]],
    ]


def test_vertex_within_tolerance_of_a_cut_becomes_the_cut():
    line = LineString([(0, 0), (100.0 + 1e-11, 0), (200, 0)])
    s = split_links(_geoms(line), 100)
    assert [len(_xy(g)) for g in s.geometry] == [2, 2]  # no 1e-11 m sliver segment
    assert _xy(s.geometry[0])[-1] == [100.0 + 1e-11, 0.0]


def test_long_straight_segment_gets_several_cuts():
    s = split_links(_geoms(LineString([(0, 0), (0, 1000)])), 300)
    assert s.part.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose([_xy(g)[0][1] for g in s.geometry], [0, 250, 500, 750])


def test_multilinestring_parts_split_separately_and_numbered_on():
    ml = MultiLineString([[(0, 0), (0, 150)], [(10, 10), (10, 60)], [(0, 0), (250, 0)]])
    s = split_links(_geoms(None, ml), 100)
    assert s.link_index.tolist() == [1] * 6
    assert s.part.tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(s.length, [75, 75, 50, 250 / 3, 250 / 3, 250 / 3])
    assert _xy(s.geometry[2]) == [[10, 10], [10, 60]]


def test_mixed_single_and_multi_part_links_keep_input_order():
    g = _geoms(
        MultiLineString([[(0, 0), (0, 150)], [(5, 0), (5, 50)]]),
        LineString([(0, 0), (120, 0)]),
        MultiLineString([[(0, 0), (0, 30)]]),  # single part
        MultiLineString([[(0, 0), (0, 10)], [(1, 1), (1, 1)], [(2, 0), (2, 210)]]),
    )
    s = split_links(g, 100)
    assert s.link_index.tolist() == [0, 0, 0, 1, 1, 2, 3, 3, 3, 3]
    assert s.part.tolist() == [1, 2, 3, 1, 2, 1, 1, 2, 3, 4]  # zero-length part dropped
    np.testing.assert_allclose(s.length, [75, 75, 50, 60, 60, 30, 10, 70, 70, 70])
    _assert_conserved(s, 4)


def test_3d_input_gives_2d_blocks():
    line = LineString([(0, 0, 5), (100, 0, 6), (100, 100, 7)])
    ml = MultiLineString([[(0, 0, 1), (0, 50, 2)]])
    s = split_links(_geoms(line, ml), 100)
    assert not shapely.has_z(s.geometry).any()
    assert [_xy(g) for g in s.geometry] == [
        [[0, 0], [100, 0]],
        [[100, 0], [100, 100]],
        [[0, 0], [0, 50]],
    ]
    np.testing.assert_allclose(s.length, [100, 100, 50])  # planar, not 3D


def test_rejections_with_reasons_and_conservation():
    g = _geoms(
        LineString([(0, 0), (10, 0)]),
        None,
        LineString(),
        Point(1, 1),
        LineString([(3, 3), (3, 3)]),
        MultiLineString([[(0, 0), (0, 0)], [(1, 1), (1, 1)]]),
        Polygon([(0, 0), (1, 0), (1, 1)]),
        shapely.from_wkt("MULTILINESTRING EMPTY"),
        LineString([(0, 0), (np.nan, 1)]),
        shapely.from_wkt("GEOMETRYCOLLECTION (LINESTRING (0 0, 1 1))"),
    )
    s = split_links(g, 100)
    assert s.link_index.tolist() == [0]
    assert dict(zip(s.rejected_index.tolist(), s.rejected_reason.tolist(), strict=True)) == {
        1: "null geometry",
        2: "empty geometry",
        3: "not a line (Point)",
        4: "zero length",
        5: "zero length",
        6: "not a line (Polygon)",
        7: "empty geometry",
        8: "non-finite coordinates",
        9: "not a line (GeometryCollection)",
    }
    assert s.rejected_index.dtype.kind == "i"
    assert all(isinstance(r, str) for r in s.rejected_reason)
    _assert_conserved(s, len(g))
    _assert_aligned(s)


def test_max_length_zero_keeps_links_whole():
    g = _geoms(
        LineString([(0, 0), (250, 0), (250, 10)]),
        MultiLineString([[(0, 0), (0, 150)], [(10, 10), (10, 60)]]),
    )
    s = split_links(g, 0)
    assert s.link_index.tolist() == [0, 1, 1]
    assert s.part.tolist() == [1, 1, 2]
    assert _xy(s.geometry[0]) == [[0, 0], [250, 0], [250, 10]]
    np.testing.assert_allclose(s.length, [260, 150, 50])


def test_bad_max_length_and_empty_input():
    with pytest.raises(ValueError):
        split_links(_geoms(LineString([(0, 0), (1, 0)])), -1)
    with pytest.raises(ValueError):
        split_links(_geoms(LineString([(0, 0), (1, 0)])), float("nan"))
    with pytest.raises(ValueError, match="units"):
        split_links(_geoms(LineString([(0, 0), (1e6, 0)]), LineString([(0, 0), (1e6, 1)])), 1e-3)
    s = split_links(np.array([], dtype=object), 100)
    assert len(s) == 0 and s.rejected_index.size == 0
    s = split_links(_geoms(None, None), 100)
    assert len(s) == 0 and s.rejected_index.tolist() == [0, 1]


def test_random_network_conserves_links_length_and_vertices():
    rng = np.random.default_rng(7)
    n = 2000
    nv = rng.integers(2, 9, n)
    idx = np.repeat(np.arange(n), nv)
    xy = np.cumsum(rng.normal(0, 40, (idx.size, 2)), axis=0)
    geoms = shapely.linestrings(xy, indices=idx).astype(object)
    geoms[::97] = None
    geoms[5::101] = shapely.multilinestrings([geoms[4], geoms[6]])
    s = split_links(geoms, 75)
    _assert_conserved(s, n)
    _assert_aligned(s)
    assert s.length.max() <= 75 * (1 + 1e-9)
    # each link's blocks add up to the link, numbered 1..k along it
    valid = np.unique(s.link_index)
    lengths = shapely.length(geoms[valid])
    np.testing.assert_allclose(np.bincount(s.link_index, weights=s.length)[valid], lengths)
    counts = np.bincount(s.link_index)[valid]
    last_part = s.part[np.r_[np.flatnonzero(np.diff(s.link_index)), len(s) - 1]]
    assert (last_part == counts).all()
    # every original vertex survives in the blocks of its link
    orig, oi = shapely.get_coordinates(geoms[valid], return_index=True)
    out, bi = shapely.get_coordinates(s.geometry, return_index=True)
    # consecutive blocks of a single-part link meet exactly
    single = shapely.get_type_id(geoms[s.link_index]) == 1
    same_link = (s.link_index[1:] == s.link_index[:-1]) & single[1:]
    ends = shapely.get_coordinates(shapely.get_point(s.geometry, -1))
    starts = shapely.get_coordinates(shapely.get_point(s.geometry, 0))
    assert same_link.sum() > 1000
    assert (ends[:-1][same_link] == starts[1:][same_link]).all()
    a = {(int(valid[i]), x, y) for i, (x, y) in zip(oi, orig.tolist(), strict=True)}
    b = {(int(s.link_index[i]), x, y) for i, (x, y) in zip(bi, out.tolist(), strict=True)}
    assert a <= b


def test_split_timing_500k_links_printed():
    rng = np.random.default_rng(1)
    n = 500_000
    nv = rng.integers(2, 12, n)
    idx = np.repeat(np.arange(n), nv)
    first = np.r_[0, np.cumsum(nv)[:-1]]
    walk = np.cumsum(rng.normal(0, 30, (idx.size, 2)), axis=0)
    xy = (
        walk
        - np.repeat(walk[first], nv, axis=0)
        + np.repeat(rng.uniform(5e5, 5.4e5, (n, 2)), nv, 0)
    )
    geoms = shapely.linestrings(xy, indices=idx)
    t = time.perf_counter()
    s = split_links(geoms, 100)
    elapsed = time.perf_counter() - t
    print(f"\nsplit_links: {n} links, {idx.size} vertices -> {len(s)} blocks in {elapsed:.2f} s")
    _assert_conserved(s, n)


def test_block_ids_plain_and_duplicate_link_ids():
    ids = np.array(["A", "B", "A", "C"], dtype=object)
    g = _geoms(
        LineString([(0, 0), (150, 0)]),
        LineString([(0, 0), (50, 0)]),
        LineString([(0, 0), (250, 0)]),
        None,
    )
    s = split_links(g, 100)
    expected = ["A:1", "A:2", "B:1", "A#2:1", "A#2:2", "A#2:3"]
    assert block_ids(ids[s.link_index], s.part).tolist() == expected
    assert block_ids(ids[s.link_index], s.part, s.link_index).tolist() == expected


def test_block_ids_duplicate_with_more_parts_than_first_and_missing_ids():
    # the second "A" has more parts than the first: its parts 2-3 must not become "A:2", "A:3"
    link_ids = np.array(["A", "A", "A", "A", None, None], dtype=object)
    part = np.array([1, 1, 2, 3, 1, 1])
    link_index = np.array([0, 1, 1, 1, 2, 3])
    expected = ["A:1", "A#2:1", "A#2:2", "A#2:3", ":1", "#2:1"]
    assert block_ids(link_ids, part).tolist() == expected
    assert block_ids(link_ids, part, link_index).tolist() == expected
    # interleaved rows (not split_links order) need link_index
    assert block_ids(
        np.array(["A", "A", "A"], dtype=object), np.array([1, 1, 2]), np.array([0, 5, 0])
    ).tolist() == ["A:1", "A#2:1", "A:2"]


def test_block_ids_refuse_collisions():
    with pytest.raises(ValueError, match="not unique"):
        block_ids(np.array(["A", "A#2", "A"], dtype=object), np.array([1, 1, 1]))
    assert block_ids(np.array([], dtype=object), np.array([], dtype=int)).size == 0


# --- link ids, node chains and part numbers -------------------------------------------------


def test_real_ids_print_as_integers_and_missing_stay_missing():
    from hotblocking.blocks import link_id_text

    ids, reason = link_id_text(np.array([17.0, 2.0, np.nan, 2.5]), np.arange(4))
    assert ids.tolist() == ["17", "2", None, "2.5"] and reason is None
    ids, reason = link_id_text(np.array([5, 6], dtype=np.int64), np.arange(2))
    assert ids.tolist() == ["5", "6"] and reason is None


@pytest.mark.parametrize(
    "values", [np.zeros(3), np.array(["x", "x", "x"], dtype=object), np.full(3, None, object)]
)
def test_an_id_field_with_one_value_gives_way_to_feature_ids(values):
    from hotblocking.blocks import link_id_text

    ids, reason = link_id_text(values, np.array([10, 11, 12]))
    assert ids.tolist() == ["10", "11", "12"]
    assert "feature ids are used instead" in reason


def test_chain_nodes_and_renumbered_parts():
    from hotblocking.blocks import chain_nodes, renumber_parts

    pieces = np.array(
        [LineString([(0, 0), (250, 0)]), LineString([(250, 0), (250, 80)])], dtype=object
    )
    split = split_links(pieces, 100.0)
    start, end = chain_nodes(split, np.array([7, 8]), np.array([8, 9]), node_count=10)
    assert start.tolist() == [7, 10, 11, 8] and end.tolist() == [10, 11, 8, 9]
    assert renumber_parts(np.array([0, 0, 0, 3, 3, 5])).tolist() == [1, 2, 3, 1, 2, 1]
