"""Joined layers holding the same records under different labels (hotblocking.same_records)."""

import numpy as np

from hotblocking.same_records import record_keys, repeated_layers

MONTH = np.datetime64("2018-07-01T00:00", "ms")
NEXT = np.datetime64("2018-08-01T00:00", "ms")


def keys(label, fids, blocks, start=MONTH, end=NEXT):
    n = len(fids)
    return record_keys(
        np.array([f"{label}:{f}" for f in fids], dtype=object),
        np.array(blocks, dtype=object),
        np.full(n, start),
        np.full(n, end),
    )


def test_the_same_layer_under_two_labels_is_found():
    a = keys("ambulance", [1, 2, 3, 4], ["B1", "B2", "B2", "B9"])
    b = keys("police", [1, 2, 3, 4], ["B1", "B2", "B2", "B9"])
    c = keys("A&E", [1, 2, 3, 4], ["B5", "B6", "B7", "B8"])
    found = repeated_layers([a, c, b])
    assert [(r.first, r.second, r.shared, r.smaller) for r in found] == [(0, 2, 4, 4)]


def test_a_label_with_a_colon_keeps_the_feature_id():
    a = keys("police:uk", [7, 8], ["B1", "B2"])
    b = keys("police", [7, 8], ["B1", "B2"])
    assert len(repeated_layers([a, b])) == 1


def test_coincidences_between_different_sources_are_not_a_repeat():
    # Month-only data: same fids, same month; 1 of 4 on the same block by chance.
    a = keys("violence", [1, 2, 3, 4], ["B1", "B2", "B3", "B4"])
    b = keys("robbery", [1, 2, 3, 4], ["B1", "B7", "B8", "B9"])
    assert repeated_layers([a, b]) == []


def test_times_and_blocks_distinguish_records():
    a = keys("x", [1, 2], ["B1", "B2"])
    later = keys("y", [1, 2], ["B1", "B2"], start=NEXT, end=NEXT + np.timedelta64(31, "D"))
    assert repeated_layers([a, later]) == []


def test_a_subset_joined_again_is_a_repeat():
    whole = keys("all", range(10), [f"B{i}" for i in range(10)])
    part = keys("some", range(6), [f"B{i}" for i in range(6)])
    [found] = repeated_layers([whole, part])
    assert (found.shared, found.smaller) == (6, 6)


def test_empty_layers_are_never_repeats():
    assert repeated_layers([keys("a", [], []), keys("b", [], [])]) == []
