"""Patrol plans (hotblocking.patrol)."""

import numpy as np
import pytest

from hotblocking.errors import PatrolPlanError
from hotblocking.patrol import occurrence_minutes, patrol_plan
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
