"""Poisson excess over a length-proportional null, BH q-values (hotblocking.significance)."""

import math

import numpy as np
import pytest

from hotblocking.significance import bh_qvalues, expected_counts, poisson_upper_p


def test_expected_counts_by_length():
    mu = expected_counts(10.0, np.array([100.0, 300.0, 0.0, np.nan]))
    assert mu.tolist() == [2.5, 7.5, 0.0, 0.0]
    assert expected_counts(5.0, np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_poisson_upper_tail_exact():
    p = poisson_upper_p(np.array([0.0, 1.0, 3.0, 3.9, 2.0]), np.array([0.5, 0.5, 0.5, 0.5, 0.0]))
    e = math.exp(-0.5)
    assert p[0] == 1.0
    assert p[1] == pytest.approx(1 - e, rel=1e-12)
    assert p[2] == pytest.approx(1 - e * (1 + 0.5 + 0.125), rel=1e-12)
    assert p[3] == p[2]  # fractional aoristic counts are floored (conservative)
    assert np.isnan(p[4])  # incidents where none are expected (zero-length block): undefined
    assert poisson_upper_p(np.array([0.0, 0.4]), np.array([0.0, 0.0])).tolist() == [1.0, 1.0]
    assert np.isnan(poisson_upper_p(np.array([np.nan]), np.array([1.0]))).all()


def test_bh_qvalues_known_example():
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.2, np.nan]))
    assert q[:4] == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert np.isnan(q[4])
    assert bh_qvalues(np.array([0.9, 0.8])).tolist() == [0.9, 0.9]
    assert bh_qvalues(np.array([])).size == 0


def test_bh_qvalues_monotone_and_capped():
    p = np.random.default_rng(0).uniform(0, 1, 500) ** 3
    q = bh_qvalues(p)
    order = np.argsort(p)
    assert (np.diff(q[order]) >= 0).all()
    assert (q >= p).all() and (q <= 1).all()


def test_planted_block_flagged_uniform_background_not():
    lengths = np.full(200, 100.0)
    observed = np.ones(200)  # one incident per block everywhere ...
    observed[17] = 15.0  # ... and a planted hot block
    mu = expected_counts(observed.sum(), lengths)
    q = bh_qvalues(poisson_upper_p(observed, mu))
    assert np.flatnonzero(q <= 0.05).tolist() == [17]
    # pure uniform background: nothing is significant
    uniform = np.random.default_rng(1).poisson(3.0, 200).astype(float)
    q = bh_qvalues(poisson_upper_p(uniform, expected_counts(uniform.sum(), lengths)))
    assert not (q <= 0.05).any()
