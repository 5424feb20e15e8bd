"""Incident time parsing and checks (hotblocking.timeparse)."""

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from hotblocking.timeparse import ParsedTimes, parse_times, validate_times


def _one(value, fmt=None) -> tuple:
    p = parse_times(np.array([value], dtype=object), fmt=fmt)
    return p.times[0], p.reason[0], bool(p.is_null[0]), bool(p.date_only[0])


def T(s: str) -> np.datetime64:
    return np.datetime64(s, "ms")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-21 23:15", "2026-11-21T23:15"),
        ("2026-11-21T23:15:00", "2026-11-21T23:15:00"),
        ("2026-11-21 23:15:07", "2026-11-21T23:15:07"),
        ("2026-11-21T23:15:00.123", "2026-11-21T23:15:00.123"),
        ("2026-11-21T23:15:00.5", "2026-11-21T23:15:00.500"),
        ("2026-11-21T23:15:00.123456", "2026-11-21T23:15:00.123"),  # truncated to ms
        ("2026-11-21T23:15:00,25", "2026-11-21T23:15:00.250"),
        ("2026-11-21t23:15", "2026-11-21T23:15"),
        ("2026/11/21 23:15", "2026-11-21T23:15"),
        ("2026-1-5 7:05", "2026-01-05T07:05"),
        ("21/11/2026 23:15", "2026-11-21T23:15"),
        ("21/11/2026 23:15:00", "2026-11-21T23:15"),
        ("21-11-2026 23:15:00", "2026-11-21T23:15"),
        ("21.11.2026 23:15", "2026-11-21T23:15"),
        ("3/4/2026 9:05", "2026-04-03T09:05"),
        ("21/11/2026 23:15:00.250", "2026-11-21T23:15:00.250"),
        ("  21/11/2026   23:15 ", "2026-11-21T23:15"),  # stray white space
        ("29/02/2028 00:00", "2028-02-29T00:00"),
    ],
)
def test_date_time_forms(text, expected):
    t, reason, null, date_only = _one(text)
    assert t == T(expected)
    assert reason is None and not null and not date_only


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-21", "2026-11-21"),
        ("21/11/2026", "2026-11-21"),
        ("21-11-2026", "2026-11-21"),
        ("21.11.2026", "2026-11-21"),
        ("03/04/2026", "2026-04-03"),  # 3 April: day first, never month first
        ("12/01/2026", "2026-01-12"),
    ],
)
def test_date_only_forms_are_midnight_and_flagged(text, expected):
    t, reason, null, date_only = _one(text)
    assert t == T(expected + "T00:00")
    assert reason is None and not null and date_only


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-07-01T12:00:00Z", "2026-07-01T13:00"),  # BST
        ("2026-01-01T12:00:00Z", "2026-01-01T12:00"),  # GMT
        ("2026-07-01T12:00:00z", "2026-07-01T13:00"),
        ("2026-07-01 12:00Z", "2026-07-01T13:00"),
        ("2026-07-01T12:00:00+01:00", "2026-07-01T12:00"),
        ("2026-07-01T12:00:00+0100", "2026-07-01T12:00"),
        ("2026-07-01T12:00:00+01", "2026-07-01T12:00"),
        ("2026-01-01T12:00:00+01:00", "2026-01-01T11:00"),
        ("2026-07-01T08:00:00-04:00", "2026-07-01T13:00"),
        ("2026-01-01T12:00:00.750+05:30", "2026-01-01T06:30:00.750"),
        ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30"),  # crosses the year
        # autumn change 2026-10-25: 01:00 UTC 02:00 BST -> 01:00 GMT; 01:30 happens twice
        ("2026-10-25T00:30:00Z", "2026-10-25T01:30"),
        ("2026-10-25T01:30:00Z", "2026-10-25T01:30"),
        ("2026-10-25T00:59:59Z", "2026-10-25T01:59:59"),
        ("2026-10-25T01:00:00Z", "2026-10-25T01:00"),
        # spring change 2026-03-29: 01:00 UTC, 01:00 GMT -> 02:00 BST
        ("2026-03-29T00:59:00Z", "2026-03-29T00:59"),
        ("2026-03-29T01:00:00Z", "2026-03-29T02:00"),
    ],
)
def test_offsets_become_london_wall_clock(text, expected):
    t, reason, null, date_only = _one(text)
    assert t == T(expected)
    assert reason is None and not null and not date_only


def test_wall_clock_values_across_clock_changes_kept_as_written():
    # without an offset the value is wall-clock: the repeated autumn hour and the
    # skipped spring hour are kept as written
    p = parse_times(np.array(["2026-10-25 01:30", "25/10/2026 01:30:00", "2026-03-29 01:30"]))
    assert p.times.tolist() == [
        dt.datetime(2026, 10, 25, 1, 30),
        dt.datetime(2026, 10, 25, 1, 30),
        dt.datetime(2026, 3, 29, 1, 30),
    ]
    assert p.ok.all()


