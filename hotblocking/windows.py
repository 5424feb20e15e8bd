"""Time windows such as ``Fri-Sat 22:00-04:00``: parsing and calendar arithmetic.

A window is a set of days of the week and a wall-clock interval. For each listed day D it
runs from D at ``start`` to ``end`` on D, or on D+1 when ``end <= start``: a night belongs to
the evening it starts (the convention of Operation Trafalgar's Thursday-Saturday nights and of
Hot Blocking's Fri/Sat 22:00-04:00 window). Times are local wall-clock; converting occurrences
to real instants is :mod:`hotblocking.timeline`'s job.

Grammar (whitespace around ``-``, ``,``, ``=`` and ``;`` is ignored)::

    SPEC   = WINDOW (';' WINDOW)*
    WINDOW = [LABEL '='] (DAYS ' ' HH:MM '-' HH:MM | 'all')
    DAYS   = ITEM (',' ITEM)*
    ITEM   = DAY | DAY '-' DAY | 'daily' | 'weekdays' | 'weekends'
    DAY    = Mon | Tue | Wed | Thu | Fri | Sat | Sun | Monday | ... | Sunday   (any case)

Ranges may wrap (``Sat-Mon`` = Sat, Sun, Mon). ``24:00`` is allowed as an end time only.
``all`` is the whole study period at any time of day: every joined incident counts in it,
whatever the precision of its time (a month-only police.uk crime included).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import (
    DAY_NAMES,
    DEFAULT_WINDOWS,
    HOURS_PER_WEEK,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
)
from .errors import WindowSpecError

__all__ = [
    "DEFAULT_WINDOWS",
    "WHOLE_PERIOD",
    "Window",
    "WindowSpecError",
    "hour_of_week_label",
    "parse_windows",
    "stored_window",
    "whole_period_window",
]

WHOLE_PERIOD = "all"
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_DAY_LOOKUP = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_DAY_LOOKUP.update({name: i for i, name in enumerate(_FULL_NAMES)})
_KEYWORDS = {
    "daily": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
# Canonical spellings offered by "did you mean".
_SUGGEST = {**{k: DAY_NAMES[v] for k, v in _DAY_LOOKUP.items()}, **{k: k for k in _KEYWORDS}}
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """One time window: ``days`` (0 = Monday) each starting at ``start_min`` local wall-clock.

    ``end_min`` is in 1..1440; when ``end_min <= start_min`` the window ends the next day.
    """

    label: str
    days: tuple[int, ...]
    start_min: int
    end_min: int
    whole_period: bool = False  # 'all': any time, any precision (days and times unused)

    @property
    def spec(self) -> str:
        """The window as text that :func:`parse_windows` reads back to an equal window."""
        if self.whole_period:
            return f"{self.label.replace(';', ',').replace('=', '-')}={WHOLE_PERIOD}"
        days = ",".join(DAY_NAMES[d] for d in self.days)
        start = f"{self.start_min // 60:02d}:{self.start_min % 60:02d}"
        end = f"{self.end_min // 60:02d}:{self.end_min % 60:02d}"
        label = self.label.replace(";", ",").replace("=", "-")
        return f"{label}={days} {start}-{end}"

    def __post_init__(self) -> None:
        if not self.days or any(d not in range(7) for d in self.days):
            raise ValueError(f"window {self.label!r}: days must be a non-empty subset of 0..6")
        if self.days != tuple(sorted(set(self.days))):
            object.__setattr__(self, "days", tuple(sorted(set(self.days))))
        if not 0 <= self.start_min < MINUTES_PER_DAY:
            raise ValueError(f"window {self.label!r}: start_min must be in 0..1439")
        if not 0 <= self.end_min <= MINUTES_PER_DAY:
            raise ValueError(f"window {self.label!r}: end_min must be in 0..1440")

    @property
    def crosses_midnight(self) -> bool:
        """True when ``end <= start``: each occurrence ends on the day after it starts."""
        return self.end_min <= self.start_min

    @property
    def duration_min(self) -> int:
        """Wall-clock length of one occurrence in minutes (1..1440)."""
        d = self.end_min - self.start_min
        return d if d > 0 else d + MINUTES_PER_DAY

    def minute_intervals(self) -> list[tuple[int, int]]:
        """Half-open minute-of-week intervals ``[a, b)`` (Mon 00:00 = 0), split at week end."""
        out: list[tuple[int, int]] = []
        for d in self.days:
            a = d * MINUTES_PER_DAY + self.start_min
            b = a + self.duration_min
            if b <= MINUTES_PER_WEEK:
                out.append((a, b))
            else:
                out.append((a, MINUTES_PER_WEEK))
                out.append((0, b - MINUTES_PER_WEEK))
        return out

    def minute_mask(self) -> np.ndarray:
        """Boolean array of 10080 minutes of the week covered by the window."""
        mask = np.zeros(MINUTES_PER_WEEK, dtype=bool)
        for a, b in self.minute_intervals():
            mask[a:b] = True
        return mask

    def hour_mask(self) -> np.ndarray:
        """Boolean array of the 168 hour-of-week cells (Mon 00-01 = 0) the window touches.

        A partly covered hour counts as covered (for charts and peak hours).
        """
        return self.minute_mask().reshape(HOURS_PER_WEEK, 60).any(axis=1)

    def occurrences(self, period_start, period_end) -> tuple[np.ndarray, np.ndarray]:
        """Local wall-clock ``(starts, ends)`` (datetime64[ms]) of occurrences starting on a
        date in ``[period_start, period_end]`` (dates, both inclusive)."""
        d0 = np.datetime64(_as_day(period_start), "D")
        d1 = np.datetime64(_as_day(period_end), "D")
        if d1 < d0:
            empty = np.array([], dtype="datetime64[ms]")
            return empty, empty.copy()
        dates = np.arange(d0, d1 + np.timedelta64(1, "D"), dtype="datetime64[D]")
        # 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
        weekday = (dates.astype(np.int64) + 3) % 7
        dates = dates[np.isin(weekday, self.days)]
        starts = dates.astype("datetime64[ms]") + np.timedelta64(self.start_min, "m")
        ends = starts + np.timedelta64(self.duration_min, "m")
        return starts, ends

    def __str__(self) -> str:
        return self.label


def _as_day(value) -> np.datetime64:
    """Date part of a date/datetime/string/Timestamp as datetime64[D]."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a date: {value!r}")
    return np.datetime64(ts.date(), "D")


