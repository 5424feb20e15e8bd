"""Which fields hold an incident's time: a start, and an end when the record is a range.

Rules, in order (the reason is returned so the log can say exactly what was used and why):

1. A from/to pair (``committed_from``/``committed_to``, ``date_from``/``date_to``,
   ``start_time``/``end_time``, ``StartDate``/``EndDate``...) is a range: start and end.
2. Times that record something other than the incident are passed over while another
   candidate remains: arrival at A&E (ISTV's ARRIVAL DATE AND TIME; the ASSAULT DATE AND TIME is
   the incident), reporting, recording, creation or editing times.
3. Otherwise the single time field of :func:`hotblocking.fieldnames.detect_time_field` (date-time
   fields first, then dates, then text with a time-like name, data.police.uk's ``Month`` among
   them); several equally good candidates raise
   :class:`~hotblocking.fieldnames.AmbiguousFieldError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .fieldnames import AmbiguousFieldError, detect_time_field, looks_like_time_name

__all__ = ["TimeFields", "detect_time_fields"]

_START_WORDS = ("from", "start", "begin")
_WORDS = re.compile(r"from|start|begin|to|end|until")
_SEPARATORS = "_ -."
_NOT_THE_INCIDENT = re.compile(
    r"arriv|receiv|report|record|creat|updat|edit|modif|load|extract|export|entered|logged"
)


@dataclass(frozen=True)
class TimeFields:
    """The chosen start (None: no time field) and end fields, and why."""

    start: str | None
    end: str | None
    reason: str


def _pair_key(name: str) -> tuple[str, str, str] | None:
    """(head, "start" or "end", tail) for names like committed_from, StartTime, date_to, to."""
    low = name.lower()
    for match in _WORDS.finditer(low):
        head, tail = low[: match.start()], low[match.end() :]
        # a whole word: at the name's edge, by a separator, or starting a capitalised part
        before = not head or head[-1] in _SEPARATORS or name[match.start()].isupper()
        after = not tail or tail[0] in _SEPARATORS or name[match.end()].isupper()
        if before and after:
            side = "start" if match.group(0) in _START_WORDS else "end"
            return head.strip(_SEPARATORS), side, tail.strip(_SEPARATORS)
    return None


def _is_time(name: str, kind: str) -> bool:
    return kind in ("datetime", "date") or (kind == "text" and looks_like_time_name(name))


def _pairs(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """From/to pairs: same name but for the start/end word, and at least one of the two a
    date-time field or a text field with a time-like name (not address_from/address_to)."""
    usable = [(n, k) for n, k in fields if k in ("datetime", "date", "text")]
    keys = {name: _pair_key(name) for name, _ in usable}
    kinds = dict(usable)
    pairs = []
    for start, key in keys.items():
        if key is None or key[1] != "start":
            continue
        for end, other in keys.items():
            if other is None or other[1] != "end" or (other[0], other[2]) != (key[0], key[2]):
                continue
            if _is_time(start, kinds[start]) or _is_time(end, kinds[end]):
                pairs.append((start, end))
    return pairs


def detect_time_fields(fields: Sequence[tuple[str, str]]) -> TimeFields:
    """Start and end fields from ``(name, kind)`` pairs (kinds as in
    :func:`hotblocking.fieldnames.detect_time_field`); see the module doc for the rules."""
    not_incident = {n for n, _ in fields if _NOT_THE_INCIDENT.search(n.lower())}
    incident_fields = [(n, k) for n, k in fields if n not in not_incident]
    pairs = _pairs(incident_fields) or _pairs(fields)
    passed_over = sorted(n for n, k in fields if n in not_incident and _is_time(n, k))
    if len(pairs) == 1:
        start, end = pairs[0]
        return TimeFields(start, end, _why(f"'{start}' to '{end}' is a from/to pair", passed_over))
    if len(pairs) > 1:
        raise AmbiguousFieldError(
            [name for pair in pairs for name in pair],
            "several from/to pairs could hold the time: " + ", ".join(f"{a}/{b}" for a, b in pairs),
        )
    single = detect_time_field(incident_fields)
    if single is not None:
        return TimeFields(
            single, None, _why(f"'{single}' is the incident's only time field", passed_over)
        )
    single = detect_time_field(fields)
    if single is None:
        return TimeFields(None, None, "no field looks like a date or time")
    return TimeFields(
        single, None, f"'{single}' is the only time field (it may record something else)"
    )


def _why(choice: str, passed_over: list[str]) -> str:
    if not passed_over:
        return choice
    names = ", ".join(f"'{n}'" for n in passed_over)
    return f"{choice}; passed over {names} (not the incident's own time)"