def test_historic_offset_uses_the_rules_of_the_time():
    # 1995: BST ended on 22 October (EU rules from 1996 end it in the last week)
    assert _one("1995-10-20T12:00:00Z")[0] == T("1995-10-20T13:00")
    assert _one("1995-10-23T12:00:00Z")[0] == T("1995-10-23T12:00")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("abc", "unreadable time 'abc'"),
        ("11/21/2026", "unreadable time '11/21/2026' (dates are read day first: DD/MM/YYYY)"),
        (
            "12/13/2026 10:00",
            "unreadable time '12/13/2026 10:00' (dates are read day first: DD/MM/YYYY)",
        ),
        ("31/02/2026", "unreadable time '31/02/2026' (no such date or time)"),
        ("29/02/2026 10:00", "unreadable time '29/02/2026 10:00' (no such date or time)"),
        ("2026-11-21 24:00", "unreadable time '2026-11-21 24:00' (no such date or time)"),
        ("2026-11-21 23:60", "unreadable time '2026-11-21 23:60' (no such date or time)"),
        ("2026-13-01", "unreadable time '2026-13-01' (no such date or time)"),
        ("0000-01-01", "unreadable time '0000-01-01' (no such date or time)"),
        ("21/11/2026 23:15+01:00", "unreadable time '21/11/2026 23:15+01:00'"),
        ("21/11-2026", "unreadable time '21/11-2026'"),
        ("2026-13", "unreadable time '2026-13' (no such date or time)"),
        ("11/2026", "unreadable time '11/2026'"),
        ("2026-11-21 23", "unreadable time '2026-11-21 23'"),
        ("2026-11-21 23:5", "unreadable time '2026-11-21 23:5'"),
        ("21/11/26", "unreadable time '21/11/26'"),
        ("x2026-11-21", "unreadable time 'x2026-11-21'"),
        ("2026-11-21 23:15 extra", "unreadable time '2026-11-21 23:15 extra'"),
        (
            "2026-11-21T23:15:00+25:00",
            "unreadable time '2026-11-21T23:15:00+25:00' (no such date or time)",
        ),
        ("Ｘ2026-11-21", "unreadable time 'Ｘ2026-11-21'"),
        ("2" * 70, "unreadable time '" + "2" * 40 + "...'"),
    ],
)
def test_unreadable_reasons(text, reason):
    t, got, null, date_only = _one(text)
    assert np.isnat(t)
    assert got == reason
    assert not null and not date_only


@pytest.mark.parametrize("value", [None, "", "   ", "NULL", "null", "NaN", "None", np.nan, pd.NaT])
def test_nulls_are_not_errors(value):
    t, reason, null, date_only = _one(value)
    assert np.isnat(t) and reason is None and null and not date_only


def test_explicit_format_overrides_detection():
    p = parse_times(
        np.array(["20261121 2315", "21/11/2026 23:15", "", None], dtype=object), "%Y%m%d %H%M"
    )
    assert p.times[0] == T("2026-11-21T23:15")
    assert np.isnat(p.times[1])
    assert p.reason[1] == "unreadable time '21/11/2026 23:15' (expected format %Y%m%d %H%M)"
    assert p.is_null.tolist() == [False, False, True, True]
    assert not p.date_only.any()
    # a format can be month first when the user says so
    assert _one("11/21/2026", fmt="%m/%d/%Y")[0] == T("2026-11-21")
    assert _one("11/21/2026", fmt="%m/%d/%Y")[3]  # date only
    # a %z format makes instants
    assert _one("2026-07-01 12:00 +0000", fmt="%Y-%m-%d %H:%M %z")[0] == T("2026-07-01T13:00")


def test_datetime64_input_any_unit():
    ns = np.array(["2026-11-21T23:15:00.123456789", "NaT"], dtype="M8[ns]")
    p = parse_times(ns)
    assert p.times.dtype == np.dtype("M8[ms]")
    assert p.times[0] == T("2026-11-21T23:15:00.123")
    assert p.is_null.tolist() == [False, True]
    assert p.reason.tolist() == [None, None]
    assert not p.date_only.any()
    d = parse_times(np.array(["2026-11-21", "NaT"], dtype="M8[D]"))
    assert d.date_only.tolist() == [True, False]
    assert parse_times(np.array(["2026-11-21T23:15"], dtype="M8[s]")).times[0] == T(
        "2026-11-21T23:15"
    )