def hour_of_week_label(index: int) -> str:
    """``"Sat 01:00-02:00"`` for hour-of-week cell ``index`` (Mon 00:00 = 0)."""
    day, hour = divmod(int(index), 24)
    return f"{DAY_NAMES[day]} {hour:02d}:00-{hour + 1:02d}:00"


def _suggest(word: str) -> str:
    match = difflib.get_close_matches(word.lower(), list(_SUGGEST), n=1, cutoff=0.5)
    return f" (did you mean {_SUGGEST[match[0]]}?)" if match else ""


def _parse_day(token: str, where: str) -> int:
    key = token.strip().lower()
    if key in _DAY_LOOKUP:
        return _DAY_LOOKUP[key]
    if key in _KEYWORDS:
        raise WindowSpecError(
            f'"{where}": "{token}" cannot be a range end; expected a day such as Fri'
        )
    if not key:
        raise WindowSpecError(f'"{where}": missing day; expected a day such as Fri')
    raise WindowSpecError(
        f'"{where}": unknown day "{token}"{_suggest(token)}; '
        "expected Mon..Sun, a range (Fri-Sat), a list (Fri,Sat), daily, weekdays or weekends"
    )


def _parse_days(text: str, where: str) -> tuple[int, ...]:
    days: set[int] = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise WindowSpecError(f'"{where}": empty item in day list "{text}"')
        if item.lower() in _KEYWORDS:
            days.update(_KEYWORDS[item.lower()])
            continue
        if "-" in item:
            parts = item.split("-")
            if len(parts) != 2:
                raise WindowSpecError(
                    f'"{where}": bad day range "{item}"; expected two days such as Fri-Sat'
                )
            a, b = (_parse_day(p, where) for p in parts)
            days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
        else:
            days.add(_parse_day(item, where))
    return tuple(sorted(days))


