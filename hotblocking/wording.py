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
    "pattern_words",
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


WHOLE_PERIOD_WORDS = "the whole period, any time of day"


def describe_window(window) -> str:
    """``"Fri and Sat, 22:00 to 04:00 next day"``: a window's days and hours in words."""
    if getattr(window, "whole_period", False):
        return WHOLE_PERIOD_WORDS
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


MIN_EVENTS_FOR_TESTS = 5
"""Fewest events (records of one event merged) a block needs before the brief and the dock
say whether its count could be chance: below it, a short block's one or two incidents give
tiny p values that mean little."""


_SIGNIFICANT = (  # (q below, how much more, how likely chance is)
    (0.001, "far more", "very unlikely to be chance"),
    (0.01, "far more", "unlikely to be chance"),
    (0.05, "more", "probably not chance"),
)


def significance_words(p, q, ratio=None, events=None) -> str:
    """Plain words for a block's count against what its share of network length predicts.

    ``q`` is the Benjamini-Hochberg value across all blocks in the window (it allows for
    testing every block at once) and is the figure the words rest on; ``p`` the block's own
    Poisson upper-tail value; ``ratio`` (optional) events / expected, printed as e.g.
    ``19 × expected``. With ``events`` below :data:`MIN_EVENTS_FOR_TESTS` nothing is claimed.
    """
    if events is not None and not is_missing(events) and float(events) < MIN_EVENTS_FOR_TESTS:
        if float(events) <= 0:
            return "not tested: no incident of its own in this window"
        return f"not tested: too few incidents of its own (under {MIN_EVENTS_FOR_TESTS}) to tell"
    if is_missing(q) or is_missing(p):
        return "not tested (no incidents in this window)"
    q, p = float(q), float(p)
    times = ""
    if ratio is not None and not is_missing(ratio) and math.isfinite(float(ratio)):
        r = float(ratio)
        times = f"{r:.0f} × expected; " if r >= 10 else f"{r:.1f} × expected; "
    for below, more, chance in _SIGNIFICANT:
        if q < below:
            q_text = "q < 0.001" if q < 0.001 else f"q = {q:.2g}"
            return (
                f"{more} than its length predicts ({times}{q_text}): {chance}, even allowing "
                "for every block tested"
            )
    if p < 0.05:
        return (
            f"more than its length predicts on its own ({times}p = {p:.2g}), but not once "
            f"every block is tested (q = {q:.2g}): could be chance"
        )
    return f"no more than its length predicts: could be chance ({times}q = {q:.2g})"


def _one_in(p: float) -> str:
    """``p`` as "1 time in N" (rounded to 2 significant figures)."""
    if p < 0.001:
        return "less than 1 time in 1,000"
    n = 1.0 / p
    n = float(f"{n:.2g}")
    return f"about 1 time in {n:,.0f}"


def trend_words(word, p=None) -> str:
    """A block's trend in words from computerisk's ``trend_word`` (rising, falling, no clear
    trend; NULL below the minimum count) and ``trend_p`` (Mann-Kendall two-sided p), with
    its uncertainty. Nothing is claimed when ``word`` is NULL."""
    if is_missing(word) or not str(word).strip():
        return "not given: too few incidents to tell"
    word = str(word).strip()
    if is_missing(p):
        return word
    p = float(p)
    if word in ("rising", "falling"):
        return (
            f"{word} (Mann-Kendall p = {p:.2g}: with no real change, a trend this clear comes "
            f"{_one_in(p)})"
        )
    return f"{word} (p = {p:.2g}: ups and downs this size are common by chance)"


PATTERN_WORDS = {
    "new": "new: hot in the latest period only",
    "consecutive": "consecutive: hot in each of the latest periods, never before them",
    "intensifying": "intensifying: hot in almost every period, and rising",
    "persistent": "persistent: hot in almost every period",
    "diminishing": "diminishing: hot in almost every period, but falling",
    "sporadic": "sporadic: hot on and off, including the latest period",
    "historical": "historical: hot in almost every period before the latest, not in it",
    "no pattern": "no pattern: not hot in enough periods to show one",
}
"""computerisk's ``pattern`` classes (after Emerging Hot Spot Analysis) in plain words;
a period is a week or a month, as the trend was counted."""


def pattern_words(pattern) -> str:
    """The ``pattern`` class in words; NULL (below the minimum count) claims nothing."""
    if is_missing(pattern) or not str(pattern).strip():
        return "not given: too few incidents to tell"
    return PATTERN_WORDS.get(str(pattern).strip(), str(pattern).strip())
