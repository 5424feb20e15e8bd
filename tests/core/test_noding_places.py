"""Noding's hashed place grouping and shared tree queries against brute force."""

import numpy as np
import pytest
import shapely

from hotblocking.noding import _group_equal, _query_places


@pytest.mark.parametrize("seed", range(20))
def test_group_ids_number_distinct_rows_in_sorted_order(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    x = rng.integers(-3, 3, n).astype(float) * 0.5
    x[x == 0] = rng.choice([0.0, -0.0], int((x == 0).sum()))  # -0.0 is the place 0.0
    y = rng.integers(0, 3, n).astype(float)
    level = rng.choice([0.0, 0.0, 1.0, -1.0], n) if seed % 2 else np.zeros(n)
    rows = [(a + 0.0, b, c) for a, b, c in zip(x, y, level)]
    distinct = sorted(set(rows))
    assert list(_group_equal(x, y, level)) == [distinct.index(r) for r in rows]


def test_group_ids_with_nan_keep_every_nan_row_apart():
    x = np.array([np.nan, np.nan, 1.0, 1.0])
    y = np.zeros(4)
    got = _group_equal(x, y, np.zeros(4))
    assert got[2] == got[3] and len({got[0], got[1], got[2]}) == 3


@pytest.mark.parametrize("seed", range(10))
def test_shared_queries_give_each_row_its_own_query(seed):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 8, (30, 2))
    boxes = shapely.box(lo[:, 0], lo[:, 1], lo[:, 0] + rng.uniform(0, 3, 30), lo[:, 1] + 2)
    tree = shapely.STRtree(boxes)
    xy = rng.integers(0, 10, (80, 2)).astype(float)  # many rows share a place
    row, hit = _query_places(tree, xy)
    want_row, want_hit = [], []
    for i, (px, py) in enumerate(xy):
        hits = tree.query(shapely.Point(px, py))
        want_row += [i] * len(hits)
        want_hit += list(hits)
    assert list(row) == want_row
    assert list(hit) == want_hit
