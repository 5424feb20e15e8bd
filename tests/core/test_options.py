import pytest

from hotblocking.options import OptionError, parse_source_weights


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
