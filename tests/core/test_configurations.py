"""computerisk configurations as analysts write them for the backtest."""

from __future__ import annotations

import pytest

from hotblocking.configurations import (
    RISK_DEFAULTS,
    parse_configurations,
    parse_levels,
    parse_numbers,
    search_grid,
)
from hotblocking.errors import OptionError


def test_labels_settings_and_defaults():
    configurations = parse_configurations(
        "smoothed: BANDWIDTH=150, HALF_LIFE_DAYS=180, USE_HARM=yes; plain:\n"
        "unmerged: merge_minutes=0, MERGE_REPEATS=no"
    )
    assert [c.label for c in configurations] == ["smoothed", "plain", "unmerged"]
    smoothed, plain, unmerged = (c.settings for c in configurations)
    assert smoothed == {
        **RISK_DEFAULTS,
        "bandwidth_m": 150.0,
        "half_life_days": 180.0,
        "use_harm": True,
    }
    assert plain == RISK_DEFAULTS
    assert plain["merge_minutes"] == 30.0 and plain["merge_repeats"] is True  # as computerisk
    assert unmerged["merge_minutes"] == 0.0 and unmerged["merge_repeats"] is False


def test_a_configuration_without_a_label_is_named_after_what_it_sets():
    (only,) = parse_configurations("BANDWIDTH=100")
    assert only.label == "BANDWIDTH=100"
    assert only.text == "BANDWIDTH=100, HALF_LIFE_DAYS=0, USE_HARM=no, MERGE_MINUTES=30, " \
        "MERGE_REPEATS=yes"  # fmt: skip


def test_source_weights_are_quoted_because_they_hold_separators():
    (weighted,) = parse_configurations(
        'half police: SOURCE_WEIGHTS="police=0.5; A&E=1", USE_HARM=1'
    )
    assert weighted.settings["source_weights"] == {"police": 0.5, "A&E": 1.0}
    assert weighted.settings["use_harm"] is True
    assert 'SOURCE_WEIGHTS="police=0.5; A&E=1"' in weighted.text


def test_empty_text_gives_no_configuration():
    assert parse_configurations("") == [] and parse_configurations(" ;\n ; ") == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: BANDWITH=150", 'unknown setting "BANDWITH"; known: BANDWIDTH, HALF_LIFE_DAYS'),
        ("a: BANDWIDTH=wide", 'BANDWIDTH needs a number, not "wide"'),
        ("a: BANDWIDTH=-5", "BANDWIDTH needs a number of 0 or more, not -5"),
        ("a: HALF_LIFE_DAYS=nan", "HALF_LIFE_DAYS needs a number of 0 or more"),
        ("a: USE_HARM=maybe", 'USE_HARM is yes or no, not "maybe"'),
        ("a: BANDWIDTH 150", '"BANDWIDTH 150" is not NAME=VALUE'),
        ("a: BANDWIDTH=1, BANDWIDTH=2", "BANDWIDTH is given twice"),
        ("a: BANDWIDTH=1; a: BANDWIDTH=2", 'configuration "a" is given twice'),
        ('a: SOURCE_WEIGHTS="police=x"', 'SOURCE_WEIGHTS: source weight "police=x"'),
        ('a: SOURCE_WEIGHTS="police=1', "an opening quote is never closed"),
    ],
)
def test_bad_configurations_are_refused_saying_which_and_why(text, words):
    with pytest.raises(OptionError) as error:
        parse_configurations(text)
    assert words in str(error.value)


def test_search_grid_every_pair_from_the_smallest():
    grid = search_grid([100, 0, 50], [180, 0])
    assert [c.label for c in grid] == [
        "search: BANDWIDTH=0, HALF_LIFE_DAYS=0",
        "search: BANDWIDTH=0, HALF_LIFE_DAYS=180",
        "search: BANDWIDTH=50, HALF_LIFE_DAYS=0",
        "search: BANDWIDTH=50, HALF_LIFE_DAYS=180",
        "search: BANDWIDTH=100, HALF_LIFE_DAYS=0",
        "search: BANDWIDTH=100, HALF_LIFE_DAYS=180",
    ]
    assert grid[3].settings == {**RISK_DEFAULTS, "bandwidth_m": 50.0, "half_life_days": 180.0}
    assert [c.settings["bandwidth_m"] for c in search_grid([], [90])] == [0.0]


def test_numbers_and_levels():
    assert parse_numbers("150, 0;50, 50", "bandwidths") == [0.0, 50.0, 150.0]
    assert parse_numbers("", "bandwidths") == []
    assert parse_levels("1, 2, 5, 10, 20") == (0.01, 0.02, 0.05, 0.10, 0.20)
    for bad, words in (("", "at least one"), ("0", "above 0"), ("150", "at most 100")):
        with pytest.raises(OptionError, match=words):
            parse_levels(bad)
    with pytest.raises(OptionError, match='bandwidths needs a number, not "x"'):
        parse_numbers("1, x", "bandwidths")
