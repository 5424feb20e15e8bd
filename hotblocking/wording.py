"""What the brief and the dock say: windows, visits, significance and trend in words.

Pure wording (stdlib only): every printed sentence about a window or a block's figures
comes from here, so the printed brief and the explorer dock say the same thing.
"""

from __future__ import annotations

import math

from .constants import DAY_NAMES, MINUTES_PER_DAY, MINUTES_PER_WEEK
from .schema import is_missing

__all__ = [
    "describe_window",
    "format_minute",
    "format_visit",
    "significance_words",
    "source_title",
    "trend_words",
    "window_title",
]


def format_minute(minute: int) -> str:
    """``"Fri 23:10"`` for a minute of week (Monday 00:00 = 0; wraps past Sunday)."""
    minute = int(minute) % MINUTES_PER_WEEK
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def format_visit(visit: tuple) -> str:
    """``"Fri 23:10-23:25"``; an end exactly at midnight prints as ``24:00``."""
    start, end = (int(v) for v in visit)
    end_of_day = end % MINUTES_PER_DAY
    end_text = "24:00" if end_of_day == 0 else f"{end_of_day // 60:02d}:{end_of_day % 60:02d}"
    return f"{format_minute(start)}-{end_text}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_window(window) -> str:
    """``"Fri and Sat, 22:00 to 04:00 next day"``: a window's days and hours in words."""
    days = sorted(window.days)
    if days == list(range(7)):
        day_text = "every day"
    else:
        runs: list[list[int]] = []
        for d in days:
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        parts = [
            DAY_NAMES[r[0]]
            if len(r) == 1
            else f"{DAY_NAMES[r[0]]} and {DAY_NAMES[r[1]]}"
            if len(r) == 2
            else f"{DAY_NAMES[r[0]]} to {DAY_NAMES[r[-1]]}"
            for r in runs
        ]
        day_text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if window.start_min == 0 and window.duration_min == MINUTES_PER_DAY:
        return f"{day_text}, all day"
    end = window.end_min
    end_text = "24:00" if end in (0, MINUTES_PER_DAY) else _clock(end)
    next_day = " next day" if window.crosses_midnight and end != 0 else ""
    return f"{day_text}, {_clock(window.start_min)} to {end_text}{next_day}"


def window_title(window) -> str:
    """The label and the window in words; just the words when the label is the spec itself
    (an unlabelled window such as "Fri-Sat 22:00-04:00")."""
    words = describe_window(window)
    label = window.label.strip()
    return (
        words
        if " " in label and any(ch.isdigit() for ch in label) and ":" in label
        else f"{label}: {words}"
    )


def source_title(label: str) -> str:
    """A source label as a heading: its first letter upper case ("ambulance" -> "Ambulance",
    "A&E" stays "A&E")."""
    return label[:1].upper() + label[1:]


def significance_words(p, q, ratio=None) -> str:
    """Plain words for a block's count against what its share of network length predicts.

    ``q`` is the Benjamini-Hochberg value across all blocks in the window (it allows for
    testing every block at once); ``p`` the block's own Poisson upper-tail value; ``ratio``
    (optional) observed / expected, printed as e.g. ``19 x expected``.
    """
    if is_missing(q) or is_missing(p):
        return "not tested (no incidents in this window)"
    q, p = float(q), float(p)
    times = ""
    if ratio is not None and not is_missing(ratio) and math.isfinite(float(ratio)):
        r = float(ratio)
        times = f"{r:.0f} × expected; " if r >= 10 else f"{r:.1f} × expected; "
    if q < 0.001:
        return f"far more than its length predicts ({times}q < 0.001)"
    if q < 0.01:
        return f"far more than its length predicts ({times}q < 0.01)"
    if q < 0.05:
        return f"more than its length predicts ({times}q < 0.05)"
    if p < 0.05:
        return (
            f"more than its length predicts on its own ({times}p = {p:.2g}), but not once "
            f"every block is tested (q = {q:.2g}): could be chance"
        )
    return f"no more than its length predicts: could be chance ({times}q = {q:.2g})"


def trend_words(trend, incidents=None) -> str:
    """``trend`` (rate in the last third of the period / rate before) in words."""
    if is_missing(trend):
        if incidents is not None and not is_missing(incidents) and float(incidents) > 0:
            return "new: nothing before the last third of the period"
        return "no trend (nothing in this window)"
    trend = float(trend)
    if trend >= 1.25:
        word = "rising"
    elif trend <= 0.8:
        word = "falling"
    else:
        word = "steady"
    return f"{word} (recent rate {trend:.1f} × the earlier rate)"
