"""The brief's and the dock's wordings (hotblocking.wording)."""

import pytest

from hotblocking.windows import parse_windows
from hotblocking.wording import (
    describe_window,
    format_minute,
    format_visit,
    significance_words,
    source_title,
    trend_words,
)


def test_formatting_of_times():
    assert format_minute(4 * 1440 + 23 * 60 + 10) == "Fri 23:10"
    assert format_visit((4 * 1440 + 23 * 60 + 10, 4 * 1440 + 23 * 60 + 25)) == "Fri 23:10-23:25"
    assert format_visit((4 * 1440 + 23 * 60 + 45, 5 * 1440)) == "Fri 23:45-24:00"
    assert format_visit((4 * 1440 + 23 * 60 + 55, 5 * 1440 + 10)) == "Fri 23:55-00:10"
    assert format_minute(7 * 1440 + 30) == "Mon 00:30"  # past Sunday night


def test_wording():
    assert significance_words(1e-9, 1e-7) == "far more than its length predicts (q < 0.001)"
    assert significance_words(0.001, 0.005) == "far more than its length predicts (q < 0.01)"
    assert significance_words(0.01, 0.03) == "more than its length predicts (q < 0.05)"
    assert "could be chance" in significance_words(0.01, 0.2)
    assert significance_words(float("nan"), float("nan")).startswith("not tested")
    assert (
        significance_words(1e-9, 1e-7, ratio=19.2)
        == "far more than its length predicts (19 × expected; q < 0.001)"
    )
    assert (
        significance_words(0.01, 0.03, ratio=2.34)
        == "more than its length predicts (2.3 × expected; q < 0.05)"
    )
    assert trend_words(1.5) == "rising (recent rate 1.5 × the earlier rate)"
    assert trend_words(0.5).startswith("falling") and trend_words(1.0).startswith("steady")
    assert trend_words(float("nan"), 3).startswith("new")


@pytest.mark.parametrize(
    "spec, words",
    [
        ("Fri-Sat 22:00-04:00", "Fri and Sat, 22:00 to 04:00 next day"),
        ("weekdays 11:00-15:00", "Mon to Fri, 11:00 to 15:00"),
        ("Mon,Wed,Fri 18:00-24:00", "Mon, Wed and Fri, 18:00 to 24:00"),
        ("daily 00:00-24:00", "every day, all day"),
        ("Sun 23:00-00:00", "Sun, 23:00 to 24:00"),
        ("Thu-Sat 21:00-03:00", "Thu to Sat, 21:00 to 03:00 next day"),
    ],
)
def test_describe_window(spec, words):
    assert describe_window(parse_windows(spec)[0]) == words


def test_source_title_capitalises_only_the_first_letter():
    assert [source_title(s) for s in ("ambulance", "A&E", "police", "")] == [
        "Ambulance",
        "A&E",
        "Police",
        "",
    ]
