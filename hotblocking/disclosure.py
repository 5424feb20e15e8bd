"""Disclosure control for printed counts (NHS statistics practice, see ``shared/domain.md``).

:func:`suppress_count` prints a count below ``min_shown`` as ``"<N"`` (primary suppression).
The secondary suppression that stops a hidden count being worked out from the figures
printed around it (totals, other rows and columns) is :mod:`hotblocking.cell_suppression`'s,
applied to a brief's counts by :mod:`hotblocking.brief_counts`. Stdlib only.
"""

from __future__ import annotations

import math

from .schema import is_missing

__all__ = ["WITHHELD", "is_suppressed", "suppress_count"]

WITHHELD = "*"


def suppress_count(n, min_shown: int = 0) -> str:
    """A count as printed: ``"1,234"``; ``"<N"`` when ``0 < n < min_shown`` (N = min_shown).

    Counts may be fractional (aoristic shares): they print rounded, and a non-zero count
    below 0.5 prints ``"<1"`` rather than a false 0. Zero prints ``"0"`` (nothing to
    protect). Missing prints ``"–"``: missing is not zero. ``min_shown`` 0 or 1 = off.
    """
    if is_missing(n):
        return "–"
    n = float(n)
    if min_shown and min_shown > 1 and 0 < n < min_shown:
        return f"<{int(min_shown)}"
    if 0 < n < 0.5:
        return "<1"
    return f"{math.floor(n + 0.5):,}"


def is_suppressed(n, min_shown: int = 0) -> bool:
    """True when :func:`suppress_count` hides ``n``'s value."""
    return not is_missing(n) and bool(min_shown) and min_shown > 1 and 0 < float(n) < min_shown
