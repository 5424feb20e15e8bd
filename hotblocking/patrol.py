"""Patrol plans: randomised, non-overlapping visits inside a window (pure: numpy only).

Patrol plan. Hot-spot patrols work best as short, unpredictable visits: the Koper curve
(Koper 1995, "Just enough police presence") puts the residual deterrence threshold at about
10 minutes, with 11-15 minute stops optimal; deployed systems (HunchLab / ShotSpotter
Missions, Thames Valley's hot-spot app, the Southend and Bedfordshire trials) give officers
15-minute visits at randomised times. :func:`patrol_plan` draws ``n_visits`` non-overlapping
visits of ``visit_minutes`` inside one week of a window's occurrences:

* start times lie on a ``step_minutes`` grid (5 minutes: "23:10", not "23:13"), counted from
  Monday 00:00, and every visit lies wholly inside one occurrence of the window;
* visits are drawn one at a time, each uniformly (or profile-weighted, below) among the
  start times that overlap no earlier visit *and* still leave room for the visits left to
  draw, so a plan that fits is always found and an impossible one fails at once, clearly;
* ``seed`` feeds ``numpy.random.default_rng(seed)`` only (never the global generator): the
  same seed gives the same plan, another seed another plan. A sequence such as
  ``(seed, rank)`` gives each block its own reproducible plan;
* weighting (the documented choice): with a ``profile`` (the block's 168 hour-of-week values),
  a start time's chance is ``(1 - peak_share)`` x uniform + ``peak_share`` x the profile's
  share of that hour. The default 0.5 keeps half the chance spread evenly over the window,
  so visits stay unpredictable to offenders, and puts half where the block's incidents
  concentrate (dosage where the harm is). ``peak_share=0`` is purely uniform, 1 purely
  profile-driven (hours without incidents then get no visits unless nothing else fits).

Minutes are "minute of week": Monday 00:00 = 0. An occurrence starting on Sunday night runs
past 10080 (into the next Monday) rather than wrapping, so visits stay in time order.
"""

from __future__ import annotations

import numpy as np

from .constants import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_WEEK
from .errors import PatrolPlanError

__all__ = ["PatrolPlanError", "occurrence_minutes", "patrol_plan"]


def occurrence_minutes(window) -> list[tuple[int, int]]:
    """Minute-of-week ``[start, end)`` of each occurrence in a week, in day order.

    ``window`` is a :class:`hotblocking.windows.Window` (or anything with ``days``,
    ``start_min`` and ``duration_min``). A Sunday-night occurrence ends after 10080.
    """
    return [
        (
            d * MINUTES_PER_DAY + window.start_min,
            d * MINUTES_PER_DAY + window.start_min + window.duration_min,
        )
        for d in sorted(window.days)
    ]


