"""The brief's words and numbers from a hot-blocks table (hotblocking.brief_content and
hotblocking.brief_selection). Every table here is written out by hand."""

import numpy as np
import pandas as pd
import pytest

from hotblocking.brief_content import (
    POLICE_UK_CAVEAT,
    BriefOptions,
    build_content,
    busiest_hours,
    data_period,
    hour_grid,
    layer_facts,
    profile_sums,
    untimed_counts,
)
from hotblocking.brief_selection import (
    events_of,
    neighbour_flags,
    select_blocks,
    selection_notes,
)
from hotblocking.windows import parse_windows

FRI_21, FRI_23, SAT_01 = 4 * 24 + 21, 4 * 24 + 23, 5 * 24 + 1
(NIGHT,) = parse_windows("night=Fri-Sat 22:00-04:00")
(WHOLE,) = parse_windows("all time=all")


def profile(cells):
    values = ["0"] * 168
    for index, value in cells.items():
        values[index] = str(value)
    return ",".join(values)


def test_hour_grid_from_profile_text():
    grid = hour_grid(profile({FRI_23: 2.5, SAT_01: 1}))
    assert grid.shape == (7, 24)
    assert grid[4, 23] == 2.5 and grid[5, 1] == 1 and grid.sum() == 3.5
    assert hour_grid("").sum() == 0 and hour_grid(None).sum() == 0
    with pytest.raises(ValueError, match="168 values"):
        hour_grid("1,2,3")
    assert busiest_hours(grid) == [FRI_23, SAT_01]


def test_profile_sums_read_many_profiles_at_once():
    texts = pd.Series([profile({0: 1.5, 167: 2}), "", None, profile({FRI_23: 0.33})])
    assert profile_sums(texts).tolist() == [3.5, 0.0, 0.0, 0.33]


def block(block_id, rank, incidents, **more):
    """One row of a window; events = incidents and risk = incidents unless given."""
    row = {
        "block_id": block_id,
        "name": f"Street {block_id}",
        "window": "night",
        "window_spec": "night=Fri,Sat 22:00-04:00",
        "incidents": float(incidents),
        "events": float(incidents),
        "n_ambulance": float(incidents),
        "harm": float(incidents),
        "risk": float(incidents),
        "rank": rank,
        "expected": 1.0,
        "p_value": 1e-6,
        "q_value": 1e-5,
        "hot": True,
        "peak": "Fri 23:00-24:00" if incidents else "",
        "profile": profile({FRI_23: incidents}) if incidents else "",
        "first_seen": pd.Timestamp("2025-01-03 23:10") if incidents else pd.NaT,
        "last_seen": pd.Timestamp("2025-03-07 23:40") if incidents else pd.NaT,
        "trend_p": np.nan,
        "trend_word": None,
        "pattern": None,
        "sources": "ambulance=n_ambulance",
    }
    row.update(more)
    return row


def table(*rows):
    return pd.DataFrame(list(rows))


# --- which blocks ---------------------------------------------------------------------------