def test_python_objects_and_mixed_arrays():
    london = dt.timezone(dt.timedelta(hours=1))
    values = np.array(
        [
            dt.datetime(2026, 5, 5, 10, 30),
            dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC),
            dt.datetime(2026, 7, 1, 12, tzinfo=london),
            dt.date(2026, 5, 5),
            pd.Timestamp("2026-11-21 23:15"),
            np.datetime64("2026-11-21T23:15"),
            "21/11/2026 23:15",
            None,
            42,
            dt.time(10, 0),
        ],
        dtype=object,
    )
    p = parse_times(values)
    assert p.times[:7].tolist() == [
        dt.datetime(2026, 5, 5, 10, 30),
        dt.datetime(2026, 7, 1, 13, 0),
        dt.datetime(2026, 7, 1, 12, 0),
        dt.datetime(2026, 5, 5),
        dt.datetime(2026, 11, 21, 23, 15),
        dt.datetime(2026, 11, 21, 23, 15),
        dt.datetime(2026, 11, 21, 23, 15),
    ]
    assert p.date_only.tolist() == [False, False, False, True] + [False] * 6
    assert p.is_null.tolist() == [False] * 7 + [True, False, False]
    assert p.reason[8] == "unreadable time '42'"
    assert p.reason[9] == "unreadable time '10:00:00'"
    assert p.ok.tolist() == [True] * 7 + [False] * 3


def test_homogeneous_object_arrays():
    naive = np.array([dt.datetime(2026, 1, 1, 8), None, dt.datetime(1500, 1, 1)], dtype=object)
    p = parse_times(naive)
    assert p.times[0] == T("2026-01-01T08:00")
    assert p.times[2] == T("1500-01-01T00:00")  # outside pandas' ns range, still read
    assert p.is_null.tolist() == [False, True, False]
    dates = parse_times(np.array([dt.date(2026, 1, 2), dt.date(2026, 1, 3)], dtype=object))
    assert dates.date_only.all() and dates.times[1] == T("2026-01-03")
    aware = parse_times(np.array([dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)] * 2, dtype=object))
    assert (aware.times == T("2026-07-01T13:00")).all()


def test_pandas_inputs():
    s = pd.Series(["2026-07-01T12:00:00Z", None, pd.NA], dtype="string")
    p = parse_times(s)
    assert p.times[0] == T("2026-07-01T13:00") and p.is_null.tolist() == [False, True, True]
    aware = pd.Series(pd.to_datetime(["2026-07-01 12:00", "2026-01-01 12:00"]).tz_localize("UTC"))
    assert parse_times(aware).times.tolist() == [
        dt.datetime(2026, 7, 1, 13),
        dt.datetime(2026, 1, 1, 12),
    ]
    assert (
        parse_times(["21/11/2026", "2026-11-21"]).times.tolist() == [dt.datetime(2026, 11, 21)] * 2
    )


def test_unicode_and_empty_inputs():
    u = np.array(["21/11/2026 23:15", "", "2026-11-21"])
    p = parse_times(u)
    assert p.times[0] == T("2026-11-21T23:15") and p.is_null.tolist() == [False, True, False]
    e = parse_times(np.array([], dtype=object))
    assert isinstance(e, ParsedTimes) and e.times.shape == (0,) and e.times.dtype == "M8[ms]"
    with pytest.raises(ValueError):
        parse_times(np.array([["2026-11-21"]]))


def test_many_layouts_in_one_column_match_one_by_one_parsing():
    rng = np.random.default_rng(3)
    n = 20_000
    base = T("2019-01-01") + rng.integers(0, 7 * 365 * 86400, n).astype("m8[s]")
    idx = pd.DatetimeIndex(base)
    forms = {
        "%d/%m/%Y %H:%M:%S": idx.strftime("%d/%m/%Y %H:%M:%S"),
        "%Y-%m-%dT%H:%M:%S": idx.strftime("%Y-%m-%dT%H:%M:%S"),
        "%d.%m.%Y %H:%M:%S": idx.strftime("%d.%m.%Y %H:%M:%S"),
        "unpadded": [f"{t.day}/{t.month}/{t.year} {t.hour}:{t:%M:%S}" for t in idx],
    }
    which = rng.integers(0, len(forms), n)
    text = np.array([list(forms.values())[w][i] for i, w in enumerate(which)], dtype=object)
    text[rng.random(n) < 0.05] = "rubbish"
    text[rng.random(n) < 0.05] = ""
    p = parse_times(text)
    good = (text != "rubbish") & (text != "")
    assert (p.times[good] == base[good].astype("M8[ms]")).all()
    assert np.isnat(p.times[~good]).all()
    assert p.is_null.tolist() == (text == "").tolist()
    assert (p.reason[text == "rubbish"] == "unreadable time 'rubbish'").all()