def _parse_time(text: str, where: str, *, is_end: bool) -> int:
    what = "end" if is_end else "start"
    m = _TIME_RE.match(text)
    if not m:
        raise WindowSpecError(f'"{where}": bad {what} time "{text}"; expected HH:MM such as 22:00')
    hh, mm = int(m.group(1)), int(m.group(2))
    if hh == 24 and mm == 0:
        if is_end:
            return MINUTES_PER_DAY
        raise WindowSpecError(
            f'"{where}": start time "{text}" is not allowed; 24:00 is only valid as an end time'
        )
    if hh > 23 or mm > 59:
        raise WindowSpecError(
            f'"{where}": bad {what} time "{text}"; expected HH:MM with HH 00-23 and MM 00-59'
        )
    return hh * 60 + mm


def whole_period_window(label: str = "all") -> Window:
    """The ``all`` window: the whole study period, any time of day."""
    return Window(label, tuple(range(7)), 0, MINUTES_PER_DAY, whole_period=True)


def _parse_one(text: str) -> Window:
    where = text
    label = None
    if "=" in text:
        label, _, text = text.partition("=")
        label = label.strip()
        if not label:
            raise WindowSpecError(f'"{where}": empty label before "="')
        if "=" in text:
            raise WindowSpecError(f'"{where}": more than one "="; expected LABEL=DAYS HH:MM-HH:MM')
    if text.strip().casefold() == WHOLE_PERIOD:
        return whole_period_window(label if label is not None else WHOLE_PERIOD)
    body = re.sub(r"\s*([-,])\s*", r"\1", text.strip())
    parts = body.split()
    if len(parts) != 2:
        if len(parts) == 1 and _TIME_RE.match(parts[0].split("-")[0]):
            problem = "missing days"
        elif len(parts) == 1:
            problem = "missing time range"
        elif not parts:
            problem = "empty window"
        else:
            problem = f'unexpected text "{" ".join(parts[2:]) or parts[1]}"'
        raise WindowSpecError(
            f'"{where}": {problem}; expected DAYS HH:MM-HH:MM such as "Fri-Sat 22:00-04:00"'
        )
    days_text, times = parts
    if times.count("-") != 1:
        raise WindowSpecError(
            f'"{where}": bad time range "{times}"; expected HH:MM-HH:MM such as 22:00-04:00'
        )
    start_text, end_text = times.split("-")
    days = _parse_days(days_text, where)
    start = _parse_time(start_text, where, is_end=False)
    end = _parse_time(end_text, where, is_end=True)
    return Window(
        label=label if label is not None else where, days=days, start_min=start, end_min=end
    )


def parse_windows(spec: str | Iterable[str]) -> list[Window]:
    """Parse ``"Fri-Sat 22:00-04:00; late=daily 00:00-06:00"`` into windows (module grammar).

    Raises :class:`WindowSpecError` (a ``ValueError``) quoting the bad part. An empty spec and
    duplicate labels (case-insensitive) are errors; one trailing ``;`` is tolerated.
    """
    if not isinstance(spec, str):
        spec = ";".join(spec)
    spec = spec.replace("\u2013", "-").replace("\u2014", "-")
    pieces = [p.strip() for p in spec.split(";")]
    if pieces and not pieces[-1] and len(pieces) > 1:
        pieces.pop()
    if not any(pieces):
        raise WindowSpecError(f'"{spec}": empty window spec; expected e.g. "{DEFAULT_WINDOWS}"')
    windows: list[Window] = []
    seen: dict[str, str] = {}
    for i, piece in enumerate(pieces):
        if not piece:
            raise WindowSpecError(f'"{spec}": empty window at position {i + 1} (between ";")')
        w = _parse_one(piece)
        key = w.label.casefold()
        if key in seen:
            raise WindowSpecError(
                f'"{piece}": duplicate label "{w.label}" (already used by "{seen[key]}"); '
                "give each window a unique LABEL= prefix"
            )
        seen[key] = piece
        windows.append(w)
    return windows


def stored_window(label: str, spec: str) -> Window:
    """The window a hot-blocks row was computed with: its ``window_spec`` text read back
    (:mod:`hotblocking.schema`), under the row's ``window`` label (a spec writes ``;`` and
    ``=`` of a label as ``,`` and ``-``). Raises :class:`WindowSpecError` when ``spec`` is
    not exactly one window."""
    windows = parse_windows(spec)
    if len(windows) != 1:
        raise WindowSpecError(f'"{spec}": a window_spec holds one window, not {len(windows)}')
    return dataclasses.replace(windows[0], label=label)