def test_the_listed_blocks_are_the_layers_hot_blocks_in_rank_order():
    # ranks 1..7 hot, 2 and 6 with no incident of their own (smoothing): the old brief
    # listed "top 5" as ranks 1, 3, 4, 5, 7
    frame = table(
        block("A", 1, 30),
        block("B", 2, 0, risk=25.0),
        block("C", 3, 20),
        block("D", 4, 18),
        block("E", 5, 15),
        block("F", 6, 0, risk=14.0),
        block("G", 7, 12),
        block("H", 8, 3, hot=False),
    )
    selection = select_blocks(frame, 5)
    assert selection.rows["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (selection.hot, selection.left_out, selection.tied) == (7, 2, 0)
    assert selection_notes(selection) == [
        "The layer calls 7 blocks hot in this window; the 5 ranked highest are listed (blocks "
        "to brief: 5), the other 2 are on the layer."
    ]
    assert neighbour_flags(selection.rows, frame).tolist() == [False, True, False, False, False]


def test_ties_at_the_cut_are_all_listed_and_said():
    frame = table(
        *(block(f"B{r}", r, 40 - r) for r in range(1, 10)),
        block("T1", 10, 12),
        block("T2", 10, 12),
        block("X", 12, 5, hot=False),
    )
    selection = select_blocks(frame, 10)
    assert selection.listed == 11 and selection.tied == 1
    assert selection.rows["block_id"].tolist()[-2:] == ["T1", "T2"]
    assert selection_notes(selection) == [
        "2 blocks share rank 10, the last place listed: all of them are listed, so 11 blocks "
        "rather than 10."
    ]
    content = build_content(frame, NIGHT, BriefOptions(top_n=10))
    assert [p.label for p in content.blocks][-2:] == ["10a", "10b"]


def test_fewer_hot_blocks_than_asked_and_blocks_not_hot_above_the_cut():
    # a significance rule: rank 2 is not significant, so not hot
    frame = table(block("A", 1, 30), block("B", 2, 25, hot=False), block("C", 3, 20))
    selection = select_blocks(frame, 10)
    assert selection.rows["block_id"].tolist() == ["A", "C"]
    assert selection_notes(selection) == [
        "The layer calls 2 blocks hot in this window, fewer than the 10 asked for: all are "
        "listed.",
        "Not listed: 1 block(s) ranked as high as a listed one that the layer does not call "
        "hot (rank 2): its hot rule is not a plain rank cut (significance or a share of "
        "network length).",
    ]
    none = select_blocks(table(block("A", 1, 3, hot=False)), 10)
    assert none.listed == 0 and selection_notes(none) == [
        "The layer calls no block hot in this window: no block is listed."
    ]


def test_ranks_and_events_may_be_nullable_integers():
    """A layer read back with nullable integer fields (rank, events): missing values are
    unranked or fall back to incidents, as with floats (pandas 1.5 refused the conversion)."""
    frame = table(block("A", 2, 3), block("B", 1, 5), block("C", None, 7), block("D", 2, 4))
    frame["rank"] = pd.array([2, 1, None, 2], dtype="Int64")
    frame["events"] = pd.array([3, None, 7, 4], dtype="Int64")
    selection = select_blocks(frame, 10)
    assert selection.rows["block_id"].tolist() == ["B", "D", "A"]
    assert (selection.hot, selection.cut_rank) == (3, 2)


def test_a_layer_with_fractional_ranks_still_lists_its_hot_blocks():
    """Another tool's layer may hold averaged tie ranks (1.5): the cut compares as is."""
    frame = table(block("A", 1.5, 3), block("B", 2.0, 1, hot=False))
    selection = select_blocks(frame, 10)
    assert selection.rows["block_id"].tolist() == ["A"] and selection.hot == 1


def brute_force_selection(frame, top_n):
    """The module doc's rule, row by row: ranked rows sorted by (rank, most events, block
    id); the hot ones up to the rank of the top_n-th, ties at that rank included."""
    rows = [
        (float(r["rank"]), -float(events), r["block_id"], bool(r["hot"]), position)
        for position, ((_, r), events) in enumerate(zip(frame.iterrows(), events_of(frame)))
        if not pd.isna(r["rank"])
    ]
    rows.sort(key=lambda row: row[:3])
    hot = [row for row in rows if row[3]]
    if not hot:
        return [], None, ()
    cut = hot[min(top_n, len(hot)) - 1][0]
    listed = [row[4] for row in hot if row[0] <= cut]
    cold = tuple(int(row[0]) for row in rows if not row[3] and row[0] <= cut)
    return listed, int(cut), cold


def test_selection_matches_a_row_by_row_reading_of_the_rule():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        frame = pd.DataFrame(
            {
                "block_id": rng.choice(list("abcdef"), n).astype(object),
                "rank": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 12, n)),
                "events": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 4, n)),
                "incidents": rng.integers(0, 4, n).astype(float),
                "hot": rng.random(n) < rng.random(),
            },
            index=rng.permutation(n) + 50,
        )
        for top_n in (1, 3, 10):
            listed, cut, cold = brute_force_selection(frame, top_n)
            selection = select_blocks(frame, top_n)
            assert selection.rows.index.tolist() == frame.index[listed].tolist()
            assert (selection.cut_rank, selection.not_hot_ranks) == (cut, cold)
            assert selection.hot == int((frame["hot"] & frame["rank"].notna()).sum())