def test_parse_timing_200k_and_2m_printed():
    rng = np.random.default_rng(0)
    for n in (200_000, 2_000_000):
        base = T("2020-01-01") + rng.integers(0, 5 * 365 * 86400, n).astype("m8[s]")
        text = np.asarray(pd.DatetimeIndex(base).strftime("%d/%m/%Y %H:%M:%S"), dtype=object)
        t = time.perf_counter()
        p = parse_times(text)
        elapsed = time.perf_counter() - t
        print(f"\nparse_times: {n} day-first strings in {elapsed:.2f} s")
        assert (p.times == base.astype("M8[ms]")).all()


def test_validate_times():
    times = np.array(
        ["2026-11-21T10:00", "2026-11-21T12:00:01", "1989-12-31T23:59", "1990-01-01", "NaT"],
        dtype="M8[ms]",
    )
    now = dt.datetime(2026, 11, 21, 12, 0)
    assert validate_times(times, now).tolist() == [
        None,
        "time in the future",
        "time before 1990-01-01",
        None,
        None,
    ]
    # now given as an aware instant is compared in London wall-clock (12:00Z is 12:00 GMT)
    aware_now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    assert validate_times(times, aware_now)[1] == "time in the future"
    assert validate_times(times, "2026-11-21 13:00", earliest=dt.date(2000, 1, 1)).tolist() == [
        None,
        None,
        "time before 2000-01-01",
        "time before 2000-01-01",
        None,
    ]
    late = validate_times(times, np.datetime64("2030-01-01"), earliest="21/11/2026 11:00")
    assert late.tolist() == ["time before 21/11/2026 11:00", None] + [
        "time before 21/11/2026 11:00"
    ] * 2 + [None]


def test_free_text_column_with_hundreds_of_shapes():
    # more shapes than the per-shape path takes: fields are gathered row by row
    junk = [f"note {'x' * (i % 40)}{'-' * (i // 40)}" for i in range(600)]
    good = ["21/11/2026 23:15", "3/4/2026 9:05:07", "2026-11-21T23:15:00.5Z", "2026-11-21"]
    text = np.array(junk + good * 50, dtype=object)
    p = parse_times(text)
    assert np.isnat(p.times[:600]).all() and (p.reason[:600] != None).all()  # noqa: E711
    expected = np.array(
        ["2026-11-21T23:15", "2026-04-03T09:05:07", "2026-11-21T23:15:00.5", "2026-11-21"] * 50,
        dtype="M8[ms]",
    )
    assert (p.times[600:] == expected).all()
    assert p.date_only[600:].tolist() == [False, False, False, True] * 50


def test_shape_hash_collision_is_caught(monkeypatch):
    from hotblocking import timeparse

    real = timeparse._shape_keys

    def colliding(c):
        keys = real(c).copy()
        keys[:, 0] = 0  # every row claims the same shape; the second hash tells them apart
        return keys

    monkeypatch.setattr(timeparse, "_shape_keys", colliding)
    p = parse_times(np.array(["21/11/2026 23:15", "2026-11-21T23:15:00Z", "3/4/2026", "bad"]))
    assert p.times[:3].tolist() == [
        dt.datetime(2026, 11, 21, 23, 15),
        dt.datetime(2026, 11, 21, 23, 15),
        dt.datetime(2026, 4, 3),
    ]
    assert p.reason[3] == "unreadable time 'bad'"


def test_extreme_years_do_not_fail():
    p = parse_times(
        np.array(
            [
                "2500-07-01T12:00:00Z",  # zoneinfo's rule for the far future: BST
                "1700-07-01T12:00:00Z",  # London mean time, -0:01:15
                "0001-01-01T00:00:00+01:00",
                "9999-12-31T23:59:59-05:00",
            ]
        )
    )
    assert p.ok.all()
    assert p.times[0] == T("2500-07-01T13:00")
    assert p.times[1] == T("1700-07-01T11:58:45")
    reasons = validate_times(p.times, dt.datetime(2026, 1, 1))
    future, early = "time in the future", "time before 1990-01-01"
    assert reasons.tolist() == [future, early, early, future]


def test_months_are_read_natively_as_month_precision():
    """data.police.uk's Month column: a whole month, flagged, no format needed."""
    parsed = parse_times(
        np.array(["2018-07", "2018/12", " 2019-01 ", "2018-07-14", None], dtype=object)
    )
    assert parsed.times[:3].astype(str).tolist() == [
        "2018-07-01T00:00:00.000",
        "2018-12-01T00:00:00.000",
        "2019-01-01T00:00:00.000",
    ]
    assert parsed.month_only.tolist() == [True, True, True, False, False]
    assert parsed.date_only.tolist() == [False, False, False, True, False]
    with_format = parse_times(np.array(["07-2018"], dtype=object), fmt="%m-%Y")
    assert with_format.month_only.tolist() == [True] and not with_format.date_only[0]
    typed = parse_times(np.array(["2018-07"], dtype="M8[M]"))
    assert typed.month_only.tolist() == [True]
