"""A reader who tries to work out suppressed counts from everything a brief prints.

Written for the tests, independently of the plugin's own suppression code: it reads the
printed texts of one window's section ("56", "<50", "*", "0"), states every sum a reader
knows holds between them (each block's sources add up to its total, the listed blocks plus
the rest add up to the area's figures, the area's sources add up to its total, and for a
whole-period window records without a time of day + records with one = the total), and then
solves for each count:

* :func:`integer_range`: the smallest and largest whole number each count can be, by mixed
  integer programming (scipy's ``milp``) with the printed numbers as exact whole numbers
  (the test data are whole records);
* :func:`real_range`: the same over real numbers with each printed number known only to
  +-0.5 (it was rounded), by linear programming (``linprog``).

A reader knows: ``"<N"`` is 1..N-1 (zeros print ``0``), ``"*"`` is at least N (a small
count would print ``"<N"``), no count is negative, and the rest of the area (blocks not
listed) is unknown unless every block is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp


@dataclass
class PrintedSection:
    """The counts one section printed, as texts."""

    rows: list[list[str]]  # per listed block, per source
    totals: list[str]  # per listed block
    area_sources: list[str]
    area_total: str
    min_shown: int
    all_listed: bool = False  # every block of the window is listed: the rest is 0
    untimed: list[str] | None = None  # per listed block (whole-period windows)
    area_untimed: str | None = None


@dataclass
class _Model:
    names: list[str] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    equations: list[dict[int, float]] = field(default_factory=list)

    def var(self, name: str, text: str | None) -> int:
        self.names.append(name)
        self.texts.append(text)
        return len(self.names) - 1

    def sums(self, parts: list[int], total: int) -> None:
        eq = {p: 1.0 for p in parts}
        eq[total] = eq.get(total, 0.0) - 1.0
        self.equations.append(eq)


def _model(s: PrintedSection) -> _Model:
    m = _Model()
    n_src = len(s.area_sources)
    cells = [[m.var(f"row{i}:src{j}", t) for j, t in enumerate(r)] for i, r in enumerate(s.rows)]
    totals = [m.var(f"row{i}:total", t) for i, t in enumerate(s.totals)]
    area = [m.var(f"area:src{j}", t) for j, t in enumerate(s.area_sources)]
    area_total = m.var("area:total", s.area_total)
    rest_known = "0" if s.all_listed else None
    rest = [m.var(f"rest:src{j}", rest_known) for j in range(n_src)]
    rest_total = m.var("rest:total", rest_known)
    for row, total in zip(cells, totals):
        if row:
            m.sums(row, total)
    for j in range(n_src):
        m.sums([row[j] for row in cells] + [rest[j]], area[j])
    m.sums([*totals, rest_total], area_total)
    if area:
        m.sums(area, area_total)
        m.sums(rest, rest_total)
    if s.untimed is not None:
        untimed = [m.var(f"row{i}:untimed", t) for i, t in enumerate(s.untimed)]
        timed = [m.var(f"row{i}:timed", None) for i in range(len(s.untimed))]
        for u, k, t in zip(untimed, timed, totals):
            m.sums([u, k], t)
        area_u = m.var("area:untimed", s.area_untimed)
        area_k = m.var("area:timed", None)
        m.sums([area_u, area_k], area_total)
        rest_u = m.var("rest:untimed", rest_known)
        rest_k = m.var("rest:timed", rest_known)
        m.sums([*untimed, rest_u], area_u)
        m.sums([*timed, rest_k], area_k)
        m.sums([rest_u, rest_k], rest_total)
    return m


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _bounds(text: str | None, n: int, slack: float) -> tuple[float, float]:
    """What a reader knows of one count from its printed text."""
    if text is None or text in ("–", ""):
        return 0.0, np.inf
    if text == "*":
        return float(n), np.inf
    if text.startswith("<"):
        return 1.0 if slack == 0 else 0.0, float(int(text[1:]) - (1 if slack == 0 else 0))
    value = _number(text)
    if value == 0:
        return 0.0, 0.0
    return max(value - slack, 0.0), value + slack


def _ranges(s: PrintedSection, integer: bool) -> dict[str, tuple[float, float]]:
    m = _model(s)
    slack = 0.0 if integer else 0.5
    n_var = len(m.names)
    a = np.zeros((len(m.equations), n_var))
    for row, eq in enumerate(m.equations):
        for index, coef in eq.items():
            a[row, index] += coef
    low, high = zip(*(_bounds(t, s.min_shown, slack) for t in m.texts))
    out = {}
    for target in range(n_var):
        ends = []
        for sign in (1.0, -1.0):
            cost = np.zeros(n_var)
            cost[target] = sign
            if integer:
                result = milp(
                    cost,
                    constraints=LinearConstraint(a, 0.0, 0.0),
                    bounds=Bounds(np.array(low), np.array(high)),
                    integrality=np.ones(n_var),
                )
            else:
                result = linprog(
                    cost,
                    A_eq=a,
                    b_eq=np.zeros(len(m.equations)),
                    bounds=list(zip(low, [None if h == np.inf else h for h in high])),
                    method="highs",
                )
            assert result.status in (0, 3), (m.names[target], result.message)
            ends.append(np.inf * -sign if result.status == 3 else sign * result.fun)
        out[m.names[target]] = (ends[0], ends[1])
    return out


def integer_range(s: PrintedSection) -> dict[str, tuple[float, float]]:
    """Each count's smallest and largest possible whole value."""
    return _ranges(s, integer=True)


def real_range(s: PrintedSection) -> dict[str, tuple[float, float]]:
    """Each count's smallest and largest possible real value (printed values +-0.5)."""
    return _ranges(s, integer=False)


def recovered(s: PrintedSection, truth: dict[str, float]) -> list[str]:
    """The counts below min_shown (by ``truth``: name -> true value) that a reader can pin
    down: one whole value only, or a real range narrower than half of 0..min_shown."""
    whole, real = integer_range(s), real_range(s)
    out = []
    for name, value in truth.items():
        if not 0 < value < s.min_shown:
            continue
        lo, hi = whole[name]
        rlo, rhi = real[name]
        if hi - lo < 1 or rhi - rlo < s.min_shown / 2:
            out.append(f"{name}={value}: whole {lo:g}..{hi:g}, real {rlo:.2f}..{rhi:.2f}")
    return out
