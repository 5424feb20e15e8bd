"""The risk orchestrator on tiny hand-built networks (hotblocking.risk)."""

import math

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from hotblocking.errors import Cancelled
from hotblocking.risk import HotRule, compute_risk, merge_groups
from hotblocking.windows import parse_windows

NIGHT_DAY = parse_windows("night=Fri-Sat 22:00-04:00; day=weekdays 09:00-17:00")
NIGHT = NIGHT_DAY[:1]
TOP1 = HotRule("top_n", 1)


def line_blocks(n=6):
    """B0-B1-...-B(n-1) end to end along the x axis, 100 m each."""
    geoms = np.array([LineString([(100 * i, 0), (100 * i + 100, 0)]) for i in range(n)])
    blocks = pd.DataFrame(
        {
            "block_id": [f"B{i}" for i in range(n)],
            "link_id": [f"L{i // 2}" for i in range(n)],
            "name": [f"Street {i}" for i in range(n)],
            "length_m": 100.0,
        }
    )
    return blocks, geoms


def incidents(rows):
    """rows: (block_id, source, start, end, weight)."""
    df = pd.DataFrame(rows, columns=["block_id", "source", "time_start", "time_end", "weight"])
    for col in ("time_start", "time_end"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ms]")
    df["weight"] = df["weight"].astype(float)
    return df


def no_incidents():
    return incidents([]).astype({"block_id": str, "source": str})


def row(table, block, window):
    sel = table[(table.block_id == block) & (table.window == window)]
    assert len(sel) == 1
    return sel.iloc[0]


BASE_COLUMNS = [
    "block_id",
    "link_id",
    "name",
    "description",  # the name when the blocks have no description
    "window",
    "window_spec",
    "incidents",
]
TAIL_COLUMNS = [
    "events",
    "harm",
    "risk",
    "risk_per_km",
    "rank",
    "percentile",
    "expected",
    "p_value",
    "q_value",
    "hot",
    "peak",
    "profile",
    "first_seen",
    "last_seen",
    "trend",
    "trend_tau",
    "trend_p",
    "trend_word",
    "pattern",
    "sources",
]


def test_empty_incidents_give_a_complete_zero_table():
    blocks, geoms = line_blocks()
    res = compute_risk(
        no_incidents(),
        blocks,
        geoms,
        NIGHT_DAY,
        hot_rule=TOP1,
        source_weights={"A&E": 2.0},
        bandwidth_m=150,
        merge_minutes=10,
    )
    t = res.table
    assert list(t.columns) == BASE_COLUMNS + ["n_a_e"] + TAIL_COLUMNS
    assert len(t) == 12
    assert t.window.tolist() == ["night"] * 6 + ["day"] * 6
    assert t.block_id.tolist() == [f"B{i}" for i in range(6)] * 2
    assert t.link_id.tolist()[:3] == ["L0", "L0", "L1"]
    assert (t[["incidents", "n_a_e", "harm", "risk", "risk_per_km", "expected"]] == 0).all().all()
    assert (t["rank"] == 1).all() and (t.percentile == 100.0).all()
    assert (t.p_value == 1.0).all() and (t.q_value == 1.0).all()
    assert not t.hot.any()
    assert (t.peak == "").all() and (t.profile == "").all()
    assert t.first_seen.isna().all() and t.last_seen.isna().all() and t.trend.isna().all()
    assert len(res.profiles) == 0
    assert list(res.profiles.columns) == ["block_id", "window", "day", "hour", "value"]
    s = res.summary
    assert (s["incidents_used"], s["blocks_with_any"], s["merged_duplicates"]) == (0, 0, 0)
    assert math.isnan(s["share_top_1pct_blocks"])
    assert s["hot_blocks"] == {"night": 0, "day": 0}