def test_neighbour_blocks_by_their_own_share_of_risk():
    # smoothing shows (B has risk and no event). The window's risk per event is
    # (100 + 10 + 8 + 6) / (100 + 0 + 2 + 6) = 124 / 108; C's 2 events would make
    # 2 * 124/108 / 8 = 0.29 of its risk (< 0.5: next to hot streets), D's 6 events
    # 6 * 124/108 / 6 = 1.15 (its own)
    frame = table(
        block("A", 1, 100),
        block("B", 2, 0, risk=10.0),
        block("C", 3, 2, risk=8.0),
        block("D", 4, 6, risk=6.0),
    )
    flags = neighbour_flags(frame, frame)
    assert flags.tolist() == [False, True, True, False]
    # without smoothing (every block with risk has events), harm-weighted risk is its own
    plain = table(block("A", 1, 2, risk=80.0), block("B", 2, 10, risk=10.0))
    assert neighbour_flags(plain, plain).tolist() == [False, False]


def test_a_neighbour_block_is_labelled_with_its_own_count():
    frame = table(block("A", 1, 30), block("B", 2, 0, risk=25.0), block("C", 3, 20))
    content = build_content(frame, NIGHT, BriefOptions(top_n=3))
    b = content.blocks[1]
    assert b.neighbour and b.why[0] == (
        "Next to hot streets: hot through the streets around it (network smoothing), with 0 "
        "incidents of its own in this window."
    )
    assert "Against its length: not tested: no incident of its own in this window." in b.why
    assert any(note.startswith("† Next to hot streets") for note in content.notes)
    assert not content.blocks[0].neighbour


# --- words ------------------------------------------------------------------------------------


def test_sources_are_named_by_their_stored_labels():
    frame = table(
        block("B1", 1, 3, name="High Street", n_a_e=1.0, n_door_staff=2.0, n_ambulance=np.nan),
        block("B2", 2, 0, hot=False, n_a_e=0.0, n_door_staff=0.0),
    ).drop(columns="n_ambulance")
    frame["sources"] = "A&E=n_a_e;door staff=n_door_staff"
    content = build_content(frame, NIGHT, BriefOptions(top_n=5))
    assert content.sources == [("A&E", "1"), ("Door staff", "2")]
    (page,) = content.blocks
    assert page.why[0] == "3 incidents in this window: A&E 1, Door staff 2."
    assert page.when[0] == "Window: night: Fri and Sat, 22:00 to 04:00 next day."
    assert content.period == "3 Jan 2025 to 7 Mar 2025"


def test_trend_and_significance_withheld_below_the_minimum_count():
    frame = table(
        block("few", 1, 4, trend=0.05, trend_p=0.03, trend_word=None, pattern=None),
        block(
            "many", 2, 40, trend_p=0.012, trend_word="rising", pattern="intensifying",
            expected=2.0, q_value=0.004,
        ),
    )  # fmt: skip
    few, many = build_content(frame, NIGHT, BriefOptions(top_n=5)).blocks
    assert "Trend: not given: too few incidents to tell." in few.why
    assert "Against its length: not tested: too few incidents of its own (under 5) to tell." in (
        few.why
    )
    assert not any("falling" in w or "0.05" in w for w in few.why)
    assert not any(w.startswith("Pattern") for w in few.why)
    assert (
        "Trend: rising (Mann-Kendall p = 0.012: with no real change, a trend this clear comes "
        "about 1 time in 83)." in many.why
    )
    assert "Pattern: intensifying: hot in almost every period, and rising." in many.why
    assert any(
        w.startswith("Against its length: far more than its length predicts (20 ×")
        for w in many.why
    )


def test_the_chart_holds_the_whole_week_and_says_when_it_is_busier_outside():
    # 40 incidents on Fri 21:00-22:00, just before the window, 10 inside it
    frame = table(block("A", 1, 10, profile=profile({FRI_21: 40, FRI_23: 10})))
    (page,) = build_content(frame, NIGHT, BriefOptions(top_n=5)).blocks
    assert page.grid[4, 21] == 40 and page.grid.sum() == 50
    assert "Peak hours: Fri 23:00-24:00 (busiest)." in page.when
    assert (
        "Busier just outside the window: Fri 21:00-22:00 has more incidents than any hour "
        "inside it (see the chart)." in page.when
    )


