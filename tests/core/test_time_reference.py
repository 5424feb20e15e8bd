"""Windows and hour-of-week profiles against a reference written with datetime + zoneinfo only.

Thousands of random records (instants and ranges, minute precision) around four clock changes
(spring and autumn 2024 and 2025, Europe/London). The reference walks each record's real time
minute by minute and asks zoneinfo for each minute's wall-clock reading:

* a window holds a real minute when its reading is inside the window (a set of readings);
* the profile files each real minute under its reading's weekday and hour;
* a recorded reading means its first occurrence; a reading in the spring gap counts from the
  end of the gap.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotblocking.timeline import hour_of_week_profile, window_share
from hotblocking.windows import parse_windows

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
CHANGES = [dt.datetime(2024, 3, 31), dt.datetime(2024, 10, 27), dt.datetime(2025, 3, 30),
           dt.datetime(2025, 10, 26)]  # fmt: skip
WINDOWS = (
    "night=Fri-Sun 22:00-04:00; early=daily 00:30-02:30; repeat=Sun 01:00-02:00; "
    "fold=Sat 21:00-01:30; after=Sun 01:30-03:00"
)
N_RECORDS = 1500


def _first_instant(reading: dt.datetime) -> dt.datetime:
    while (
        reading.replace(tzinfo=LONDON).astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
        != reading
    ):  # a skipped reading: step to the first one that exists
        reading += dt.timedelta(minutes=1)
    return reading.replace(tzinfo=LONDON, fold=0).astimezone(UTC)


def _reading(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(LONDON).replace(tzinfo=None)


def _in_window(reading: dt.datetime, days, start_min, end_min) -> bool:
    minute = reading.hour * 60 + reading.minute
    day = reading.weekday()
    if end_min > start_min:
        return day in days and start_min <= minute < end_min
    return (day in days and minute >= start_min) or ((day - 1) % 7 in days and minute < end_min)


def _real_minutes(start: dt.datetime, end: dt.datetime | None) -> list[dt.datetime]:
    s = _first_instant(start)
    if end is None:
        return [s]
    e = _first_instant(end)
    if e <= s:
        return [s]
    return [s + dt.timedelta(minutes=k) for k in range(int((e - s).total_seconds() // 60))]


def _records(seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(N_RECORDS):
        day = CHANGES[rng.integers(len(CHANGES))] + dt.timedelta(days=int(rng.integers(-2, 2)))
        start = day + dt.timedelta(minutes=int(rng.integers(0, 24 * 60)))
        if rng.random() < 0.3:  # put many right on the changes' hours
            start = day.replace(hour=int(rng.integers(0, 3)), minute=int(rng.integers(0, 60)))
        end = None
        if rng.random() < 0.6:
            end = start + dt.timedelta(minutes=int(rng.integers(1, 8 * 60)))
        out.append((start, end))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_window_shares_equal_reference(seed):
    records = _records(seed)
    starts = np.array([s for s, _ in records], dtype="M8[ms]")
    ends = np.array([e if e else np.datetime64("NaT") for _, e in records], dtype="M8[ms]")
    for window in parse_windows(WINDOWS):
        got = window_share(starts, ends, window)
        days = set(window.days)
        expected = []
        for start, end in records:
            minutes = _real_minutes(start, end)
            inside = sum(
                _in_window(_reading(m), days, window.start_min, window.end_min) for m in minutes
            )
            expected.append(inside / len(minutes))
        np.testing.assert_allclose(got, expected, atol=1e-12, err_msg=window.label)


def test_profiles_equal_reference():
    records = _records(3)
    starts = np.array([s for s, _ in records], dtype="M8[ms]")
    ends = np.array([e if e else np.datetime64("NaT") for _, e in records], dtype="M8[ms]")
    got = hour_of_week_profile(np.arange(len(records)), starts, ends, len(records)).toarray()
    expected = np.zeros_like(got)
    for row, (start, end) in enumerate(records):
        minutes = _real_minutes(start, end)
        for m in minutes:
            reading = _reading(m)
            expected[row, reading.weekday() * 24 + reading.hour] += 1 / len(minutes)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_window_and_profile_agree_on_the_autumn_hour():
    """A range over both passes of 01:00: the Sun 01:00-02:00 window and profile cell agree."""
    starts = np.array(["2025-10-26T00:00"], dtype="M8[ms]")
    ends = np.array(["2025-10-26T03:00"], dtype="M8[ms]")  # 4 real hours
    (window,) = parse_windows("repeat=Sun 01:00-02:00")
    share = window_share(starts, ends, window)[0]
    profile = hour_of_week_profile(np.array([0]), starts, ends, 1).toarray()[0]
    sunday_1am = 6 * 24 + 1
    assert share == pytest.approx(0.5) == pytest.approx(profile[sunday_1am])


def test_spring_gap_time_counts_from_two_oclock():
    starts = np.array(["2025-03-30T01:30"], dtype="M8[ms]")
    (early, late) = parse_windows("before=Sun 00:00-02:00; after=Sun 02:00-03:00")
    assert window_share(starts, starts, early)[0] == 0
    assert window_share(starts, starts, late)[0] == 1
    profile = hour_of_week_profile(np.array([0]), starts, starts, 1).toarray()[0]
    assert profile[6 * 24 + 2] == 1
