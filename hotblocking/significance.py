"""Is a block's count higher than chance? Poisson excess over a length-proportional null.

Null model: the window's incidents fall on the network uniformly by length (complete spatial
randomness along the network, as in Hot Routes' incidents-per-metre rate, Tompson et al. 2009),
so block i expects ``mu_i = N * len_i / L``. The one-sided p-value is the Poisson upper tail
``P(X >= k)`` = ``scipy.stats.poisson.sf(k - 1, mu)``; aoristic counts are fractional and are
floored first (conservative: 2.7 incidents are tested as 2). Multiple testing over all blocks
is controlled with Benjamini & Hochberg's (1995) false discovery rate q-values. No randomness.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import poisson

from .arrays import usable_lengths

__all__ = ["bh_qvalues", "expected_counts", "poisson_upper_p"]


def expected_counts(total: float, lengths: np.ndarray) -> np.ndarray:
    """``total * len_i / sum(len)``; non-positive or NaN lengths expect 0 (and are excluded
    from the network length)."""
    lens = usable_lengths(lengths)
    net = lens.sum()
    if net <= 0:
        return np.zeros_like(lens)
    return float(total) * lens / net


def poisson_upper_p(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``P(X >= floor(observed))`` for ``X ~ Poisson(expected)``.

    Observed 0 gives 1 (whatever the expectation). NaN where the test is undefined: NaN
    inputs, or incidents on a block that expects none (zero length).
    """
    k_b, mu_b = np.broadcast_arrays(
        np.floor(np.asarray(observed, dtype=np.float64)), np.asarray(expected, dtype=np.float64)
    )
    out = np.full(k_b.shape, np.nan)
    finite = np.isfinite(k_b) & np.isfinite(mu_b) & (mu_b >= 0)
    ok = finite & (mu_b > 0) & (k_b > 0)
    out[ok] = poisson.sf(k_b[ok] - 1, mu_b[ok])
    out[finite & (k_b <= 0)] = 1.0
    return out


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q): ``min_{j >= i} m p_(j) / j``, capped at 1.

    Vectorised (sort, reverse cumulative minimum); monotone in p. NaN p-values stay NaN and do
    not count in m.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[order] = np.minimum(ranked, 1.0)
    return q