# --- whole-period windows, records without a time of day ---------------------------------------


def month_rows():
    """An 'all' window: A holds 12 month-only records, B 5 timed and 3 month-only."""
    spec = {"window": "all time", "window_spec": "all time=all"}
    month = {"first_seen": pd.Timestamp("2018-07-01"), "last_seen": pd.Timestamp("2018-09-01")}
    return table(
        block("A", 1, 12, profile="", **spec, **month, peak=""),
        block(
            "B",
            2,
            8,
            profile=profile({FRI_23: 4, SAT_01: 1}),
            **spec,
            first_seen=pd.Timestamp("2018-07-14 23:10"),
            last_seen=pd.Timestamp("2018-09-20 01:15"),
        ),  # fmt: skip
        block("C", 3, 0, hot=False, **spec),
    )


def test_records_without_a_time_of_day():
    frame = month_rows()
    assert untimed_counts(frame).tolist() == [12.0, 3.0, 0.0]
    facts = layer_facts(pd.concat([frame, table(block("N", 1, 5))]))
    assert (facts.untimed, facts.untimed_window, facts.month_precision) == (15.0, "all time", True)
    assert layer_facts(table(block("N", 1, 5))).untimed is None


def test_an_all_window_prints_no_chart_or_peak_hours_it_cannot_know():
    frame = month_rows()
    content = build_content(frame, WHOLE, BriefOptions(top_n=5), layer_facts(frame))
    a, b = content.blocks
    for page, untimed, total in ((a, 12, 12), (b, 3, 8)):
        assert page.grid is None and page.peak == "–"
        assert page.chart_note == (
            f"No hour-of-week chart or peak hours: {untimed} of its {total} incidents have no "
            "time of day (a date or month only), so when they happened is not known."
        )
        assert not any(w.startswith("Peak hours") for w in page.when)
        assert page.hours_unknown
        assert page.when[-1] == (
            "The visits below are spread evenly over the week: no hour to follow."
        )
    assert content.untimed.startswith("15 of the 20 records counted here have no time of day")
    assert content.period == "Jul 2018 to Sep 2018"  # month-only records: months
    assert POLICE_UK_CAVEAT in content.notes
    assert content.window_words == "the whole period, any time of day"


def test_a_time_of_day_window_says_how_many_records_it_cannot_count():
    whole = pd.concat([month_rows(), table(block("A", 1, 6), block("B", 2, 2))])
    facts = layer_facts(whole)
    night = whole[whole["window"] == "night"].reset_index(drop=True)
    content = build_content(night, NIGHT, BriefOptions(top_n=5), facts)
    assert content.untimed == (
        "15 records have no time of day (a date or month only; counted in the layer's "
        "whole-period window 'all time'): they count in no time-of-day window, so not in this "
        "one."
    )
    assert content.untimed in content.notes
    assert POLICE_UK_CAVEAT in content.notes  # the layer shows month-only records


def test_the_police_uk_caveat_only_when_asked_or_seen():
    frame = table(block("A", 1, 6))
    assert POLICE_UK_CAVEAT not in build_content(frame, NIGHT, BriefOptions()).notes
    assert POLICE_UK_CAVEAT in build_content(frame, NIGHT, BriefOptions(police_uk_note=True)).notes


def test_data_period_in_days_or_months():
    frame = month_rows()
    assert data_period(frame) == "1 Jul 2018 to 20 Sep 2018"
    assert data_period(frame, months=True) == "Jul 2018 to Sep 2018"


def test_generation_time_is_in_the_briefs_time_zone():
    helsinki = BriefOptions(timezone="Europe/Helsinki").generated
    london = BriefOptions(timezone="Europe/London").generated
    assert str(helsinki.tzinfo) == "Europe/Helsinki" and str(london.tzinfo) == "Europe/London"
    assert helsinki.utcoffset() != london.utcoffset()
