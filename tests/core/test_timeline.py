"""Aoristic shares, real durations across DST, hour-of-week profiles (hotblocking.timeline)."""

import numpy as np
import pandas as pd
import pytest

from hotblocking import timeline as tl
from hotblocking.windows import parse_windows

NIGHT = parse_windows("Fri-Sat 22:00-04:00")[0]


def dt(*values):
    return np.array(values, dtype="datetime64[ms]")


def test_range_half_inside_window():
    # Friday 1 March 2024, 21:00-23:00 against 22:00-04:00: half inside
    share = tl.window_share(dt("2024-03-01T21:00"), dt("2024-03-01T23:00"), NIGHT)
    assert share.tolist() == [0.5]


def test_instants_half_open_window_and_missing_time():
    starts = dt(
        "2024-03-01T22:00",
        "2024-03-02T03:59",
        "2024-03-02T04:00",
        "2024-03-03T01:00",
        "2024-03-04T01:00",
        "NaT",
    )
    share = tl.window_share(starts, dt(*["NaT"] * 6), NIGHT)
    # start inside, last minute inside, end excluded, Sat night -> Sun, Mon is outside, no time
    assert share[:5].tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert np.isnan(share[5])


def test_end_equal_or_before_start_is_an_instant():
    starts = dt("2024-03-01T23:00", "2024-03-01T21:00")
    ends = dt("2024-03-01T23:00", "2024-03-01T20:00")
    assert tl.window_share(starts, ends, NIGHT).tolist() == [1.0, 0.0]
    assert tl.reversed_spans(starts, ends).tolist() == [False, True]


def test_range_over_two_occurrences():
    # Fri 20:00 -> Sun 00:00 (28 h): inside Fri 22-Sat 04 (6 h) and Sat 22-24 (2 h)
    share = tl.window_share(dt("2024-03-01T20:00"), dt("2024-03-03T00:00"), NIGHT)
    assert share[0] == pytest.approx(8 / 28, abs=1e-15)


def test_spring_forward_night_lasts_five_real_hours():
    # clocks go 01:00 GMT -> 02:00 BST on Sunday 31 March 2024
    s, e = dt("2024-03-30T20:00"), dt("2024-03-31T02:00")
    assert tl.span_hours(s, e).tolist() == [5.0]
    # inside Sat 22:00 -> Sun 04:00 from 22:00 to 02:00 local = 3 real hours of 5
    assert tl.window_share(s, e, NIGHT)[0] == pytest.approx(0.6, abs=1e-15)
    # nonexistent local times shift forward to the end of the gap
    assert tl.local_to_utc(dt("2024-03-31T01:30")).astype(str).tolist() == [
        "2024-03-31T01:00:00.000"
    ]


def test_autumn_ambiguous_time_is_valid_and_first_occurrence():
    # clocks go 02:00 BST -> 01:00 GMT on Sunday 27 October 2024; 01:30 happens twice
    utc = tl.local_to_utc(dt("2024-10-27T01:30", "2024-10-27T00:30", "2024-10-27T02:30"))
    assert utc.astype(str).tolist() == [
        "2024-10-27T00:30:00.000",  # BST, the first 01:30
        "2024-10-26T23:30:00.000",
        "2024-10-27T02:30:00.000",
    ]
    assert tl.span_hours(dt("2024-10-27T00:00"), dt("2024-10-27T03:00")).tolist() == [4.0]


