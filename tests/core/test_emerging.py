"""Trend test and emerging-hot-block patterns against brute force and hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from hotblocking.emerging import (
    FALLING,
    FLAT,
    RISING,
    block_trends,
    evening_dates,
    mann_kendall,
    pattern_classes,
    step_of_evening,
)
from hotblocking.windows import parse_windows


def brute_mann_kendall(x):
    """Textbook Mann-Kendall with loops: S, tau, two-sided p (tie-corrected variance)."""
    n = len(x)
    s = sum(
        math.copysign(1, x[j] - x[i]) if x[j] != x[i] else 0
        for i in range(n)
        for j in range(i + 1, n)
    )
    ties = {}
    for v in x:
        ties[v] = ties.get(v, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    z = 0.0 if s == 0 else (s - math.copysign(1, s)) / math.sqrt(var)
    p = math.erfc(abs(z) / math.sqrt(2))
    return s, s / (n * (n - 1) / 2), p


def test_mann_kendall_equals_brute_force_with_ties():
    rng = np.random.default_rng(5)
    series = rng.integers(0, 4, size=(40, 12)).astype(float)
    series[0] = np.arange(12)  # a clean rise
    series[1] = 3.0  # constant: no trend, p = 1
    s, tau, p = mann_kendall(series)
    for row in range(series.shape[0]):
        ref = brute_mann_kendall(series[row].tolist())
        if row == 1:
            assert s[row] == 0 and p[row] == 1.0
            continue
        assert s[row] == ref[0]
        assert tau[row] == pytest.approx(ref[1])
        assert p[row] == pytest.approx(ref[2])


def test_patterns_by_hand():
    T, F = True, False
    hot = np.array(
        [
            [F, F, F, F, F, F, F, F, F, T],  # new
            [F, F, F, F, F, F, F, T, T, T],  # consecutive
            [F, T, F, F, T, F, F, T, F, T],  # sporadic
            [T] * 10,  # persistent (no trend)
            [T] * 10,  # intensifying
            [T] * 10,  # diminishing
            [T, T, T, T, T, T, T, T, T, F],  # historical
            [F] * 10,  # never hot
        ]
    )
    words = np.array([FLAT, FLAT, FLAT, FLAT, RISING, FALLING, FLAT, FLAT], dtype=object)
    assert pattern_classes(hot, words).tolist() == [
        "new",
        "consecutive",
        "sporadic",
        "persistent",
        "intensifying",
        "diminishing",
        "historical",
        "no pattern",
    ]


def test_evening_dates_and_steps():
    (night,) = parse_windows("Fri-Sat 22:00-04:00")
    readings = np.array(
        ["2025-06-07T01:30", "2025-06-06T23:00", "2025-06-09T12:00"], dtype="M8[ms]"
    )
    assert evening_dates(readings, night).astype(str).tolist() == [
        "2025-06-06",
        "2025-06-06",
        "2025-06-09",
    ]
    days = np.array(["2025-06-01", "2025-06-30", "2025-07-01"], dtype="M8[D]")
    assert step_of_evening(days, np.datetime64("2025-06-01"), "month").tolist() == [0, 0, 1]
    # 2025-06-01 is a Sunday: the Monday after starts week 1
    weeks = step_of_evening(
        np.array(["2025-06-01", "2025-06-02"], dtype="M8[D]"), np.datetime64("2025-06-01"), "week"
    )
    assert weeks.tolist() == [0, 1]


def test_block_trends_rising_hot_block_and_small_counts_withheld():
    steps = 12
    rising = np.arange(1, steps + 1) * 2.0  # 2, 4, ..., 24 on block 0
    few = np.zeros(steps)
    few[[2, 7]] = 1  # 2 incidents: below the minimum, no words
    background = np.ones(steps) * 0.5  # spread over the 98 other blocks
    dense = np.vstack([rising, few] + [background / 98] * 98)
    trends = block_trends(sp.csr_matrix(dense), np.full(100, 100.0), min_count=10)
    assert trends.word[0] == RISING and trends.tau[0] == pytest.approx(1.0)
    assert trends.pattern[0] == "intensifying"
    assert trends.word[1] is None and trends.pattern[1] is None and np.isnan(trends.tau[1])