def test_counts_sources_harm_peak_profile_exact():
    blocks, geoms = line_blocks(2)
    inc = incidents(
        [
            ("B0", "ambulance", "2024-03-01 23:30", None, np.nan),  # Fri, inside
            ("B0", "A&E", "2024-03-01 21:00", "2024-03-01 23:00", 10.0),  # half inside
            ("B0", "police", "2024-03-02 12:00", None, 5.0),  # Sat noon: outside
        ]
    )
    res = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1)
    r = row(res.table, "B0", "night")
    assert list(res.table.columns) == (
        BASE_COLUMNS + ["n_a_e", "n_ambulance", "n_police"] + TAIL_COLUMNS
    )
    assert res.source_columns == {"A&E": "n_a_e", "ambulance": "n_ambulance", "police": "n_police"}
    assert (r.incidents, r.n_ambulance, r.n_a_e, r.n_police) == (1.5, 1.0, 0.5, 0.0)
    assert r.harm == 1.0 + 0.5 * 10.0  # NaN weight counts as 1
    assert r.risk == 1.5 and r.risk_per_km == 15.0 and r["rank"] == 1
    assert r.peak == "Fri 23:00-24:00"
    cells = ["0"] * 168  # the whole week: Fri 21-22 and Sat 12 (outside the window) too
    cells[117], cells[118], cells[119], cells[132] = "0.5", "0.5", "1", "1"
    assert r.profile == ",".join(cells)
    assert r.first_seen == pd.Timestamp("2024-03-01 21:00")
    assert r.last_seen == pd.Timestamp("2024-03-01 23:30")
    assert res.profiles.astype({"window": str, "day": str}).values.tolist() == [
        ["B0", "night", "Fri", 22, 0.5],
        ["B0", "night", "Fri", 23, 1.0],
    ]
    empty = row(res.table, "B1", "night")
    assert (empty.incidents, empty.peak, empty.profile) == (0.0, "", "")
    assert empty["rank"] == 2 and empty.percentile == 50.0
    harm = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1, use_harm=True)
    assert row(harm.table, "B0", "night").risk == 6.0


def test_planted_block_ranks_first_in_its_window_only():
    blocks, geoms = line_blocks()
    rows = [(f"B{i}", "police", "2024-01-03 12:00", None, 1.0) for i in range(6)]  # Wed noon
    rows += [("B2", "ambulance", f"2024-01-{d:02d} 23:00", None, 1.0) for d in (5, 12, 19, 26)]
    rows += [
        ("B2", "A&E", "2024-02-03 01:30", None, 1.0),
        ("B2", "A&E", "2024-02-09 22:15", None, 1.0),
    ]
    rows += [("B4", "police", f"2024-01-{d:02d} 14:00", None, 1.0) for d in (8, 9, 10, 11, 15)]
    res = compute_risk(
        incidents(rows), blocks, geoms, NIGHT_DAY, hot_rule=HotRule("significance", 0.05)
    )
    night = res.table[res.table.window == "night"].set_index("block_id")
    day = res.table[res.table.window == "day"].set_index("block_id")
    assert night["rank"].idxmin() == "B2" and night.loc["B2", "rank"] == 1
    assert night.loc["B2", "incidents"] == 6
    assert night.loc["B2", "expected"] == 1.0
    assert night.hot.tolist() == [False, False, True, False, False, False]
    assert day.loc["B4", "rank"] == 1 and day.loc["B2", "rank"] == 2
    assert not day.hot.any()  # 6 vs 1.83 expected is not enough after BH over 6 blocks
    assert res.summary["hot_blocks"] == {"night": 1, "day": 0}


def test_source_weights_and_recency_decay():
    blocks, geoms = line_blocks(1)
    inc = incidents(
        [
            ("B0", "police", "2024-01-19 23:00", None, np.nan),
            ("B0", "ambulance", "2024-01-09 23:00", None, np.nan),  # 10 days older, no weight
        ]
    )
    kw = {"hot_rule": TOP1, "source_weights": {"police": 2.0}, "half_life_days": 10}
    res = compute_risk(inc, blocks, geoms, parse_windows("daily 00:00-24:00"), **kw)
    assert res.table.risk.tolist() == [2.0 * 1.0 + 1.0 * 0.5]
    assert res.summary["reference_time"] == pd.Timestamp("2024-01-19 23:00")
    res = compute_risk(
        inc,
        blocks,
        geoms,
        parse_windows("daily 00:00-24:00"),
        reference_time="2024-01-29 23:00",
        **kw,
    )
    assert res.table.risk.tolist() == [2.0 * 0.5 + 1.0 * 0.25]
    assert res.table.incidents.tolist() == [2.0]  # counts are not weighted


def test_smoothing_spreads_risk_conserves_total_and_keeps_counts():
    blocks, geoms = line_blocks()
    rows = [("B2", "police", f"2024-01-{d:02d} 23:00", None, 1.0) for d in (5, 12, 19)]
    res = compute_risk(incidents(rows), blocks, geoms, NIGHT, hot_rule=TOP1, bandwidth_m=150)
    t = res.table
    assert t.risk.tolist() == pytest.approx([0, 0.6, 1.8, 0.6, 0, 0], abs=1e-12)
    assert t.risk.sum() == pytest.approx(3.0, rel=1e-12)
    assert t.incidents.tolist() == [0, 0, 3, 0, 0, 0]  # counts and tests stay unsmoothed
    assert t.p_value.tolist()[2] < 0.05 and t.p_value.tolist()[1] == 1.0
    assert t["rank"].tolist() == [4, 2, 1, 2, 4, 4]
    assert t.hot.tolist() == [False, False, True, False, False, False]


