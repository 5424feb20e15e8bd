"""The brief's and the dock's wordings (hotblocking.wording)."""

import pytest

from hotblocking.emerging import PATTERNS
from hotblocking.windows import parse_windows, whole_period_window
from hotblocking.wording import (
    MIN_EVENTS_FOR_TESTS,
    PATTERN_WORDS,
    describe_window,
    format_minute,
    format_visit,
    pattern_words,
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


def test_significance_in_plain_words_with_q():
    allowing = "even allowing for every block tested"
    assert significance_words(1e-9, 1e-7) == (
        f"far more than its length predicts (q < 0.001): very unlikely to be chance, {allowing}"
    )
    assert significance_words(0.001, 0.005) == (
        f"far more than its length predicts (q = 0.005): unlikely to be chance, {allowing}"
    )
    assert significance_words(0.01, 0.03, ratio=2.34) == (
        f"more than its length predicts (2.3 × expected; q = 0.03): probably not chance, {allowing}"
    )
    assert significance_words(1e-9, 1e-7, ratio=19.2).startswith(
        "far more than its length predicts (19 × expected; q < 0.001)"
    )
    assert significance_words(0.01, 0.2) == (
        "more than its length predicts on its own (p = 0.01), but not once every block is "
        "tested (q = 0.2): could be chance"
    )
    assert (
        significance_words(0.4, 0.9)
        == "no more than its length predicts: could be chance (q = 0.9)"
    )
    assert significance_words(float("nan"), float("nan")).startswith("not tested")


def test_significance_is_withheld_below_the_minimum_count():
    assert MIN_EVENTS_FOR_TESTS == 5
    # 3 events on a short block: p tiny, but nothing is claimed
    assert significance_words(1e-6, 1e-5, ratio=40.0, events=3) == (
        "not tested: too few incidents of its own (under 5) to tell"
    )
    assert significance_words(1.0, 1.0, events=0) == (
        "not tested: no incident of its own in this window"
    )
    assert significance_words(1e-6, 1e-5, events=5).startswith("far more")


def test_trend_words_carry_their_uncertainty_and_are_withheld_without_a_word():
    assert trend_words("rising", 0.012) == (
        "rising (Mann-Kendall p = 0.012: with no real change, a trend this clear comes about "
        "1 time in 83)"
    )
    assert trend_words("falling", 0.0004).endswith("less than 1 time in 1,000)")
    assert trend_words("no clear trend", 0.4) == (
        "no clear trend (p = 0.4: ups and downs this size are common by chance)"
    )
    # computerisk writes NULL below its minimum count: no word, no ratio, no "falling (0.0x)"
    for missing in (None, float("nan"), ""):
        assert trend_words(missing, 0.03) == "not given: too few incidents to tell"


def test_pattern_words():
    assert pattern_words("persistent") == "persistent: hot in almost every period"
    assert pattern_words("new") == "new: hot in the latest period only"
    assert pattern_words(None) == "not given: too few incidents to tell"
    assert set(PATTERN_WORDS) == set(PATTERNS)  # every class computerisk writes


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


def test_a_whole_period_window_has_no_hours_to_describe():
    assert describe_window(whole_period_window("all")) == "the whole period, any time of day"
    assert describe_window(parse_windows("Police months=all")[0]) == (
        "the whole period, any time of day"
    )


def test_source_title_capitalises_only_the_first_letter():
    assert [source_title(s) for s in ("ambulance", "A&E", "police", "")] == [
        "Ambulance",
        "A&E",
        "Police",
        "",
    ]
