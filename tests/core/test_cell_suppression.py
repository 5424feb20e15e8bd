"""No suppressed count can be worked out from what a brief section prints.

The printed texts come from hotblocking.brief_counts (which uses hotblocking.cell_suppression);
the reader who tries to recover the hidden counts is tests/helpers/hb_attacker.py, written
independently (integer programming on the printed numbers, and linear programming with
each printed number known only to +-0.5).
"""

import numpy as np
import pandas as pd
import pytest
from hb_attacker import PrintedSection, recovered

from hotblocking.brief_counts import section_counts
from hotblocking.cell_suppression import PRIMARY, PRINTED, SECONDARY, CountTable, protect

SOURCES = ["n_ambulance", "n_a_e", "n_police"]


def frame_of(counts, untimed=None):
    """A window's rows: one per block, counts per source (totals are their sums)."""
    counts = np.asarray(counts, dtype=float)
    frame = pd.DataFrame(counts, columns=SOURCES[: counts.shape[1]])
    frame["incidents"] = counts.sum(axis=1)
    return frame


def printed(frame, listed, min_shown, untimed=None):
    """Run the brief's suppression; return what it printed and the true values by name."""
    cols = [c for c in frame.columns if c.startswith("n_")]
    rows = frame.iloc[listed]
    area_untimed = None if untimed is None else float(np.sum(untimed))
    counts = section_counts(
        frame,
        rows,
        cols,
        min_shown,
        None if untimed is None else (np.asarray(untimed, float)[listed], area_untimed),
    )
    section = PrintedSection(
        rows=counts.block_sources,
        totals=counts.block_totals,
        area_sources=counts.area_sources,
        area_total=counts.area_total,
        min_shown=min_shown,
        all_listed=len(listed) == len(frame),
        untimed=counts.block_untimed if untimed is not None else None,
        area_untimed=counts.area_untimed if untimed is not None else None,
    )
    truth = {}
    for i, index in enumerate(listed):
        for j, c in enumerate(cols):
            truth[f"row{i}:src{j}"] = float(frame[c].iloc[index])
        truth[f"row{i}:total"] = float(frame["incidents"].iloc[index])
        if untimed is not None:
            truth[f"row{i}:untimed"] = float(untimed[index])
            truth[f"row{i}:timed"] = float(frame["incidents"].iloc[index] - untimed[index])
    for j, c in enumerate(cols):
        truth[f"area:src{j}"] = float(frame[c].sum())
    truth["area:total"] = float(frame["incidents"].sum())
    if untimed is not None:
        truth["area:untimed"] = area_untimed
        truth["area:timed"] = truth["area:total"] - area_untimed
    return section, truth


def test_the_issues_example_cannot_be_undone_by_subtraction():
    # one block, 8 ambulance + 7 police = 15, and the area is that block: the cover used to
    # print "15 in total (Ambulance 8, Police 7)" with the 7 hidden and given away
    frame = frame_of([[8, 7]])
    section, truth = printed(frame, [0], 8)
    assert section.rows == [["*", "<8"]] and section.area_sources == ["*", "<8"]
    assert recovered(section, truth) == []


def test_a_hidden_cell_is_not_given_away_by_its_column():
    # 150 = 56 + 37 + 57 and 20 = 9 + 6 + 5: the area's police total 62 minus the printed 57
    # would give the second block's 5 away; its A&E 37 is hidden in a row of 56 and 57
    frame = frame_of([[56, 37, 57], [9, 6, 5], [0, 0, 0]])
    section, truth = printed(frame, [0, 1], 50)
    assert section.rows[0][1] == "<50" and section.rows[1] == ["<50"] * 3
    assert "62" not in section.area_sources  # police total withheld (or its 57)
    assert recovered(section, truth) == []


def test_the_attacker_is_not_toothless():
    # primary suppression alone (the old cover): the reader recovers the hidden counts
    section = PrintedSection(
        rows=[["8", "<8"]],
        totals=["15"],
        area_sources=["8", "<8"],
        area_total="15",
        min_shown=8,
        all_listed=True,
    )
    assert recovered(section, {"row0:src1": 7.0, "area:src1": 7.0}) == [
        "row0:src1=7.0: whole 7..7, real 6.00..8.00",
        "area:src1=7.0: whole 7..7, real 6.00..8.00",
    ]


def test_no_secondary_suppression_without_small_counts():
    frame = frame_of([[56, 37, 57], [19, 26, 15], [3, 0, 1]])
    section, _ = printed(frame, [0, 1], 8)
    assert section.rows == [["56", "37", "57"], ["19", "26", "15"]]
    assert section.totals == ["150", "60"] and section.area_total == "214"


def test_suppression_off_prints_everything():
    frame = frame_of([[5, 2, 1]])
    section, _ = printed(frame, [0], 0)
    assert section.rows == [["5", "2", "1"]] and section.totals == ["8"]


def test_records_without_a_time_of_day_are_protected_too():
    # a whole-period window: block 1 has 30 records, 27 without a time of day: printing
    # 27 beside 30 would give its 3 timed records away
    frame = frame_of([[20, 10], [40, 12], [5, 6]])
    untimed = [27, 45, 11]
    section, truth = printed(frame, [0, 1], 8, untimed)
    assert section.untimed[0] in ("*", "<8") or section.totals[0] in ("*", "<8")
    assert recovered(section, truth) == []


@pytest.mark.parametrize("seed", range(40))
def test_random_sections_keep_every_small_count_hidden(seed):
    rng = np.random.default_rng(seed)
    n_blocks = int(rng.integers(1, 7))
    n_sources = int(rng.integers(1, 4))
    small = rng.random((n_blocks, n_sources)) < 0.35
    counts = np.where(small, rng.integers(0, 9, (n_blocks, n_sources)), rng.integers(8, 60))
    frame = frame_of(counts)
    listed = sorted(rng.choice(n_blocks, size=int(rng.integers(1, n_blocks + 1)), replace=False))
    untimed = None
    if rng.random() < 0.4:
        totals = frame["incidents"].to_numpy()
        untimed = np.floor(totals * rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], n_blocks))
    min_shown = int(rng.choice([5, 8, 10]))
    section, truth = printed(frame, [int(i) for i in listed], min_shown, untimed)
    assert recovered(section, truth) == []


def test_protect_on_a_bare_table():
    # a + b = t with a = 3 (small), b = 20, t = 23: b or t must go
    table = CountTable()
    a, b, t = table.add(3), table.add(20), table.add(23)
    table.add_sum([a, b], t)
    status = protect(table, 8)
    assert status[a] == PRIMARY
    assert sorted(status[[b, t]].tolist()) == [PRINTED, SECONDARY]
