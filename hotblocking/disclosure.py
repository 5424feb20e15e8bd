"""Disclosure control for printed counts (NHS statistics practice, see ``shared/domain.md``).

:func:`suppress_count` prints a count below ``min_shown`` as ``"<N"``; :func:`suppress_row`
adds the secondary suppression that stops a suppressed count being recovered as "total minus
the others". Stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .schema import is_missing

__all__ = ["WITHHELD", "is_suppressed", "suppress_count", "suppress_row"]

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


def suppress_row(counts: Sequence, total, min_shown: int = 0) -> tuple[list[str], str]:
    """Printed counts of one table row (e.g. per source) and its total, disclosure-safe.

    Primary suppression: each value below ``min_shown`` prints ``"<N"``. Secondary
    suppression: when the total is printed and exactly one count is suppressed, that count
    could be worked out as total minus the others, so the smallest other non-zero count is
    withheld too (``"*"``); when no such count exists the total is withheld instead.
    """
    texts = [suppress_count(c, min_shown) for c in counts]
    total_text = suppress_count(total, min_shown)
    hidden = [i for i, c in enumerate(counts) if is_suppressed(c, min_shown)]
    if len(hidden) == 1 and not is_suppressed(total, min_shown) and not is_missing(total):
        others = [
            i
            for i, c in enumerate(counts)
            if i not in hidden and not is_missing(c) and float(c) > 0
        ]
        if others:
            texts[min(others, key=lambda i: (float(counts[i]), i))] = WITHHELD
        else:
            total_text = WITHHELD
    return texts, total_text
