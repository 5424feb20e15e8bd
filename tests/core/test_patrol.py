"""Patrol plans, hour grids and the brief's wordings (hotblocking.patrol)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hotblocking.patrol import (
    PatrolPlanError,
    busiest_hours,
    describe_window,
    format_minute,
    format_visit,
    hour_grid,
    occurrence_minutes,
    patrol_plan,
    significance_words,
    suppress_count,
    suppress_row,
    trend_words,
)
from hotblocking.windows import parse_windows

NIGHTS, LUNCH = parse_windows(
    "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00"
)
(SUNDAY_NIGHT,) = parse_windows("Sun 23:00-01:00")
(ALL_DAY,) = parse_windows("daily 00:00-24:00")


def inside(window, visit):
    return any(a <= visit[0] and visit[1] <= b for a, b in occurrence_minutes(window))


def test_occurrences_do_not_wrap_at_week_end():
    assert occurrence_minutes(NIGHTS) == [
        (4 * 1440 + 1320, 5 * 1440 + 240),
        (5 * 1440 + 1320, 6 * 1440 + 240),
    ]
    assert occurrence_minutes(SUNDAY_NIGHT) == [(6 * 1440 + 1380, 6 * 1440 + 1500)]


@pytest.mark.parametrize("window", [NIGHTS, LUNCH, SUNDAY_NIGHT, ALL_DAY])
@pytest.mark.parametrize("seed", [0, 1, 2, 12345, (7, 3)])
def test_plan_is_inside_the_window_sorted_and_non_overlapping(window, seed):
    n = 3 if window is not SUNDAY_NIGHT else 2
    plan = patrol_plan(window, n, 15, seed=seed)
    assert len(plan) == n
    assert all(e - s == 15 for s, e in plan)
    assert all(s % 5 == 0 for s, _ in plan)
    assert all(inside(window, v) for v in plan)
    assert [s for s, _ in plan] == sorted(s for s, _ in plan)
    assert all(plan[i][1] <= plan[i + 1][0] for i in range(n - 1))


def test_plan_is_reproducible_and_seed_dependent():
    assert patrol_plan(NIGHTS, 3, 15, seed=0) == patrol_plan(NIGHTS, 3, 15, seed=0)
    plans = {tuple(patrol_plan(NIGHTS, 3, 15, seed=s)) for s in range(20)}
    assert len(plans) > 15
    assert patrol_plan(NIGHTS, 3, 15, seed=(0, 1)) != patrol_plan(NIGHTS, 3, 15, seed=(0, 2))


def test_plan_does_not_touch_the_global_generator():
    np.random.seed(99)
    expected = np.random.random()
    np.random.seed(99)
    patrol_plan(NIGHTS, 3, 15, seed=5)
    assert np.random.random() == expected


def test_tight_fit_is_always_found():
    # two 6-hour nights hold exactly 24 back-to-back 30-minute visits: the only plan
    for seed in range(5):
        plan = patrol_plan(NIGHTS, 24, 30, seed=seed)
        starts = [s for s, _ in plan]
        night1 = list(range(4 * 1440 + 1320, 5 * 1440 + 240, 30))
        night2 = list(range(5 * 1440 + 1320, 6 * 1440 + 240, 30))
        assert starts == night1 + night2


def test_visits_that_cannot_fit_give_a_clear_error():
    with pytest.raises(
        PatrolPlanError,
        match=r"25 visits of 30 minutes cannot fit in window 'Fri/Sat nights'.*at most 24",
    ):
        patrol_plan(NIGHTS, 25, 30, seed=0)
    with pytest.raises(PatrolPlanError, match="at most 0"):
        patrol_plan(SUNDAY_NIGHT, 1, 180, seed=0)
    with pytest.raises(PatrolPlanError, match="whole number of minutes"):
        patrol_plan(NIGHTS, 1, 0, seed=0)
    assert patrol_plan(NIGHTS, 0, 15, seed=0) == []


def test_week_start_gives_wall_clock_times():
    plan = patrol_plan(SUNDAY_NIGHT, 1, 15, seed=3, week_start="2025-06-02")
    start, end = plan[0]
    assert start >= np.datetime64("2025-06-08T23:00") and end <= np.datetime64("2025-06-09T01:00")
    with pytest.raises(PatrolPlanError, match="Monday"):
        patrol_plan(NIGHTS, 1, 15, seed=0, week_start="2025-06-03")


def test_profile_weighting_pulls_visits_to_the_peak_but_keeps_some_spread():
    profile = np.zeros(168)
    profile[5 * 24 + 2] = 10.0  # Sat 02:00-03:00: the block's only busy hour
    hits = uniform_hits = 0
    for seed in range(200):
        (visit,) = patrol_plan(NIGHTS, 1, 15, seed=seed, profile=profile)
        hits += 5 * 1440 + 120 <= visit[0] and visit[1] <= 5 * 1440 + 180
        (visit,) = patrol_plan(NIGHTS, 1, 15, seed=seed)
        uniform_hits += 5 * 1440 + 120 <= visit[0] and visit[1] <= 5 * 1440 + 180
    # uniform: 10 of 144 start times fit the hour (~7%); peak_share 0.5: ~45%
    assert uniform_hits < 30 and 60 < hits < 130
    (visit,) = patrol_plan(NIGHTS, 1, 15, seed=1, profile=profile, peak_share=1.0)
    assert 5 * 1440 + 105 <= visit[0] < 5 * 1440 + 180  # overlaps the peak hour


def test_formatting_of_times():
    assert format_minute(4 * 1440 + 23 * 60 + 10) == "Fri 23:10"
    assert format_visit((4 * 1440 + 23 * 60 + 10, 4 * 1440 + 23 * 60 + 25)) == "Fri 23:10-23:25"
    assert format_visit((4 * 1440 + 23 * 60 + 45, 5 * 1440)) == "Fri 23:45-24:00"
    assert format_visit((4 * 1440 + 23 * 60 + 55, 5 * 1440 + 10)) == "Fri 23:55-00:10"
    assert format_minute(7 * 1440 + 30) == "Mon 00:30"  # past Sunday night


def test_hour_grid_from_profile_text():
    values = ["0"] * 168
    values[4 * 24 + 23] = "2.5"
    values[5 * 24 + 1] = "1"
    grid = hour_grid(",".join(values))
    assert grid.shape == (7, 24)
    assert grid[4, 23] == 2.5 and grid[5, 1] == 1 and grid.sum() == 3.5
    assert hour_grid("").sum() == 0 and hour_grid(None).sum() == 0
    with pytest.raises(ValueError, match="168 values"):
        hour_grid("1,2,3")
    assert busiest_hours(grid) == [4 * 24 + 23, 5 * 24 + 1]


@pytest.mark.parametrize(
    "n, min_shown, text",
    [
        (0, 8, "0"),
        (1, 8, "<8"),
        (7.6, 8, "<8"),
        (8, 8, "8"),
        (1234.4, 8, "1,234"),
        (3, 0, "3"),
        (3, 1, "3"),
        (0.2, 0, "<1"),
        (0.2, 8, "<8"),
        (2.5, 0, "3"),
        (None, 8, "–"),
        (float("nan"), 0, "–"),
    ],
)
def test_suppress_count(n, min_shown, text):
    assert suppress_count(n, min_shown) == text


def test_secondary_suppression_stops_differencing():
    # 150 = 37 + 56 + 57: with 56, 57 and 150 printed, 37 would be recoverable
    assert suppress_row([56, 37, 57], 150, 50) == (["*", "<50", "57"], "150")
    assert suppress_row([56, 37, 20], 113, 50) == (["56", "<50", "<50"], "113")  # two hidden: safe
    assert suppress_row([37, 0, 0], 37, 50) == (["<50", "0", "0"], "<50")
    assert suppress_row([37, 0, 0], 60, 50) == (["<50", "0", "0"], "*")  # merged duplicates
    assert suppress_row([56, 37], 93, 0) == (["56", "37"], "93")


def test_wording():
    assert significance_words(1e-9, 1e-7) == "far more than its length predicts (q < 0.001)"
    assert significance_words(0.001, 0.005) == "far more than its length predicts (q < 0.01)"
    assert significance_words(0.01, 0.03) == "more than its length predicts (q < 0.05)"
    assert "could be chance" in significance_words(0.01, 0.2)
    assert significance_words(float("nan"), float("nan")).startswith("not tested")
    assert (
        significance_words(1e-9, 1e-7, ratio=19.2)
        == "far more than its length predicts (19 × expected; q < 0.001)"
    )
    assert (
        significance_words(0.01, 0.03, ratio=2.34)
        == "more than its length predicts (2.3 × expected; q < 0.05)"
    )
    assert trend_words(1.5) == "rising (recent rate 1.5 × the earlier rate)"
    assert trend_words(0.5).startswith("falling") and trend_words(1.0).startswith("steady")
    assert trend_words(float("nan"), 3).startswith("new")


def test_core_does_not_import_qgis():
    code = (
        "import sys, hotblocking.patrol; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('qgis', 'PyQt5', 'PyQt6')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "spec, words",
    [
        ("Fri-Sat 22:00-04:00", "Fri and Sat, 22:00 to 04:00 next day"),
        ("weekdays 11:00-15:00", "Mon to Fri, 11:00 to 15:00"),
        ("Mon,Wed,Fri 18:00-24:00", "Mon, Wed and Fri, 18:00 to 24:00"),
        ("daily 00:00-24:00", "every day, all day"),
        ("Sun 23:00-00:00", "Sun, 23:00 to 24:00"),
        ("Thu-Sat 21:00-03:00", "Thu to Sat, 21:00 to 03:00 next day"),
    ],
)
def test_describe_window(spec, words):
    assert describe_window(parse_windows(spec)[0]) == words
