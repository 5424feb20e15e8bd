"""The stages of compute_risk, each on its own (hotblocking.risk.*), with hand-worked values."""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from shapely.geometry import LineString

from hotblocking import schema
from hotblocking.network import build_network
from hotblocking.risk.counts import count_window, window_share
from hotblocking.risk.inputs import read_blocks, read_incidents
from hotblocking.risk.merging import merge_duplicates
from hotblocking.risk.period import in_last_third
from hotblocking.risk.profiles import keep_columns, peak_labels, row_argmax
from hotblocking.risk.ranking import HotRule, hot_blocks, rank_window
from hotblocking.risk.table import RiskTable
from hotblocking.risk.weights import age_reference, risk_weights, time_flags
from hotblocking.windows import parse_windows

LONDON = "Europe/London"


def blocks(n=3):
    frame = pd.DataFrame(
        {
            "block_id": [f"B{i}" for i in range(n)],
            "link_id": "L",
            "name": "Street",
            "length_m": [100.0, np.nan, -5.0][:n],
        }
    )
    geoms = np.array([LineString([(100 * i, 0), (100 * i + 100, 0)]) for i in range(n)])
    return read_blocks(frame, geoms)


def incidents(rows, weights=None, period=(None, None)):
    frame = pd.DataFrame(rows, columns=["block_id", "source", "time_start", "time_end", "weight"])
    for column in ("time_start", "time_end"):
        frame[column] = pd.to_datetime(frame[column])
    return read_incidents(frame, blocks(), weights, *period, LONDON)


def test_blocks_take_missing_lengths_from_geometry_and_zero_bad_ones():
    assert blocks().lengths.tolist() == [100.0, 100.0, 0.0]


def test_incidents_keep_known_blocks_in_the_period_and_count_the_rest():
    kept, sources, given = incidents(
        [
            ("B0", "police", "2024-03-01 23:00", None, 2.0),
            ("B9", "police", "2024-03-01 23:00", None, 1.0),  # unknown block
            ("B1", None, None, None, None),  # no time, no source
            ("B2", "A&E", "2024-05-01 12:00", None, None),  # outside the period
        ],
        weights={"ambulance": 0.5},
        period=("2024-03-01", "2024-03-31"),
    )
    assert (given.given, given.unknown_block, given.without_time, given.outside_period) == (
        4,
        1,
        1,
        1,
    )
    assert kept.block.tolist() == [0] and kept.weight.tolist() == [2.0]
    assert sources.labels == ["A&E", "ambulance", "police", "unknown"]
    assert sources.weights.tolist() == [1.0, 0.5, 1.0, 1.0]
    assert kept.start_utc[0] == np.datetime64("2024-03-01T23:00", "ms")  # GMT in March


def test_time_flags_real_durations_and_the_span_limit():
    kept, _, _ = incidents(
        [
            ("B0", "police", "2024-03-30 20:00", "2024-03-31 02:00", 1.0),  # 5 real hours
            ("B0", "police", "2024-03-01 20:00", "2024-03-01 19:00", 1.0),  # reversed
            ("B0", "police", "2024-03-01 20:00", None, 1.0),
        ]
    )
    flags = time_flags(kept, max_span_hours=5.5)
    assert flags.is_range.tolist() == [True, False, False]
    assert flags.reversed.tolist() == [False, True, False]
    assert flags.too_long.tolist() == [False] * 3
    assert time_flags(kept, max_span_hours=4.5).too_long.tolist() == [True, False, False]
    assert time_flags(kept, max_span_hours=None).countable.all()


def test_weights_source_decay_and_harm():
    kept, sources, _ = incidents(
        [
            ("B0", "police", "2024-01-01 12:00", None, 10.0),
            ("B0", "A&E", "2024-01-11 12:00", None, np.nan),
        ],
        weights={"police": 0.5},
    )
    flags = time_flags(kept, 72.0)
    mask = np.zeros((2, len(sources)), dtype=bool)
    mask[np.arange(2), kept.source] = True
    reference = age_reference(kept, flags.has_time)
    assert reference == np.datetime64("2024-01-11T12:00", "ms")
    harm = np.where(np.isnan(kept.weight), 1.0, kept.weight)
    weight = risk_weights(
        kept,
        mask,
        sources,
        flags,
        use_harm=True,
        half_life_days=10,
        harm=harm,
        reference_local=reference,
        tz=LONDON,
    )
    assert weight.tolist() == [0.5 * 0.5 * 10.0, 1.0]


def test_study_period_last_third():
    kept, _, _ = incidents(
        [
            ("B0", "police", "2024-01-02 12:00", None, 1.0),
            ("B0", "police", "2024-01-25 12:00", "2024-01-27 12:00", 1.0),
        ]
    )
    flags = time_flags(kept, 72.0)
    assert in_last_third(kept, flags.has_time, "2024-01-01", "2024-01-30").tolist() == [
        False,
        True,
    ]
    assert in_last_third(kept, np.zeros(2, bool)) is None