def test_merge_cross_source_duplicates():
    blocks, geoms = line_blocks()
    inc = incidents(
        [
            ("B0", "ambulance", "2024-03-01 23:00", None, np.nan),
            ("B1", "police", "2024-03-01 23:10", None, 30.0),  # adjacent, 10 min: merged
            ("B0", "ambulance", "2024-03-01 23:20", None, np.nan),  # 20 min after: a new call
            ("B5", "A&E", "2024-03-01 23:00", None, np.nan),  # not adjacent: kept
            ("B0", "A&E", "2024-03-02 02:00", None, np.nan),  # 3 h later: kept
        ]
    )
    res = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1, merge_minutes=15)
    assert res.summary["merged_duplicates"] == 1
    assert res.summary["multi_source_incidents"] == 1
    assert (res.summary["incidents_used"], res.summary["events"]) == (5, 4)
    b0, b1 = row(res.table, "B0", "night"), row(res.table, "B1", "night")
    # records stay where they were joined, each in its own source; the merged event counts
    # once, on its earliest record's block (B0), with the largest harm of its records
    assert (b0.incidents, b0.n_ambulance, b0.n_police, b0.n_a_e) == (3.0, 2.0, 0.0, 1.0)
    assert (b1.incidents, b1.n_police, b1.harm) == (1.0, 1.0, 30.0)
    assert (b0.events, b1.events) == (3.0, 0.0)
    assert b0.harm == 3.0
    harmful = compute_risk(
        inc, blocks, geoms, NIGHT, hot_rule=TOP1, merge_minutes=15, use_harm=True
    )
    assert row(harmful.table, "B0", "night").risk == 30.0 + 1.0 + 1.0
    plain = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1)
    assert row(plain.table, "B1", "night").events == 1.0
    assert plain.summary["merged_duplicates"] == 0


def test_merge_groups_mutual_nearest():
    t = np.array(
        ["2024-01-01T10:00", "2024-01-01T10:05", "2024-01-01T10:06", "2024-01-01T10:07", "NaT"],
        dtype="datetime64[ms]",
    )
    src = np.array([0, 1, 0, 0, 1])
    start = np.array([0, 1, 5])  # blocks 0 and 1 share node 1; block 2 is apart
    end = np.array([1, 2, 6])
    # 1 (source 1) is nearest to 2 (10:06), and 2's nearest source-1 record is 1: merged.
    # 0 and 3 also see 1 (adjacent block / same block) but 1 prefers 2: they stay alone.
    labels = merge_groups(np.array([0, 1, 1, 0, 0]), t, src, start, end, 30)
    assert labels[1] == labels[2]
    assert len(set(labels.tolist())) == 4
    # 1 on a block that shares no node with block 0: nothing to merge
    labels = merge_groups(np.array([0, 2, 0, 0, 0]), t, src, start, end, 30)
    assert len(set(labels.tolist())) == 5
    # 10:00 vs 10:05 is outside a 4-minute tolerance; merge_minutes=0 is off
    labels = merge_groups(np.array([0, 1, 2, 2, 2]), t, src, start, end, 4)
    assert len(set(labels.tolist())) == 5
    assert merge_groups(np.array([0, 1, 1, 0, 0]), t, src, start, end, 0).tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_untimed_long_spans_unknown_blocks_and_period():
    blocks, geoms = line_blocks()
    inc = incidents(
        [
            ("B0", "police", None, None, 1.0),  # no time
            ("B1", "police", "2024-03-01 20:00", "2024-03-06 00:00", 1.0),  # 100 h: flagged
            ("ZZ", "police", "2024-03-01 23:00", None, 1.0),  # unknown block
            ("B2", "police", "2024-03-01 23:59", None, 1.0),
            ("B3", "police", "2024-03-02 00:00", None, 1.0),
            ("B4", "police", "2024-03-02 05:00", "2024-03-02 04:00", 1.0),  # reversed
        ]
    )
    res = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1)
    s = res.summary
    assert (s["incidents_input"], s["incidents_unknown_block"], s["incidents_used"]) == (6, 1, 5)
    assert (s["incidents_without_time"], s["spans_flagged"], s["spans_reversed"]) == (1, 1, 1)
    assert s["incidents_counted_in_windows"] == 3
    assert s["blocks_with_any"] == 5  # untimed and flagged still count in totals
    assert res.table.incidents.tolist() == [0, 0, 1, 1, 0, 0]
    per = compute_risk(
        inc, blocks, geoms, NIGHT, hot_rule=TOP1, period_start="2024-03-01", period_end="2024-03-01"
    )
    # a night belongs to the evening it starts: Sat 00:00 (B3) is Friday's night, in period
    assert per.table.incidents.tolist() == [0, 0, 1, 1, 0, 0]
    # B1 (flagged, but on the period's day), B2 and B3; untimed B0 cannot be placed; B4
    # (Sat 05:00) is in no Friday-night occurrence and not on the period's day
    assert per.summary["incidents_used"] == 3
    assert per.summary["incidents_outside_period"] == 1


