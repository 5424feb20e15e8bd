"""Window grammar, error messages, masks and occurrences (hotblocking.windows)."""

import numpy as np
import pytest

from hotblocking.windows import (
    DEFAULT_WINDOWS,
    Window,
    WindowSpecError,
    hour_of_week_label,
    parse_windows,
)


def test_default_window_crosses_midnight():
    (w,) = parse_windows(DEFAULT_WINDOWS)
    assert w.label == "Fri-Sat 22:00-04:00"
    assert w.days == (4, 5)
    assert (w.start_min, w.end_min) == (22 * 60, 4 * 60)
    assert w.crosses_midnight
    assert w.duration_min == 360
    # Fri 22:00 -> Sat 04:00 and Sat 22:00 -> Sun 04:00, as minute-of-week intervals
    assert w.minute_intervals() == [
        (4 * 1440 + 1320, 5 * 1440 + 240),
        (5 * 1440 + 1320, 6 * 1440 + 240),
    ]


def test_days_names_lists_ranges_keywords():
    assert parse_windows("fri,SATURDAY,Mon-Tue 10:00-11:00")[0].days == (0, 1, 4, 5)
    assert parse_windows("Sat-Mon 10:00-11:00")[0].days == (0, 5, 6)  # wraps
    assert parse_windows("Fri-Fri 10:00-11:00")[0].days == (4,)
    assert parse_windows("daily 10:00-11:00")[0].days == tuple(range(7))
    assert parse_windows("weekdays 10:00-11:00")[0].days == (0, 1, 2, 3, 4)
    assert parse_windows("Weekends 10:00-11:00")[0].days == (5, 6)
    assert parse_windows("weekends,Fri 10:00-11:00")[0].days == (4, 5, 6)


def test_labels_whitespace_and_multiple_windows():
    ws = parse_windows(" late = Fri - Sat  22:00 - 24:00 ; Sun 00:00-06:00 ;")
    assert [w.label for w in ws] == ["late", "Sun 00:00-06:00"]
    late, sun = ws
    assert late.days == (4, 5) and late.end_min == 1440 and not late.crosses_midnight
    assert sun.days == (6,) and (sun.start_min, sun.end_min) == (0, 360)
    assert parse_windows(["a=Mon 01:00-02:00", "b=Mon 01:00-02:00"])[1].label == "b"


def test_end_equal_start_is_a_whole_day():
    (w,) = parse_windows("Mon 06:00-06:00")
    assert w.crosses_midnight and w.duration_min == 1440


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        (
            "Fir-Sat 22:00-04:00",
            ['"Fir-Sat 22:00-04:00"', 'unknown day "Fir"', "(did you mean Fri?)"],
        ),
        ("Thursdy 22:00-04:00", ['unknown day "Thursdy"', "did you mean Thu?"]),
        ("dialy 22:00-04:00", ['unknown day "dialy"', "did you mean daily?"]),
        ("Fri 25:00-04:00", ['"Fri 25:00-04:00"', 'bad start time "25:00"', "HH:MM"]),
        ("Fri 22:00-04:60", ['bad end time "04:60"']),
        ("Fri 24:00-04:00", ['start time "24:00"', "only valid as an end time"]),
        ("Fri 22:00", ['"Fri 22:00"', 'bad time range "22:00"', "HH:MM-HH:MM"]),
        ("Fri-Sat", ["missing time range"]),
        ("22:00-04:00", ["missing days"]),
        ("Fri 10pm-4am", ['bad start time "10pm"']),
        ("Fri-Sat-Sun 22:00-04:00", ['bad day range "Fri-Sat-Sun"']),
        ("weekdays-Sat 22:00-04:00", ['"weekdays" cannot be a range end']),
        ("=Fri 22:00-04:00", ['empty label before "="']),
        ("", ["empty window spec", DEFAULT_WINDOWS]),
        ("  ;  ", ["empty window spec"]),
        ("Fri 22:00-04:00;;Sat 22:00-04:00", ["empty window at position 2"]),
        ("a=Fri 22:00-04:00; A=Sat 22:00-04:00", ['duplicate label "A"']),
        ("Fri 22:00-04:00; Fri 22:00-04:00", ['duplicate label "Fri 22:00-04:00"']),
    ],
)
def test_errors_quote_the_bad_part(spec, fragments):
    with pytest.raises(WindowSpecError) as err:
        parse_windows(spec)
    assert isinstance(err.value, ValueError)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_hour_mask_crossing_midnight_and_week_end():
    (w,) = parse_windows(DEFAULT_WINDOWS)
    assert np.flatnonzero(w.hour_mask()).tolist() == [
        118,
        119,
        120,
        121,
        122,
        123,
        142,
        143,
        144,
        145,
        146,
        147,
    ]
    (sun,) = parse_windows("Sun 22:00-02:00")  # wraps into Monday
    assert np.flatnonzero(sun.hour_mask()).tolist() == [0, 1, 166, 167]
    (part,) = parse_windows("Mon 08:30-09:15")  # partial hours count as covered
    assert np.flatnonzero(part.hour_mask()).tolist() == [8, 9]
    assert parse_windows("daily 00:00-24:00")[0].hour_mask().all()


def test_occurrences_are_local_wall_clock():
    (w,) = parse_windows(DEFAULT_WINDOWS)
    starts, ends = w.occurrences("2024-03-01", "2024-03-09")  # 1 March 2024 was a Friday
    assert starts.astype(str).tolist() == [
        "2024-03-01T22:00:00.000",
        "2024-03-02T22:00:00.000",
        "2024-03-08T22:00:00.000",
        "2024-03-09T22:00:00.000",
    ]
    assert (ends - starts == np.timedelta64(6, "h")).all()
    empty = w.occurrences("2024-03-04", "2024-03-07")
    assert empty[0].size == 0


def test_window_validation_and_labels():
    with pytest.raises(ValueError):
        Window("x", (7,), 0, 60)
    with pytest.raises(ValueError):
        Window("x", (1,), 1440, 60)
    assert Window("x", (3, 1, 1), 0, 60).days == (1, 3)
    assert hour_of_week_label(0) == "Mon 00:00-01:00"
    assert hour_of_week_label(145) == "Sun 01:00-02:00"
    assert hour_of_week_label(167) == "Sun 23:00-24:00"
