"""Backtests on a hand-built scenario whose hit rates, PAI and RRI are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from hotblocking.evaluate import (
    ALL_ORIGINS,
    KdeSettings,
    Method,
    best_settings,
    evaluate,
    rolling_origins,
    single_split,
)
from hotblocking.windows import parse_windows

# Four 100 m blocks in a row: A B C D. 25% of the network is one block.
GEOMS = shapely.linestrings([[(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)],
                             [(300, 0), (400, 0)]])  # fmt: skip
BLOCKS = pd.DataFrame(
    {"block_id": list("ABCD"), "link_id": list("ABCD"), "name": list("ABCD"), "length_m": 100.0}
)


def _incidents(rows):
    """rows: (block, 'YYYY-MM-DD HH:MM') instants."""
    times = pd.to_datetime([t for _, t in rows]).to_numpy("datetime64[ms]")
    return pd.DataFrame(
        {
            "block_id": [b for b, _ in rows],
            "source": "police",
            "time_start": times,
            "time_end": times,
            "weight": np.nan,
            "time_precision": "instant",
        }
    )


TRAIN = (
    [("A", f"2024-12-{d:02d} 23:00") for d in (2, 5, 9, 14, 20)]  # A: 5, all in December
    + [("B", f"2025-01-{d:02d} 23:00") for d in (10, 11, 12)]  # B: 3, in the last 28 days
    + [("C", "2025-01-20 23:00")]  # C: 1
)
TEST = [("A", "2025-02-03 23:00"), ("A", "2025-02-10 23:00"), ("B", "2025-02-11 23:00"),
        ("D", "2025-02-20 23:00")]  # fmt: skip


def _run(methods, **options):
    incidents = _incidents(TRAIN + TEST)
    origins = single_split("2025-02-01", "2025-02-28")
    return evaluate(
        incidents,
        BLOCKS,
        GEOMS,
        parse_windows("all"),
        origins,
        methods,
        coverages=(0.25, 0.5),
        top_n=1,
        seed=3,
        **options,
    )


def _cell(table, method, level, column, origin="2025-02-01"):
    row = table[
        (table["method"] == method) & (table["level"] == level) & (table["origin"] == origin)
    ]
    assert len(row) == 1
    return row[column].iloc[0]


def test_plain_counts_hit_rate_pai_rri_by_hand():
    table = _run([Method("plain counts", "plain counts")])
    # 25%: block A (5 training) holds 2 of the 4 test incidents.
    assert _cell(table, "plain counts", "25%", "hit_rate") == pytest.approx(0.5)
    assert _cell(table, "plain counts", "25%", "coverage") == pytest.approx(0.25)
    assert _cell(table, "plain counts", "25%", "pai") == pytest.approx(2.0)
    assert _cell(table, "plain counts", "25%", "rri") == pytest.approx((2 / 5) / (4 / 9))
    # 50%: A and B: 3 of 4; training 8 of 9.
    assert _cell(table, "plain counts", "50%", "hit_rate") == pytest.approx(0.75)
    assert _cell(table, "plain counts", "50%", "pai") == pytest.approx(1.5)
    assert _cell(table, "plain counts", "50%", "rri") == pytest.approx((3 / 8) / (4 / 9))
    assert _cell(table, "plain counts", "top 1", "blocks") == 1
    assert _cell(table, "plain counts", "top 1", "hits") == pytest.approx(2)


def test_previous_period_uses_the_days_just_before_the_test():
    table = _run([Method("previous period", "previous period")])
    # The 28 days before February hold B (3) and C (1): B first, then C.
    assert _cell(table, "previous period", "25%", "hit_rate") == pytest.approx(0.25)
    assert _cell(table, "previous period", "50%", "hit_rate") == pytest.approx(0.25)


def test_risk_configuration_without_options_equals_plain_counts():
    table = _run([Method("plain counts", "plain counts"), Method("risk", "risk", {})])
    for level in ("25%", "50%", "top 1"):
        assert _cell(table, "risk", level, "hit_rate") == _cell(
            table, "plain counts", level, "hit_rate"
        )


def test_random_is_deterministic_for_a_seed_and_summaries_are_added():
    first = _run([Method("random", "random")])
    again = _run([Method("random", "random")])
    pd.testing.assert_frame_equal(first, again)
    summary = first[first["origin"] == ALL_ORIGINS]
    assert set(summary["level"]) == {"25%", "50%", "top 1"}


def test_kde_cells_and_streets():
    incidents = _incidents(TRAIN + TEST)
    xs = {"A": 50.0, "B": 150.0, "C": 250.0, "D": 350.0}
    xy = np.array([[xs[b], 5.0] for b in incidents["block_id"]])
    table = _run(
        [Method("kde cells", "grid KDE (cells)"), Method("kde streets", "grid KDE (streets)")],
        points_xy=xy,
        kde=KdeSettings(cell_size=100.0, bandwidth=1.0),
    )
    # Cells of 100 m with a tiny bandwidth: the densest cell is A's, which holds 2 of 4.
    assert _cell(table, "kde streets", "25%", "hit_rate") == pytest.approx(0.5)
    assert _cell(table, "kde cells", "25%", "hits") == pytest.approx(2)


def test_rolling_origins_and_jaccard():
    origins = rolling_origins("2024-12-01", "2025-02-28", train_months=1)
    assert [o.label for o in origins] == ["2025-01-01", "2025-02-01"]
    assert origins[1].train_start == np.datetime64("2025-01-01")
    table = evaluate(
        _incidents(TRAIN + TEST),
        BLOCKS,
        GEOMS,
        parse_windows("all"),
        origins,
        [Method("plain counts", "plain counts")],
        coverages=(0.25,),
        top_n=1,
    )
    # Origin Jan: trained on December (A) -> A. Origin Feb: trained on January (B) -> B.
    assert np.isnan(_cell(table, "plain counts", "25%", "jaccard", "2025-01-01"))
    assert _cell(table, "plain counts", "25%", "jaccard", "2025-02-01") == 0.0
    best = best_settings(table, "25%")
    assert list(best["method"]) == ["plain counts"]


def test_time_of_day_windows_ignore_month_only_records():
    incidents = _incidents(TRAIN + TEST)
    incidents.loc[incidents["block_id"] == "D", "time_precision"] = "month"
    table = evaluate(
        incidents,
        BLOCKS,
        GEOMS,
        parse_windows("nights=daily 22:00-04:00"),
        single_split("2025-02-01", "2025-02-28"),
        [Method("plain counts", "plain counts")],
        coverages=(0.25,),
    )
    assert _cell(table, "plain counts", "25%", "test_incidents") == pytest.approx(3)
