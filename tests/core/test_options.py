import pytest

from hotblocking.options import HOT_RULE_DEFAULTS, OptionError, hot_rule_value, parse_source_weights


def test_parses_labels_with_symbols_and_spaces():
    assert parse_source_weights("ambulance=1; A&E = 1;police=0.5") == {
        "ambulance": 1.0,
        "A&E": 1.0,
        "police": 0.5,
    }
    assert parse_source_weights("") == {}
    assert parse_source_weights("a=2\nb=0") == {"a": 2.0, "b": 0.0}


@pytest.mark.parametrize(
    "text, message",
    [
        ("police", "expected LABEL=NUMBER"),
        ("police=half", '"half" is not a number'),
        ("police=-1", "0 or more"),
        ("a=1; a=2", "given twice"),
    ],
)
def test_errors_point_at_the_bad_part(text, message):
    with pytest.raises(OptionError, match=message):
        parse_source_weights(text)


# --- hot-block rule values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("top_n", None, 10.0),
        ("top_length_share", None, 0.05),
        ("significance", None, 0.05),
        ("top_n", 1, 1.0),
        ("top_n", 25.0, 25.0),
        ("top_n", "7", 7.0),  # as a batch cell gives it
        ("top_length_share", 0, 0.0),
        ("top_length_share", 1, 1.0),
        ("top_length_share", 0.1, 0.1),
        ("significance", 0.01, 0.01),
        ("significance", 0.999, 0.999),
    ],
)
def test_hot_rule_value_or_the_rules_own_default(kind, value, expected):
    assert hot_rule_value(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("top_n", 0, "whole number of blocks, 1 or more (got 0)"),
        ("top_n", 2.5, "whole number of blocks, 1 or more (got 2.5)"),
        ("top_n", 0.05, "(got 0.05)"),  # a share left in after switching rule
        ("top_n", float("inf"), "(got inf)"),
        ("top_n", -3, "(got -3)"),
        ("top_length_share", 10, "between 0 and 1, e.g. 0.05 for 5% (got 10)"),
        ("top_length_share", -0.1, "(got -0.1)"),
        ("top_length_share", float("nan"), "(got nan)"),
        ("significance", 10, "above 0 and below 1, e.g. 0.05 (got 10)"),
        ("significance", 0, "(got 0)"),
        ("significance", 1, "(got 1)"),
        ("top_n", "ten", '"ten" is not a number'),
        ("hottest", 1, "unknown hot block rule 'hottest'"),
    ],
)
def test_hot_rule_value_out_of_range_is_refused_with_the_reason(kind, value, message):
    with pytest.raises(OptionError) as error:
        hot_rule_value(kind, value)
    assert message in str(error.value)


def test_every_risk_rule_has_a_default_in_the_same_order():
    from hotblocking.risk import HOT_RULE_KINDS, HotRule

    assert tuple(HOT_RULE_DEFAULTS) == HOT_RULE_KINDS
    for kind in HOT_RULE_KINDS:  # each default is a value the core accepts
        HotRule(kind, hot_rule_value(kind, None))