def _capacity(lo: np.ndarray, hi: np.ndarray, stride: int) -> np.ndarray:
    """Most non-overlapping visits with grid starts in ``[lo, hi]`` (0 when ``hi < lo``)."""
    return np.where(hi >= lo, (hi - lo) // stride + 1, 0)


def _runs(starts: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last start of the run (consecutive on the grid) holding each start."""
    breaks = np.flatnonzero(np.diff(starts) != step) + 1
    run_id = np.zeros(starts.size, dtype=np.int64)
    run_id[breaks] = 1
    run_id = np.cumsum(run_id)
    first = np.concatenate([[0], breaks])
    last = np.concatenate([breaks - 1, [starts.size - 1]])
    return starts[first][run_id], starts[last][run_id]


def patrol_plan(
    window,
    n_visits: int,
    visit_minutes: int,
    *,
    seed,
    week_start=None,
    profile=None,
    peak_share: float = 0.5,
    step_minutes: int = 5,
) -> list[tuple]:
    """Randomised, non-overlapping visits inside one week of ``window`` (see module doc).

    Returns ``[(start, end), ...]`` sorted by start: minute-of-week integers, or, when
    ``week_start`` (a Monday: a date, ``datetime64`` or ISO string) is given,
    ``numpy.datetime64[m]`` wall-clock times of that week. Raises :class:`PatrolPlanError`
    when the visits cannot fit.
    """
    label = getattr(window, "label", str(window))
    n_visits = int(n_visits)
    if n_visits < 0:
        raise PatrolPlanError(f"number of visits must be 0 or more, not {n_visits}")
    if visit_minutes <= 0 or int(visit_minutes) != visit_minutes:
        raise PatrolPlanError(
            f"visit length must be a whole number of minutes > 0, not {visit_minutes}"
        )
    if step_minutes <= 0 or int(step_minutes) != step_minutes:
        raise PatrolPlanError(
            f"start-time step must be a whole number of minutes > 0, not {step_minutes}"
        )
    if not 0.0 <= peak_share <= 1.0:
        raise PatrolPlanError(f"peak_share must be in 0..1, not {peak_share}")
    visit, step = int(visit_minutes), int(step_minutes)
    stride = -(-visit // step) * step  # grid distance between back-to-back visits
    occurrences = occurrence_minutes(window)
    starts = np.concatenate(
        [
            np.arange(-(-a // step) * step, b - visit + 1, step, dtype=np.int64)
            for a, b in occurrences
        ]
        or [np.array([], dtype=np.int64)]
    )
    starts = np.unique(starts)  # a full-day window's occurrences touch: no duplicates
    lo, hi = _runs(starts, step) if starts.size else (starts, starts)
    first_of_run = np.r_[True, np.diff(starts) != step] if starts.size else starts.astype(bool)
    most = int(_capacity(lo, hi, stride)[first_of_run].sum()) if starts.size else 0
    if n_visits > most:
        longest = max(b - a for a, b in occurrences)
        raise PatrolPlanError(
            f"{n_visits} visits of {visit} minutes cannot fit in window '{label}': its "
            f"{len(occurrences)} occurrence(s) a week of {longest} minutes hold at most {most} "
            f"non-overlapping visit(s) starting on a {step}-minute grid. Ask for fewer or "
            "shorter visits."
        )
    weights = _start_weights(starts, visit, profile, peak_share)
    rng = np.random.default_rng(seed)
    free = np.ones(starts.size, dtype=bool)
    chosen: list[int] = []
    for k in range(n_visits):
        cand = starts[free]
        clo, chi = _runs(cand, step)
        first = np.r_[True, np.diff(cand) != step]
        total = int(_capacity(clo, chi, stride)[first].sum())
        # room left for the remaining visits if this start is taken
        left_hi = ((cand - visit) // step) * step
        right_lo = -(-(cand + visit) // step) * step
        after = (
            total
            - _capacity(clo, chi, stride)
            + _capacity(clo, np.minimum(left_hi, chi), stride)
            + _capacity(np.maximum(right_lo, clo), chi, stride)
        )
        ok = after >= n_visits - k - 1
        w = weights[free] * ok
        if w.sum() <= 0:  # only profile-free hours remain feasible: fall back to uniform
            w = ok.astype(float)
        pick = int(cand[rng.choice(cand.size, p=w / w.sum())])
        chosen.append(pick)
        free &= (starts + visit <= pick) | (starts >= pick + visit)
    chosen.sort()
    plan = [(s, s + visit) for s in chosen]
    if week_start is None:
        return plan
    monday = np.datetime64(week_start, "D")
    if (monday.astype(np.int64) + 3) % 7 != 0:  # 1970-01-01 was a Thursday
        raise PatrolPlanError(f"week_start must be a Monday, not {monday}")
    base = monday.astype("datetime64[m]")
    return [(base + np.timedelta64(s, "m"), base + np.timedelta64(e, "m")) for s, e in plan]


def _start_weights(starts: np.ndarray, visit: int, profile, peak_share: float) -> np.ndarray:
    """Chance weight of each start time: uniform, mixed with the profile (module doc)."""
    uniform = np.full(starts.size, 1.0 / max(starts.size, 1))
    if profile is None or peak_share == 0 or starts.size == 0:
        return uniform
    prof = np.asarray(profile, dtype=float).ravel()
    if prof.size != HOURS_PER_WEEK or not np.all(np.isfinite(prof)) or (prof < 0).any():
        raise PatrolPlanError("profile must be 168 finite, non-negative hour-of-week values")
    minutes = (starts[:, None] + np.arange(visit)[None, :]) % MINUTES_PER_WEEK
    by_start = prof[minutes // 60].mean(axis=1)
    if by_start.sum() <= 0:
        return uniform
    return (1.0 - peak_share) * uniform + peak_share * by_start / by_start.sum()
