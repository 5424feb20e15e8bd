"""Stage 3: which incidents count in windows, and what each one weighs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..constants import MS_PER_DAY, MS_PER_HOUR
from ..timeline import local_to_utc, reversed_spans
from .inputs import Incidents, Sources


@dataclass(frozen=True, eq=False)
class TimeFlags:
    """Per incident: has a start time; is a real range (end after start); was recorded with
    its end before its start; spans more than the limit; counts in time-of-day windows and
    profiles (a time of day known, within the span limit)."""

    has_time: np.ndarray
    is_range: np.ndarray
    reversed: np.ndarray
    too_long: np.ndarray
    countable: np.ndarray


def time_flags(incidents: Incidents, max_span_hours: float | None) -> TimeFlags:
    """Flags from the UTC times: durations are real elapsed time (``max_span_hours`` None or
    infinite: no limit). A reversed range counts as an instant at its start."""
    start, end = incidents.start_utc, incidents.end_utc
    has_time = ~np.isnat(start)
    is_range = has_time & ~np.isnat(end) & (end > start)
    if max_span_hours is None or not np.isfinite(max_span_hours):
        too_long = np.zeros(len(incidents), dtype=bool)
    else:
        span_ms = np.where(is_range, end.view(np.int64) - start.view(np.int64), 0)
        # A month or a day without a time of day is not a from/to range of clock times: it
        # is counted apart (incidents_without_time_of_day), not flagged as too long.
        too_long = has_time & incidents.time_of_day & (span_ms > max_span_hours * MS_PER_HOUR)
    return TimeFlags(
        has_time=has_time,
        is_range=is_range,
        reversed=reversed_spans(incidents.start, incidents.end),
        too_long=too_long,
        countable=has_time & ~too_long & incidents.time_of_day,
    )


def age_reference(incidents: Incidents, has_time: np.ndarray, given=None) -> np.datetime64:
    """The local time ages are measured from: ``given``, else the latest start (NaT when no
    incident has a time)."""
    if given is not None:
        return np.datetime64(pd.Timestamp(given).to_datetime64(), "ms")
    if has_time.any():
        return incidents.start[has_time].max()
    return np.datetime64("NaT", "ms")


def source_weight(source_mask: np.ndarray, sources: Sources) -> np.ndarray:
    """Each event's source weight: the largest among its sources (merged records)."""
    if len(sources) == 0:
        return np.ones(source_mask.shape[0])
    return np.where(source_mask, sources.weights[None, :], -np.inf).max(axis=1)


def harm_weight(incidents: Incidents) -> np.ndarray:
    """The incident's harm weight; a missing weight counts 1."""
    return np.where(np.isnan(incidents.weight), 1.0, incidents.weight)


def recency_decay(
    incidents: Incidents, has_time: np.ndarray, reference_utc: np.datetime64, half_life_days
) -> np.ndarray:
    """``0.5 ** (age days / half-life)``, age from ``reference_utc`` in real time; later
    incidents are not boosted (age 0). All 1 when ``half_life_days`` is 0 or there is no
    reference time; untimed incidents weigh 1."""
    if half_life_days <= 0 or np.isnat(reference_utc):
        return np.ones(len(incidents))
    age_days = (reference_utc.view(np.int64) - incidents.start_utc.view(np.int64)) / MS_PER_DAY
    return np.where(has_time, 0.5 ** (np.maximum(age_days, 0.0) / half_life_days), 1.0)


def risk_weights(
    incidents: Incidents,
    source_mask: np.ndarray,
    sources: Sources,
    flags: TimeFlags,
    *,
    use_harm: bool,
    half_life_days: float,
    harm: np.ndarray,
    reference_local: np.datetime64,
    tz,
) -> np.ndarray:
    """What each incident adds to ``risk``: source weight x recency decay x (``harm``, the
    harm weight, when ``use_harm``, else 1)."""
    reference_utc = local_to_utc(np.array([reference_local]), tz)[0]
    decay = recency_decay(incidents, flags.has_time, reference_utc, half_life_days)
    weight = source_weight(source_mask, sources) * decay
    return weight * (harm if use_harm else 1.0)
