"""Property-based checks of the core (hypothesis): nothing lost or duplicated, order does not
matter, and a seed fixes the result."""

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hotblocking.join import join_incidents
from hotblocking.risk import HotRule, compute_risk
from hotblocking.timeparse import parse_times
from hotblocking.windows import parse_windows

GRID = [shapely.LineString([(x, y), (x + 100, y)]) for x in range(0, 400, 100) for y in (0, 100)]
GRID += [shapely.LineString([(x, 0), (x, 100)]) for x in range(0, 500, 100)]
BLOCKS = np.array(GRID, dtype=object)
BLOCK_FRAME = pd.DataFrame(
    {
        "block_id": [f"b{i}" for i in range(len(BLOCKS))],
        "link_id": [f"l{i}" for i in range(len(BLOCKS))],
        "name": ["St"] * len(BLOCKS),
        "length_m": shapely.length(BLOCKS),
    }
)
WINDOWS = parse_windows("N=Fri-Sat 22:00-04:00; D=daily 00:00-24:00")

coordinate = st.floats(min_value=-100, max_value=500, allow_nan=False)
maybe_point = st.one_of(st.none(), st.tuples(coordinate, coordinate))
hours = st.integers(min_value=0, max_value=24 * 60)  # hours into 2025
maybe_time = st.one_of(st.none(), hours)


def make_points(items):
    return np.array([None if p is None else shapely.Point(p) for p in items], dtype=object)


def make_times(items):
    base = np.datetime64("2025-01-03T00:00", "ms")
    return np.array(
        [np.datetime64("NaT", "ms") if h is None else base + np.timedelta64(h, "h") for h in items],
        dtype="datetime64[ms]",
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(maybe_point, maybe_time), max_size=40))
def test_join_accounts_for_every_incident_once(records):
    points = make_points([p for p, _ in records])
    times = parse_times(make_times([t for _, t in records]))
    result = join_incidents(points, BLOCKS, 30.0, start=times, now=np.datetime64("2030-01-01"))
    assert len(result.reason) == len(records)  # one row per incident, joined or not
    matched = result.matched
    assert np.all(result.block_index[matched] >= 0)
    assert np.all(result.reason[~matched] != "")
    expected_missing = np.array([p is None for p, _ in records], dtype=bool)
    assert not np.any(matched & expected_missing)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(maybe_point, maybe_time), min_size=1, max_size=40), st.randoms())
def test_join_does_not_depend_on_input_order(records, random):
    order = list(range(len(records)))
    random.shuffle(order)
    points = make_points([p for p, _ in records])
    times = parse_times(make_times([t for _, t in records]))
    now = np.datetime64("2030-01-01")
    first = join_incidents(points, BLOCKS, 30.0, start=times, now=now)
    again = join_incidents(
        points[order],
        BLOCKS,
        30.0,
        start=parse_times(make_times([records[i][1] for i in order])),
        now=now,
    )
    assert np.array_equal(first.block_index[order], again.block_index)
    assert np.array_equal(first.reason[order], again.reason)


incident_rows = st.lists(
    st.tuples(
        st.integers(0, len(BLOCKS) - 1),
        st.sampled_from(["ambulance", "A&E", "police"]),
        hours,
        st.integers(0, 6),
    ),
    max_size=40,
)


def incident_frame(rows):
    base = np.datetime64("2025-01-03T00:00", "ms")
    start = np.array([base + np.timedelta64(h, "h") for _, _, h, _ in rows], dtype="datetime64[ms]")
    end = np.array(
        [s + np.timedelta64(d, "h") for s, (_, _, _, d) in zip(start, rows)], dtype="datetime64[ms]"
    )
    return pd.DataFrame(
        {
            "block_id": [f"b{b}" for b, _, _, _ in rows],
            "source": [s for _, s, _, _ in rows],
            "time_start": start,
            "time_end": end,
            "weight": np.ones(len(rows)),
        }
    )


@settings(max_examples=30, deadline=None)
@given(incident_rows, st.randoms())
def test_risk_is_order_independent_and_conserves_incidents(rows, random):
    frame = incident_frame(rows)
    shuffled = frame.sample(frac=1.0, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    rule = HotRule("top_n", 3)
    a = compute_risk(frame, BLOCK_FRAME, BLOCKS, WINDOWS, hot_rule=rule, bandwidth_m=150).table
    b = compute_risk(shuffled, BLOCK_FRAME, BLOCKS, WINDOWS, hot_rule=rule, bandwidth_m=150).table
    key = ["window", "block_id"]
    a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    for column in ("incidents", "risk", "rank", "hot", "p_value"):
        assert np.allclose(a[column].astype(float), b[column].astype(float), equal_nan=True), column
    assert len(a) == len(BLOCKS) * len(WINDOWS)  # the map is complete
    daily = a[a["window"] == "D"]
    assert daily["incidents"].sum() == np.float64(len(rows)) or np.isclose(
        daily["incidents"].sum(), len(rows)
    )
    assert np.isclose(daily["risk"].sum(), daily["incidents"].sum())  # smoothing conserves


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=10, deadline=None)
def test_simulation_is_deterministic_for_a_seed(seed):
    from tools.simulate import clustered_points

    first = clustered_points(BLOCKS, 50, seed=seed)
    again = clustered_points(BLOCKS, 50, seed=seed)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
