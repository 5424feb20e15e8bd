"""Same records through two files: found by point and times, whatever the order or copy."""

import numpy as np

from hotblocking.same_records import content_keys, shared_share


def _times(*texts):
    return np.array([np.datetime64(t) if t else np.datetime64("NaT") for t in texts], "M8[ms]")


def test_same_records_in_another_order_and_with_round_off_are_the_same():
    xy = np.array([[1.0, 2.0], [3.0, 4.0], [np.nan, np.nan]])
    start = _times("2025-01-01T22:00", "2025-01-02T23:15", None)
    end = start.copy()
    a = content_keys(xy, start, end)
    order = [2, 0, 1]
    b = content_keys(xy[order] + 1e-7, start[order], end[order])  # a reprojection's round-off
    assert len(a) == 3
    assert shared_share(a, b) == 1.0


def test_other_place_or_time_is_another_record():
    xy = np.array([[1.0, 2.0], [3.0, 4.0]])
    start = _times("2025-01-01T22:00", "2025-01-02T23:15")
    a = content_keys(xy, start, start)
    moved = content_keys(xy + [0.01, 0], start, start)  # 1 cm away
    later = content_keys(xy, start + np.timedelta64(1, "m"), start)
    assert shared_share(a, moved) == 0.0
    assert shared_share(a, later) == 0.0


def test_share_is_of_the_smaller_set_and_repeats_count_once():
    xy = np.array([[float(i), 0.0] for i in range(10)])
    start = _times(*["2025-01-01T22:00"] * 10)
    whole = content_keys(xy, start, start)
    part = content_keys(
        np.vstack([xy[:3], xy[:3]]), np.r_[start[:3], start[:3]], np.r_[start[:3], start[:3]]
    )
    assert len(part) == 3  # a record repeated inside one layer is one distinct record
    assert shared_share(whole, part) == 1.0
    assert shared_share(part, whole) == 1.0
    assert shared_share(whole, content_keys(np.zeros((0, 2)), start[:0], start[:0])) == 0.0
