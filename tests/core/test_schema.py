"""The declared outputs and their encodings (hotblocking.schema)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from hotblocking import schema
from hotblocking.errors import ProfileError


def test_every_field_has_a_known_kind_and_a_meaning():
    for output in schema.OUTPUTS:
        names = [f.name for f in output.fields]
        assert len(names) == len(set(names)), output.table
        for f in output.fields:
            assert f.kind in schema.FIELD_KINDS and f.meaning, (output.table, f.name)


def test_hot_blocks_names_put_the_source_columns_after_incidents():
    names = schema.HOT_BLOCKS.names(["n_a_e", "n_police"])
    assert names[:9] == [
        "block_id",
        "link_id",
        "name",
        "description",
        "window",
        "window_spec",
        "incidents",
        "n_a_e",
        "n_police",
    ]
    assert names[-1] == "sources"
    assert schema.HOT_BLOCKS.field("n_a_e").kind == schema.REAL
    with pytest.raises(KeyError):
        schema.HOT_BLOCKS.field("nothing")


def test_source_column_slugs():
    assert schema.source_column("A&E") == "n_a_e"
    assert schema.source_column("Ambulance (LAS)") == "n_ambulance_las"
    assert schema.source_column("&&") == "n_unknown"
    assert schema.source_columns(["A&E", "a e", "A+E"]) == {
        "A&E": "n_a_e",
        "a e": "n_a_e_2",
        "A+E": "n_a_e_3",
    }


@pytest.mark.parametrize(
    "labels",
    [
        ["ambulance", "A&E", "police"],
        ["a=b", "c;d", "100%", "x%3By", " spaced label "],
    ],
)
def test_sources_round_trip(labels):
    columns = schema.source_columns(labels)
    text = schema.encode_sources(columns)
    assert schema.decode_sources(text) == {c: label for label, c in columns.items()}


def test_sources_text_is_label_equals_column():
    columns = {"ambulance": "n_ambulance", "A&E": "n_a_e", "police": "n_police"}
    assert schema.encode_sources(columns) == "ambulance=n_ambulance;A&E=n_a_e;police=n_police"
    assert schema.decode_sources(None) == {} and schema.decode_sources("") == {}
    with pytest.raises(ValueError):
        schema.decode_sources("ambulance")


def test_source_labels_from_a_row_or_from_names():
    row = {"block_id": "B1", "n_a_e": 1.0, "n_police": 2.0, "sources": "A&E=n_a_e;police=n_police"}
    assert schema.source_labels(row) == {"n_a_e": "A&E", "n_police": "police"}
    # without ``sources`` nothing is guessed: the slug is shown as it is
    assert schema.source_labels(["block_id", "n_a_e"]) == {"n_a_e": "a_e"}


def test_missing_values_are_not_zero():
    assert schema.is_missing(None) and schema.is_missing(float("nan"))
    assert schema.is_missing(np.float64("nan")) and not schema.is_missing(0)
    assert math.isnan(schema.as_number(None)) and math.isnan(schema.as_number("x"))
    assert schema.as_number("2.5") == 2.5


def test_profile_text_by_hand():
    cells = [0.0] * 168
    cells[0], cells[5], cells[167] = 1.5, 0.333, 12.0
    text = schema.encode_profile(cells)
    parts = text.split(",")
    assert len(parts) == 168 and parts[0] == "1.5" and parts[5] == "0.33" and parts[167] == "12"
    assert set(parts) - {"1.5", "0.33", "12"} == {"0"}
    assert schema.encode_profile([0.0] * 168) == ""
    assert schema.encode_profile([0.004] + [0.0] * 167) == ",".join(["0"] * 168)  # rounds to 0
    assert schema.encode_profile([0.105] + [0.0] * 167).split(",")[0] == "0.1"  # 10.5 -> 10


def test_profile_decodes_what_it_encodes_to_two_decimals():
    rng = np.random.default_rng(5)
    cells = np.where(rng.random(168) < 0.3, rng.random(168) * 40, 0.0)
    decoded = schema.decode_profile(schema.encode_profile(list(cells)))
    assert decoded == pytest.approx(np.round(cells, 2), abs=1e-12)
    assert schema.decode_profile(None) == [0.0] * 168 == schema.decode_profile("  ")


def test_unreadable_profiles_are_clear_errors():
    with pytest.raises(ProfileError, match="168 values"):
        schema.decode_profile("1,2,3")
    with pytest.raises(ProfileError, match="unreadable"):
        schema.decode_profile(",".join(["x"] + ["0"] * 167))


def test_bulk_encoder_writes_what_the_reference_writes():
    rng = np.random.default_rng(11)
    dense = np.where(rng.random((300, 168)) < 0.05, rng.random((300, 168)) * 150, 0.0)
    dense[3] = 0.0  # an empty row
    dense[4, :3] = [0.005, 0.015, 99.999]  # halves and a carry into the whole part
    texts = schema.encode_profiles(sp.csr_matrix(dense), chunk=64)
    assert list(texts) == [schema.encode_profile(list(row)) for row in dense]


def test_bulk_encoder_shares_one_text_per_distinct_row():
    rng = np.random.default_rng(12)
    patterns = np.where(rng.random((6, 168)) < 0.03, rng.integers(1, 4, (6, 168)) * 0.5, 0.0)
    dense = patterns[rng.integers(0, 6, 500)]
    dense[7, 9] = 1.004  # reads as 1 (cents): the same text as an exact 1 would give
    texts = schema.encode_profiles(sp.csr_matrix(dense), chunk=4)
    assert list(texts) == [schema.encode_profile(list(row)) for row in dense]
    assert len({id(t) for t in texts}) == len(set(texts))  # one str object per distinct text


def test_bulk_encoder_is_exact_when_every_row_hashes_alike(monkeypatch):
    """A hash collision (forced here for every row) never gives a row another row's text."""
    monkeypatch.setattr(
        schema, "_row_hashes", lambda indices, cents, starts, lengths, np: np.zeros(len(starts))
    )
    rng = np.random.default_rng(13)
    dense = np.where(rng.random((200, 168)) < 0.02, rng.integers(1, 3, (200, 168)) * 1.0, 0.0)
    dense[:50] = dense[50:100]  # duplicates as well
    texts = schema.encode_profiles(sp.csr_matrix(dense), chunk=16)
    assert list(texts) == [schema.encode_profile(list(row)) for row in dense]
