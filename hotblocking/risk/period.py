"""Stage 4: the study period's last third (for ``trend``)."""

from __future__ import annotations

import numpy as np

from ..timeline import period_bounds
from .inputs import Incidents


def in_last_third(
    incidents: Incidents, has_time: np.ndarray, period_start=None, period_end=None
) -> np.ndarray | None:
    """Incidents starting in the last third of the study period (None when the period has
    no length). The period is ``[period_start, period_end]`` (whole days) where given, else
    the first to the last incident start."""
    start = incidents.start
    bound_start, bound_end = period_bounds(period_start, period_end)
    if not has_time.any():
        return None
    first = bound_start if not np.isnat(bound_start) else start[has_time].min()
    last = bound_end if not np.isnat(bound_end) else start[has_time].max()
    if np.isnat(first) or not last > first:
        return None
    first_ms, last_ms = first.view(np.int64), last.view(np.int64)
    return start.view(np.int64) >= first_ms + (last_ms - first_ms) * 2 // 3
