"""Backtests on a hand-built scenario whose hit rates, PAI and RRI are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from hotblocking import schema
from hotblocking.errors import HotBlockingError
from hotblocking.evaluate import (
    ALL_ORIGINS,
    KdeSettings,
    Method,
    best_settings,
    evaluate,
    mark_best,
    on_known_blocks,
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


def test_gain_is_paired_against_plain_counts():
    table = _run([Method("plain counts", "plain counts"), Method("previous", "previous period")])
    # previous period picks B then C: 1 of 4 at 25% and at 50% (plain: 2 and 3 of 4).
    assert _cell(table, "previous", "25%", "gain") == pytest.approx(0.25 - 0.5)
    assert _cell(table, "previous", "50%", "gain") == pytest.approx(0.25 - 0.75)
    # plain counts against itself: exactly 0, and so is every bootstrap draw.
    for column in ("gain", "gain_low", "gain_high"):
        assert _cell(table, "plain counts", "25%", column) == 0.0
    low, gain, high = (
        _cell(table, "previous", "25%", c) for c in ("gain_low", "gain", "gain_high")
    )
    assert low < gain < high


def test_identical_scores_choose_identically_whatever_the_ties():
    # Every block scores 0 for a risk configuration trained on nothing: the shared tie order
    # makes it choose exactly what an all-zero plain count chooses.
    incidents = _incidents(TEST)
    table = evaluate(
        incidents,
        BLOCKS,
        GEOMS,
        parse_windows("all"),
        single_split("2025-02-01", "2025-02-28"),
        [Method("plain counts", "plain counts"), Method("risk", "risk", {})],
        coverages=(0.25, 0.5),
        seed=11,
    )
    for level in ("25%", "50%"):
        assert _cell(table, "risk", level, "hits") == _cell(table, "plain counts", level, "hits")
        assert _cell(table, "risk", level, "gain") == 0.0


def test_summary_over_origins_is_the_mean_with_the_spread():
    origins = rolling_origins("2024-12-01", "2025-02-28", train_months=1)
    table = evaluate(
        _incidents(TRAIN + TEST),
        BLOCKS,
        GEOMS,
        parse_windows("all"),
        origins,
        [Method("plain counts", "plain counts")],
        coverages=(0.25,),
    )
    # January: A chosen (December), none of January's 4 on A. February: B chosen, 1 of 4.
    assert _cell(table, "plain counts", "25%", "hit_rate", "2025-01-01") == 0.0
    assert _cell(table, "plain counts", "25%", "hit_rate", "2025-02-01") == 0.25
    assert _cell(table, "plain counts", "25%", "test_end", "2025-02-01") == "2025-02-28"
    assert _cell(table, "plain counts", "25%", "hit_rate", ALL_ORIGINS) == pytest.approx(0.125)
    assert _cell(table, "plain counts", "25%", "origins", ALL_ORIGINS) == 2
    # numpy's linear quantiles of (0, 0.25): 2.5% and 97.5% of the way.
    assert _cell(table, "plain counts", "25%", "hit_rate_low", ALL_ORIGINS) == pytest.approx(
        0.00625
    )
    assert _cell(table, "plain counts", "25%", "hit_rate_high", ALL_ORIGINS) == pytest.approx(
        0.24375
    )


def test_best_goes_to_the_highest_hit_rate_and_a_tie_to_the_first_listed():
    methods = [Method("risk", "risk", {}), Method("plain counts", "plain counts"),
               Method("previous", "previous period")]  # fmt: skip
    table = _run(methods)
    assert list(best_settings(table, "25%")["method"]) == ["risk"]  # ties plain counts, first
    assert list(best_settings(table, "25%", among=["previous"])["method"]) == ["previous"]
    marked = mark_best(table, "25%", among=["plain counts", "previous"])
    assert list(marked.loc[marked["best"], "method"]) == ["plain counts"]
    assert list(marked.loc[marked["best"], "origin"]) == [ALL_ORIGINS]


def test_settings_say_what_each_method_ran_with():
    incidents = _incidents(TRAIN + TEST)
    xy = np.zeros((len(incidents), 2))
    table = _run(
        [
            Method("risk", "risk", {"bandwidth_m": 50.0, "use_harm": True}),
            Method("kde", "grid KDE (streets)"),
            Method("random", "random"),
        ],
        points_xy=xy,
        kde=KdeSettings(cell_size=100.0, bandwidth=1.0),
    )
    assert _cell(table, "risk", "25%", "settings") == "BANDWIDTH=50, USE_HARM=yes"
    assert _cell(table, "kde", "25%", "settings", ALL_ORIGINS) == (
        "KDE_CELL_SIZE=100, KDE_BANDWIDTH=1"
    )
    assert _cell(table, "random", "25%", "settings") == "SEED=3"
    assert list(table.columns) == schema.EVALUATION.names()


def test_methods_need_distinct_labels():
    with pytest.raises(HotBlockingError, match="plain counts is used more than once"):
        _run([Method("plain counts", "plain counts"), Method("plain counts", "risk", {})])
    with pytest.raises(HotBlockingError, match="nothing to evaluate"):
        _run([])


def test_records_on_unknown_blocks_are_left_out_of_training_and_test():
    stray = _incidents([("Z", "2025-02-05 23:00"), ("Z", "2025-01-05 23:00")])
    table = evaluate(
        pd.concat([_incidents(TRAIN + TEST), stray], ignore_index=True),
        BLOCKS,
        GEOMS,
        parse_windows("all"),
        single_split("2025-02-01", "2025-02-28"),
        [Method("plain counts", "plain counts")],
        coverages=(0.25,),
    )
    assert _cell(table, "plain counts", "25%", "test_incidents") == 4
    assert _cell(table, "plain counts", "25%", "rri") == pytest.approx((2 / 5) / (4 / 9))
    assert list(on_known_blocks(stray, BLOCKS)) == [False, False]