def test_local_to_utc_matches_zoneinfo_everywhere():
    rng = np.random.default_rng(5)
    base = np.datetime64("2023-01-01T00:00", "ms")
    t = base + rng.integers(0, 2 * 365 * 24 * 60, 20_000).astype("timedelta64[m]")
    t = np.concatenate(
        [
            t,
            dt(
                "2023-03-26T00:59",
                "2023-03-26T01:00",
                "2023-03-26T02:00",
                "2023-10-29T00:59",
                "2023-10-29T01:00",
                "2023-10-29T01:59",
                "2023-10-29T02:00",
                "NaT",
            ),
        ]
    )
    ok = ~np.isnat(t)
    exact = (
        pd.DatetimeIndex(t[ok])
        .tz_localize(tl.LONDON, ambiguous=np.ones(ok.sum(), bool), nonexistent="shift_forward")
        .tz_convert("UTC")
        .tz_localize(None)
        .to_numpy()
        .astype("datetime64[ms]")
    )
    got = tl.local_to_utc(t)
    assert (got[ok] == exact).all()
    assert np.isnat(got[~ok]).all()


def test_long_spans_and_period():
    s = dt("2024-01-01T00:00", "2024-01-01T00:00", "NaT")
    e = dt("2024-01-04T00:00", "2024-01-04T00:01", "NaT")
    assert tl.long_spans(s, e).tolist() == [False, True, False]
    assert tl.long_spans(s, e, max_hours=24).tolist() == [True, True, False]
    starts = dt(
        "2023-12-31T23:59", "2024-01-01T00:00", "2024-01-31T23:59", "2024-02-01T00:00", "NaT"
    )
    assert tl.in_period(starts, "2024-01-01", "2024-01-31").tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert tl.in_period(starts).tolist() == [True] * 5
    assert tl.in_period(starts, period_end="2024-01-31").tolist() == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_window_share_period_limits_occurrences():
    s = dt("2024-03-01T23:00", "2024-03-08T23:00")
    e = dt("NaT", "NaT")
    assert tl.window_share(s, e, NIGHT, period_start="2024-03-05").tolist() == [0.0, 1.0]


def test_interval_share_against_explicit_intervals():
    occ_a = dt("2024-01-01T10:00", "2024-01-01T14:00")
    occ_b = dt("2024-01-01T12:00", "2024-01-01T15:00")
    s = dt("2024-01-01T09:00", "2024-01-01T11:00", "2024-01-01T15:00", "2024-01-01T13:00")
    e = dt("2024-01-01T16:00", "NaT", "NaT", "2024-01-01T14:00")
    # 9-16 covers 2 h + 1 h of 7 h; instant at 11 inside; at 15 outside (half-open); 13-14 none
    got = tl.interval_share(s, e, occ_a, occ_b)
    assert got[0] == pytest.approx(3 / 7, abs=1e-15)
    assert got[1:].tolist() == [1.0, 0.0, 0.0]


def test_hour_of_week_profile_exact():
    starts = dt(
        "2024-03-01T21:00", "2024-03-01T23:10", "2024-03-30T20:00", "2024-10-27T00:00", "NaT"
    )
    ends = dt("2024-03-01T23:00", "NaT", "2024-03-31T02:00", "2024-10-27T03:00", "NaT")
    blocks = np.array([0, 0, 1, 2, 0])
    p = tl.hour_of_week_profile(blocks, starts, ends, n_blocks=3).toarray()
    assert p.shape == (3, 168)
    # block 0: Fri 21-23 range half in cells 117/118; Fri 23:10 instant in 119
    assert {i: v for i, v in enumerate(p[0]) if v} == {117: 0.5, 118: 0.5, 119: 1.0}
    # block 1: spring night, five real hours Sat 20..Sun 00 (local 01:00 does not exist)
    assert {i: v for i, v in enumerate(p[1]) if v} == pytest.approx(
        {140: 0.2, 141: 0.2, 142: 0.2, 143: 0.2, 144: 0.2}
    )
    # block 2: autumn night, four real hours; local 01:00-02:00 happens twice
    assert {i: v for i, v in enumerate(p[2]) if v} == {144: 0.25, 145: 0.5, 146: 0.25}
    assert p.sum() == pytest.approx(4.0)


def test_hour_of_week_index():
    assert tl.hour_of_week(dt("2024-03-04T00:30", "2024-03-10T23:59", "NaT")).tolist() == [
        0,
        167,
        -1,
    ]
