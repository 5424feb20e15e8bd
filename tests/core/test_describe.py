"""Block names and descriptions (hotblocking.describe) on a small hand-built town."""

import numpy as np
import pytest
from shapely.geometry import LineString

from hotblocking.describe import describe_blocks
from hotblocking.noding import node_network

ROAD, FOOT, STEPS = ("road", False), ("footway", True), ("steps", True)
TOWN = [
    # geometry, name, (kind, path-like)
    (LineString([(0, 0), (100, 0)]), "High St", ROAD),
    (LineString([(100, 0), (200, 0)]), "High St", ROAD),
    (LineString([(200, 0), (300, 0)]), "High St", ROAD),
    (LineString([(0, -100), (0, 0), (0, 100)]), "Mill Ln", ROAD),  # crosses at (0, 0)
    (LineString([(200, 0), (200, -80)]), "Bridge St", ROAD),
    (LineString([(300, 0), (300, 100)]), "Bridge St", ROAD),  # High St continues as...
    (LineString([(10, 5), (190, 5)]), None, FOOT),  # pavement 5 m off High St
    (LineString([(300, 0), (330, -30)]), None, STEPS),  # steps off the corner
    (LineString([(100, 0), (100, 60)]), None, ROAD),  # unnamed road: not a cross street
    (LineString([(120, 8), (120, 40)]), None, FOOT),  # footway at right angles: not beside
    (LineString([(150, 26), (190, 26)]), None, FOOT),  # parallel but 26 m off: not beside
]


def describe(beside=20.0):
    geoms = np.array([g for g, *_ in TOWN], dtype=object)
    net = node_network(geoms, mode="touch")
    li = net.link_index
    names = np.array([n for _, n, _ in TOWN], dtype=object)[li]
    kinds = np.array([k for *_, (k, _) in TOWN], dtype=object)[li]
    path = np.array([p for *_, (_, p) in TOWN])[li]
    out = describe_blocks(
        net.geometry, names, kinds, path, net.start_node, net.end_node, beside=beside
    )
    by_link = {}
    for link, name, text in zip(li, out.name, out.description):
        by_link.setdefault(int(link), []).append((name, text))
    return by_link, out


def test_streets_read_between_their_cross_streets():
    by_link, _ = describe()
    # High St runs on through the unnamed road's junction: one run from Mill Ln to Bridge St
    assert by_link[0] == [("High St", "High St between Mill Ln and Bridge St")]
    assert by_link[1] == [("High St", "High St between Mill Ln and Bridge St")]
    # the last piece has Bridge St at both ends (it crosses at 200, goes on at 300)
    assert by_link[2] == [("High St", "High St off Bridge St")]
    assert by_link[4] == [("Bridge St", "Bridge St off High St")]  # a dead end
    # Mill Ln is cut where High St ends on it: both halves are off High St
    assert by_link[3] == [("Mill Ln", "Mill Ln off High St")] * 2


def test_pavement_takes_the_name_of_the_street_beside_it():
    by_link, out = describe()
    assert by_link[6] == [("High St", "footway beside High St between Mill Ln and Bridge St")]
    assert out.beside.sum() == 1


def test_paths_not_beside_a_street_say_what_they_are_off():
    by_link, _ = describe()
    # the steps start at the corner of High St and Bridge St: the through street wins
    assert by_link[7] == [(None, "steps off Bridge St")]
    assert by_link[8] == [(None, "unnamed road off High St")]
    # at right angles to High St: not beside it, and it touches nothing
    assert by_link[9][0][0] is None and by_link[9][0][1].startswith("footway")
    assert by_link[10] == [(None, "unnamed footway")]  # 26 m away: beyond the 20 m rule


def test_the_beside_distance_is_a_parameter():
    by_link, _ = describe(beside=30.0)
    assert by_link[10][0][0] == "High St"
    by_link, _ = describe(beside=0.0)
    assert by_link[6][0][0] is None


def test_empty_input():
    empty = np.empty(0, dtype=object)
    out = describe_blocks(empty, empty, empty, np.zeros(0, bool), [], [])
    assert out.description.shape == (0,)


@pytest.mark.parametrize("angle, named", [(30.0, False), (60.0, True)])
def test_direction_rule(angle, named):
    street = LineString([(0, 0), (100, 0)])
    path = LineString([(40, 3), (60, 18)])  # 37 degrees off the street
    net = node_network(np.array([street, path], dtype=object), mode="none")
    out = describe_blocks(
        net.geometry,
        np.array(["Long Rd", None], dtype=object),
        np.array(["road", "path"], dtype=object),
        np.array([False, True]),
        net.start_node,
        net.end_node,
        angle=angle,
    )
    assert (out.name[1] == "Long Rd") is named


def test_near_when_the_far_end_only_meets_unnamed_ways():
    lines = np.array(
        [
            LineString([(0, 0), (100, 0)]),  # Long Rd
            LineString([(0, -50), (0, 50)]),  # A St crossing its start
            LineString([(100, 0), (150, 0)]),  # an unnamed road goes on from its end
        ],
        dtype=object,
    )
    net = node_network(lines, mode="touch")
    out = describe_blocks(
        net.geometry,
        np.array(["Long Rd", "A St", None], dtype=object)[net.link_index],
        np.array(["road"] * 3, dtype=object)[net.link_index],
        np.zeros(len(net), dtype=bool),
        net.start_node,
        net.end_node,
    )
    assert out.description[net.link_index == 0].tolist() == ["Long Rd near A St"]