def test_month_only_records_are_not_flagged_as_long_spans():
    # data.police.uk: a month is not a from/to range of clock times; it is reported as a
    # record without a time of day, and counts in an `all` window.
    blocks, geoms = line_blocks()
    inc = incidents(
        [
            ("B0", "police", "2018-07-01 00:00", "2018-08-01 00:00", 1.0),
            ("B1", "police", "2018-07-01 00:00", "2018-08-01 00:00", 1.0),
            ("B2", "police", "2018-07-01 20:00", "2018-07-06 00:00", 1.0),  # 100 h: flagged
        ]
    )
    inc["time_precision"] = ["month", "month", "range"]
    res = compute_risk(inc, blocks, geoms, parse_windows("all=all"), hot_rule=TOP1)
    s = res.summary
    assert (s["spans_flagged"], s["incidents_without_time_of_day"]) == (1, 2)
    assert res.table.incidents.tolist()[:3] == [1, 1, 1]


def test_trend_last_third_against_the_rest():
    blocks, geoms = line_blocks(3)
    rows = [
        ("B0", "police", d, None, 1.0)
        for d in ("2024-01-02 12:00", "2024-01-10 12:00", "2024-01-22 12:00", "2024-01-25 12:00")
    ]
    rows += [("B1", "police", "2024-01-28 12:00", None, 1.0)]
    res = compute_risk(
        incidents(rows),
        blocks,
        geoms,
        parse_windows("daily 00:00-24:00"),
        hot_rule=TOP1,
        period_start="2024-01-01",
        period_end="2024-01-30",
    )
    trend = res.table.trend.tolist()
    assert trend[0] == 2.0  # 2 in the last 10 days vs 2 in the first 20: rate ratio 2
    assert math.isnan(trend[1]) and math.isnan(trend[2])


def test_hot_rules_ranks_percentiles_and_concentration():
    blocks, geoms = line_blocks()
    counts = [9, 3, 3, 1, 0, 0]
    rows = [
        (f"B{i}", "police", f"2024-01-{5 + 7 * (k % 4):02d} 23:00", None, 1.0)
        for i, c in enumerate(counts)
        for k in range(c)
    ]
    inc = incidents(rows)

    def run(rule):
        return compute_risk(inc, blocks, geoms, NIGHT, hot_rule=rule).table

    t = run(HotRule("top_n", 2))
    assert t.incidents.tolist() == counts
    assert t["rank"].tolist() == [1, 2, 2, 4, 5, 5]
    assert t.percentile.tolist() == pytest.approx([100, 500 / 6, 500 / 6, 50, 200 / 6, 200 / 6])
    assert t.hot.tolist() == [True, True, True, False, False, False]  # ties at the cut
    assert run(HotRule("top_length_share", 0.34)).hot.tolist() == [True, True] + [False] * 4
    assert run(HotRule("significance", 0.05)).hot.tolist() == [True] + [False] * 5
    assert run(HotRule("top_n", 0)).hot.sum() == 0
    s = compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1).summary
    assert s["share_top_1pct_blocks"] == 9 / 16 and s["share_top_5pct_blocks"] == 9 / 16
    assert s["share_top_1pct_length"] == 0.0  # one 100 m block is 16.7% of 600 m
    assert s["network_length_m"] == 600.0
    with pytest.raises(ValueError):
        HotRule("top_share", 1)
    with pytest.raises(ValueError):
        HotRule("top_length_share", 1.5)


def test_progress_cancel_and_bad_inputs():
    blocks, geoms = line_blocks()
    inc = incidents([("B0", "police", "2024-03-01 23:00", None, 1.0)])
    seen = []
    compute_risk(
        inc, blocks, geoms, NIGHT_DAY, hot_rule=TOP1, bandwidth_m=150, progress=seen.append
    )
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        compute_risk(inc, blocks, geoms, NIGHT, hot_rule=TOP1, cancelled=lambda: next(calls))
    with pytest.raises(ValueError, match="time window"):
        compute_risk(inc, blocks, geoms, [], hot_rule=TOP1)
    with pytest.raises(ValueError, match="unique"):
        compute_risk(
            inc, pd.concat([blocks, blocks]), np.concatenate([geoms, geoms]), NIGHT, hot_rule=TOP1
        )
    with pytest.raises(ValueError, match="block_geoms"):
        compute_risk(inc, blocks, None, NIGHT, hot_rule=TOP1, bandwidth_m=100)
