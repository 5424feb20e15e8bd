"""Which fields hold the incident time (hotblocking.timefields)."""

import pytest

from hotblocking.fieldnames import AmbiguousFieldError
from hotblocking.timefields import detect_time_fields


@pytest.mark.parametrize(
    ("fields", "start", "end"),
    [
        (
            [("committed_from", "datetime"), ("committed_to", "datetime")],
            "committed_from",
            "committed_to",
        ),
        (
            [("committed_from", "text"), ("committed_to", "text"), ("ref", "text")],
            "committed_from",
            "committed_to",
        ),
        ([("date_from", "date"), ("date_to", "date")], "date_from", "date_to"),
        ([("StartTime", "datetime"), ("EndTime", "datetime")], "StartTime", "EndTime"),
        ([("from_date", "text"), ("to_date", "text")], "from_date", "to_date"),
        ([("from", "datetime"), ("to", "datetime")], "from", "to"),
        # ISTV: the assault time, not the arrival at A&E
        (
            [("arrival_datetime", "datetime"), ("assault_datetime", "datetime")],
            "assault_datetime",
            None,
        ),
        # a pair beats a reporting time
        (
            [("reported", "datetime"), ("occurred_from", "datetime"), ("occurred_to", "datetime")],
            "occurred_from",
            "occurred_to",
        ),
        # data.police.uk street-level CSV
        (
            [
                ("Crime ID", "text"),
                ("Month", "text"),
                ("Longitude", "text"),
                ("Crime type", "text"),
            ],
            "Month",
            None,
        ),
        (
            [("call_time", "text"), ("address_from", "text"), ("address_to", "text")],
            "call_time",
            None,
        ),
        ([("first_name", "text"), ("last_name", "text"), ("when", "datetime")], "when", None),
        ([("reported_date", "date")], "reported_date", None),
        ([("ref", "text"), ("n", "other")], None, None),
    ],
)
def test_detected_fields(fields, start, end):
    chosen = detect_time_fields(fields)
    assert (chosen.start, chosen.end) == (start, end)
    assert chosen.reason


def test_reasons_name_what_was_passed_over():
    chosen = detect_time_fields(
        [("arrival_datetime", "datetime"), ("assault_datetime", "datetime")]
    )
    assert "'assault_datetime'" in chosen.reason and "'arrival_datetime'" in chosen.reason
    pair = detect_time_fields([("committed_from", "datetime"), ("committed_to", "datetime")])
    assert "from/to pair" in pair.reason


def test_ambiguous_fields_are_refused():
    with pytest.raises(AmbiguousFieldError):
        detect_time_fields([("call_time", "datetime"), ("incident_time", "datetime")])
    with pytest.raises(AmbiguousFieldError, match="from/to pairs"):
        detect_time_fields(
            [
                ("a_from", "datetime"),
                ("a_to", "datetime"),
                ("b_from", "datetime"),
                ("b_to", "datetime"),
            ]
        )
