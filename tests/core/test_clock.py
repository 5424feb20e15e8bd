"""Wall clock <-> real time (hotblocking.clock) against datetime + zoneinfo, minute by minute.

The references here use only the standard library: a reading's first occurrence is zoneinfo's
fold=0 when the reading exists; a skipped reading counts from the first existing reading after
it (found by stepping minute by minute).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotblocking import clock
from hotblocking.errors import HotBlockingError

UTC = dt.UTC
ZONES = [
    "Europe/London",
    "Europe/Helsinki",
    "America/Phoenix",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute daylight saving
    "Asia/Kolkata",  # +05:30, no daylight saving
]


def _ms(value: dt.datetime) -> int:
    return int(np.datetime64(value.replace(tzinfo=None), "ms").astype(np.int64))


def _exists(reading: dt.datetime, tz) -> bool:
    aware = reading.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == reading


def reference_first_instant(reading: dt.datetime, tz) -> dt.datetime:
    """UTC instant of a naive reading: first occurrence, or the end of a gap."""
    while not _exists(reading, tz):
        reading = reading + dt.timedelta(minutes=1)
        reading = reading.replace(second=0, microsecond=0)
    return reading.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)


def _sample_times(tz) -> list[dt.datetime]:
    """Every 5 minutes within a day of each change of 2023-2024, every 7 hours elsewhere."""
    start, days = dt.datetime(2023, 1, 1), 731
    change_days = {
        d
        for d in range(days)
        if (start + dt.timedelta(days=d)).replace(tzinfo=tz).utcoffset()
        != (start + dt.timedelta(days=d + 1)).replace(tzinfo=tz).utcoffset()
    }
    near = sorted({d + k for d in change_days for k in (-1, 0, 1)})
    dense = [start + dt.timedelta(days=d, minutes=5 * k) for d in near for k in range(288)]
    sparse = [start + dt.timedelta(hours=7 * k) for k in range(days * 24 // 7)]
    return dense + sparse


@pytest.mark.parametrize("name", ZONES)
def test_utc_to_local_equals_zoneinfo(name):
    tz = ZoneInfo(name)
    instants = _sample_times(tz)
    expected = [i.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None) for i in instants]
    got = clock.utc_to_local(np.array(instants, dtype="M8[ms]"), name)
    assert (got == np.array(expected, dtype="M8[ms]")).all()


@pytest.mark.parametrize("name", ZONES)
def test_local_to_utc_first_occurrence_and_gap_end(name):
    tz = ZoneInfo(name)
    readings = _sample_times(tz)
    expected = [reference_first_instant(r, tz) for r in readings]
    got = clock.local_to_utc(np.array(readings, dtype="M8[ms]"), name)
    assert (got == np.array(expected, dtype="M8[ms]")).all()


def test_historic_and_far_years_use_the_zone_database():
    tz = ZoneInfo("Europe/London")
    for reading in (
        dt.datetime(1850, 7, 1, 12),
        dt.datetime(1941, 7, 1, 12),
        dt.datetime(2150, 7, 1),
    ):
        got = clock.local_to_utc(np.array([reading], dtype="M8[ms]"), tz)[0]
        assert got == np.datetime64(reference_first_instant(reading, tz), "ms")


def test_nat_stays_nat_and_unknown_zone_is_refused():
    values = np.array(["NaT", "2025-03-30T01:30"], dtype="M8[ms]")
    got = clock.local_to_utc(values, "Europe/London")
    assert np.isnat(got[0]) and got[1] == np.datetime64("2025-03-30T01:00", "ms")
    with pytest.raises(HotBlockingError, match="Unknown time zone"):
        clock.zone("Europe/Lundon")


def test_clock_changes_counted():
    readings = np.array(
        ["2025-03-30T01:30", "2025-10-26T01:30", "2025-10-26T02:00", "2025-06-01T12:00"],
        dtype="M8[ms]",
    )
    changes = clock.clock_changes(readings, "Europe/London")
    assert (changes.ambiguous, changes.nonexistent) == (1, 1)


def test_spans_of_readings_cover_both_autumn_passes_and_no_spring_gap():
    a = np.array(["2025-10-26T01:00", "2025-03-30T01:00", "2025-03-30T01:30"], dtype="M8[ms]")
    b = np.array(["2025-10-26T02:00", "2025-03-30T02:00", "2025-03-30T03:00"], dtype="M8[ms]")
    lo, hi = clock.local_spans_to_utc(a, b, "Europe/London")
    pieces = list(zip(lo.astype(str), hi.astype(str)))
    assert pieces == [
        ("2025-03-30T01:00:00.000", "2025-03-30T02:00:00.000"),  # 02:00-03:00 BST only
        ("2025-10-26T00:00:00.000", "2025-10-26T02:00:00.000"),  # both 01:00 hours
    ]


def test_split_by_offset_cuts_ranges_at_changes():
    s = np.array(["2025-10-25T22:00", "2025-06-01T12:00"], dtype="M8[ms]")
    e = np.array(["2025-10-26T04:00", "NaT"], dtype="M8[ms]")
    row, lo, hi, offset = clock.split_by_offset(s, e, "Europe/London")
    assert row.tolist() == [0, 0, 1]
    assert (hi - lo).tolist() == [3 * 3_600_000, 3 * 3_600_000, 0]
    assert offset.tolist() == [3_600_000, 0, 3_600_000]


def test_far_years_do_not_raise():
    values = np.array(["0225-07-01T12:00", "9999-12-31T23:00"], dtype="M8[ms]")
    assert not np.isnat(clock.utc_to_local(values, "Europe/London")).any()
    assert not np.isnat(clock.local_to_utc(values, "Europe/London")).any()