def test_counts_in_one_window_by_source_with_first_and_last_seen():
    kept, sources, _ = incidents(
        [
            ("B0", "police", "2024-03-01 21:00", "2024-03-01 23:00", 4.0),  # half inside
            ("B0", "A&E", "2024-03-02 01:00", None, np.nan),  # Fri night, inside
            ("B1", "A&E", "2024-03-04 12:00", None, np.nan),  # Monday: outside
        ]
    )
    (night,) = parse_windows("Fri-Sat 22:00-04:00")
    share = window_share(kept, night, None, None, 72.0, LONDON)
    assert share.tolist() == [0.5, 1.0, 0.0]
    events = merge_duplicates(kept, len(sources), None, merge_minutes=0)
    harm = np.where(np.isnan(kept.weight), 1.0, kept.weight)
    counts = count_window(kept, share, events, harm, np.ones(3), None, 3)
    assert counts.incidents.tolist() == [1.5, 0.0, 0.0]
    assert counts.events.tolist() == [1.5, 0.0, 0.0]
    assert counts.by_source.tolist() == [[1.0, 0.0, 0.0], [0.5, 0.0, 0.0]]  # A&E, police
    assert counts.harm.tolist() == [3.0, 0.0, 0.0]
    assert counts.first_seen[0] == np.datetime64("2024-03-01T21:00", "ms")
    assert counts.last_seen[0] == np.datetime64("2024-03-02T01:00", "ms")
    assert np.isnat(counts.first_seen[1]) and np.isnan(counts.trend).all()


def test_merging_keeps_the_earliest_with_the_largest_harm_and_both_sources():
    kept, sources, _ = incidents(
        [
            ("B0", "police", "2024-03-01 23:10", None, 5.0),
            ("B1", "ambulance", "2024-03-01 23:00", None, np.nan),  # adjacent block
            ("B0", "ambulance", "2024-03-02 03:00", None, np.nan),  # hours later: kept
        ]
    )
    network = build_network(blocks().geometries)
    events = merge_duplicates(kept, len(sources), network, merge_minutes=30)
    assert len(events) == 2
    assert kept.block[events.first].tolist() == [1, 0]  # the 23:00 call stands for the pair
    assert events.weight[0] == 5.0 and np.isnan(events.weight[1])  # the pair's largest harm
    assert events.source_mask.tolist() == [[True, True], [True, False]]  # ambulance, police
    assert events.group.tolist() == [0, 0, 1]
    separate = merge_duplicates(kept, len(sources), None, merge_minutes=0)
    assert len(separate) == 3 and separate.source_mask.sum() == 3


def test_repeat_calls_within_a_source_are_one_event_per_span():
    calls = ["2024-03-01 23:00", "2024-03-01 23:05", "2024-03-01 23:08", "2024-03-01 23:50"]
    kept, sources, _ = incidents([("B0", "ambulance", t, None, np.nan) for t in calls])
    network = build_network(blocks().geometries)
    events = merge_duplicates(kept, len(sources), network, merge_minutes=30)
    assert events.group.tolist() == [0, 0, 0, 1]  # 23:50 is 42 minutes after 23:08
    off = merge_duplicates(kept, len(sources), network, merge_minutes=30, repeats=False)
    assert len(off) == 4
    every_five = pd.date_range("2024-03-01 20:00", periods=36, freq="5min").astype(str)
    busy, sources, _ = incidents([("B0", "ambulance", t, None, np.nan) for t in every_five])
    assert len(merge_duplicates(busy, len(sources), network, merge_minutes=30)) == 6


def test_records_without_a_time_of_day_never_merge():
    kept, sources, _ = incidents(
        [
            ("B0", "police", "2024-03-01 00:00", None, np.nan),
            ("B0", "ambulance", "2024-03-01 00:00", None, np.nan),
        ]
    )
    kept.time_of_day[:] = False  # as for two records of one day (date only)
    network = build_network(blocks().geometries)
    assert len(merge_duplicates(kept, len(sources), network, merge_minutes=30)) == 2


def test_ranks_significance_and_hot_rules():
    lengths = np.full(4, 100.0)
    ranks = rank_window(
        np.array([3.0, 1.0, 1.0, 0.0]), np.array([3.0, 1, 1, 0]), lengths, HotRule("top_n", 1)
    )
    assert ranks.rank.tolist() == [1, 2, 2, 4]
    assert ranks.percentile.tolist() == [100.0, 75.0, 75.0, 25.0]
    assert ranks.expected.tolist() == [1.25] * 4
    assert ranks.hot.tolist() == [True, False, False, False]
    share = hot_blocks(
        HotRule("top_length_share", 0.5),
        np.array([3.0, 1, 1, 0]),
        ranks.rank,
        ranks.q_value,
        lengths,
    )
    assert share.tolist() == [True, True, False, False]


def test_profile_window_cells_and_peak():
    profiles = sp.csr_matrix(np.array([[0, 2.0, 3.0, 0], [1.0, 0, 0, 0], [0, 0, 0, 0]]))
    kept = keep_columns(profiles, np.array([False, True, False, True]))
    assert kept.toarray().tolist() == [[0, 2.0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert row_argmax(profiles).tolist() == [2, 0, 4]
    week = sp.csr_matrix(([2.0, 2.0], ([0, 0], [5 * 24 + 1, 5 * 24 + 3])), shape=(2, 168))
    assert peak_labels(week, np.array([4.0, 0.0])).tolist() == ["Sat 01:00-02:00", ""]


def test_table_is_built_in_schema_order():
    table = RiskTable(["n_a_e"], n_blocks=2, n_windows=1)
    table.put(0, incidents=[1.0, 2.0], n_a_e=[1.0, 0.0], rank=[2, 1], hot=[False, True])
    assert table.get(0, "incidents").tolist() == [1.0, 2.0]
    names = ("block_id", "link_id", "name", "description", "window", "window_spec", "sources")
    whole = {name: np.array(["x", "y"], dtype=object) for name in names}
    frame = table.frame(whole)
    assert list(frame.columns) == schema.HOT_BLOCKS.names(["n_a_e"])
    assert frame["rank"].dtype == np.int64 and frame["hot"].dtype == bool
