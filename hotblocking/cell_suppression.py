"""Secondary cell suppression: no printed figure gives a suppressed count away.

A brief prints counts that add up: each block's counts by source add up to its total, the
blocks' counts plus those of the blocks not listed add up to the area's totals by source,
and so on. Hiding a small count (primary suppression, ``"<N"``) is not enough when it can be
worked out from the figures around it ("15 in total, Ambulance 8": Police is 7). This module
chooses the further counts to withhold (``"*"``), after the cell suppression practice of
statistical offices (tau-ARGUS; Hundepool et al., *Statistical Disclosure Control*, 2012,
ch. 4) for small tables:

* the figures are variables in linear equations (:class:`CountTable`); some are printed,
  some never are (e.g. the total of the blocks not listed), some are withheld;
* a reader who knows every equation and every printed number (as printed), that ``"<N"``
  lies in 0..N, that ``"*"`` is at least N (small counts print ``"<N"``, zeros print ``0``,
  so a withheld count is never small) and that counts are not negative, bounds each unknown
  count by linear programming;
* every *sensitive* count below N (each per-block or per-area figure, printed or not) must
  keep a range at least ``PROTECTION_SHARE`` x N wide (half the suppression range: with
  N = 8 a hidden 3 could still be anything over at least 4 whole counts). Counts of the rest
  of the area (the blocks not listed) are not a place and need no protection;
* while a sensitive count is too narrowly bounded, the smallest printed non-zero count that
  shares an equation with it and widens its range enough is withheld (else the one that
  widens it most). Withholding only ever widens ranges, so a count once protected stays so.

Exact values are used as the reader's printed values here: rounding only widens the
reader's ranges, so what is protected here is protected on paper too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PRIMARY", "PRINTED", "PROTECTION_SHARE", "SECONDARY", "CountTable", "protect"]

PROTECTION_SHARE = 0.5
PRINTED, PRIMARY, SECONDARY, NOT_SHOWN = 0, 1, 2, 3


@dataclass
class CountTable:
    """Counts and the equations between them: ``sum(coef * value) == 0`` each."""

    values: list[float] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    sensitive: list[bool] = field(default_factory=list)
    equations: list[tuple[list[int], list[float]]] = field(default_factory=list)

    def add(self, value, *, shown: bool = True, sensitive: bool = True) -> int:
        """A count; returns its index. ``shown``: the brief wants to print it;
        ``sensitive``: a count about a place (protected when small)."""
        self.values.append(float(value) if value is not None and value == value else 0.0)
        self.shown.append(bool(shown))
        self.sensitive.append(bool(sensitive))
        return len(self.values) - 1

    def add_sum(self, parts: list[int], total: int) -> None:
        """``sum(parts) == total``."""
        self.equations.append(([*parts, total], [1.0] * len(parts) + [-1.0]))


def protect(table: CountTable, min_shown: int) -> np.ndarray:
    """Each count's status: :data:`PRINTED`, :data:`PRIMARY` (``"<N"``), :data:`SECONDARY`
    (``"*"``) or ``NOT_SHOWN`` (never meant to be printed). ``min_shown`` 0 or 1 = off."""
    values = np.asarray(table.values, dtype=float)
    shown = np.asarray(table.shown, dtype=bool)
    status = np.where(shown, PRINTED, NOT_SHOWN)
    if not min_shown or min_shown <= 1 or values.size == 0:
        return status
    n = float(min_shown)
    small = (values > 0) & (values < n)
    status[shown & small] = PRIMARY
    reader = _Reader(table, values, n)
    width = PROTECTION_SHARE * n
    for target in np.flatnonzero(np.asarray(table.sensitive, dtype=bool) & small):
        while reader.width(status, target) < width - 1e-9:
            chosen = _next_to_withhold(reader, status, target, width)
            if chosen is None:  # nothing printed left around it (cannot happen: see tests)
                break
            status[chosen] = SECONDARY
    return status


def _next_to_withhold(reader, status, target, width) -> int | None:
    """The printed count to withhold next for ``target`` (module doc)."""
    candidates = reader.neighbours(status, target)
    if not candidates:
        return None
    best, best_width = None, -1.0
    for index in candidates:
        trial = status.copy()
        trial[index] = SECONDARY
        got = reader.width(trial, target)
        if got >= width - 1e-9:
            return index
        if got > best_width + 1e-9:
            best, best_width = index, got
    return best


class _Reader:
    """What a reader can deduce: bounds of a count by linear programming."""

    def __init__(self, table: CountTable, values: np.ndarray, n: float) -> None:
        self.values = values
        self.n = n
        self.matrix = np.zeros((len(table.equations), values.size))
        for row, (indices, coefs) in enumerate(table.equations):
            np.add.at(self.matrix[row], indices, coefs)

    def neighbours(self, status, target) -> list[int]:
        """Printed non-zero counts sharing an equation with ``target``, smallest first;
        when there are none, those sharing one with any unknown linked to it."""
        involved = self.matrix[:, target] != 0
        printed = (status == PRINTED) & (self.values > 0)
        near = np.flatnonzero(printed & (self.matrix[involved] != 0).any(axis=0))
        if near.size == 0:
            linked = self._component(status, target)
            rows = (self.matrix[:, linked] != 0).any(axis=1)
            near = np.flatnonzero(printed & (self.matrix[rows] != 0).any(axis=0))
        return sorted(near.tolist(), key=lambda i: (self.values[i], i))

    def _component(self, status, target) -> np.ndarray:
        """The unknowns linked to ``target`` through equations."""
        unknown = status != PRINTED
        linked = np.zeros(self.values.size, dtype=bool)
        linked[target] = True
        while True:
            rows = (self.matrix[:, linked] != 0).any(axis=1)
            grown = linked | (unknown & (self.matrix[rows] != 0).any(axis=0))
            if (grown == linked).all():
                return np.flatnonzero(linked)
            linked = grown

    def width(self, status, target) -> float:
        """Largest minus smallest value ``target`` can take given what is printed."""
        from scipy.optimize import linprog

        unknown = self._component(status, target)
        rows = (self.matrix[:, unknown] != 0).any(axis=1)
        if not rows.any():
            low, high = self._bounds(status, unknown)[unknown.tolist().index(target)]
            return (np.inf if high is None else high) - low
        fixed = np.flatnonzero(status == PRINTED)
        a_eq = self.matrix[np.ix_(rows, unknown)]
        b_eq = -self.matrix[np.ix_(rows, fixed)] @ self.values[fixed]
        bounds = self._bounds(status, unknown)
        cost = (unknown == target).astype(float)
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if result.status == 3:  # unbounded
                return np.inf
            if result.status != 0:  # infeasible cannot happen with true values; be safe
                return np.inf
            ends.append(sign * result.fun)
        return ends[1] - ends[0]

    def _bounds(self, status, unknown) -> list[tuple[float, float | None]]:
        out = []
        for index in unknown:
            if status[index] == PRIMARY:
                out.append((0.0, self.n))
            elif status[index] == SECONDARY:
                out.append((self.n, None))
            else:
                out.append((0.0, None))
        return out
