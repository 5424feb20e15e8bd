"""Incidents to their nearest block: exact, one row per incident, every record accounted for.

Nearest is by true geometry distance (:mod:`hotblocking.nearest`), not by bounding box.
Ties go to the block that comes first in the blocks array, so each incident is joined
exactly once (QGIS's ``native:joinbynearest`` returns one row per tied block and inflates
counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .arrays import is_xy
from .clock import DEFAULT_TIMEZONE
from .nearest import nearest_within

REASON_NO_GEOMETRY = "no geometry"
REASON_EMPTY_GEOMETRY = "empty geometry"
REASON_NOT_A_POINT = "not a point"
REASON_BEYOND = "beyond max distance"
REASON_NO_BLOCKS = "no blocks to join to"


def incident_points(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points to join and a reason per record ('' = usable).

    A MultiPoint whose parts are all one location (shapefile exports are often
    single-part MultiPoints) is that point; one with distinct parts is ambiguous and
    rejected. Z and M are ignored.
    """
    geometries = np.asarray(geometries, dtype=object)
    n = len(geometries)
    reason = np.full(n, "", dtype=object)
    points = np.full(n, None, dtype=object)
    is_null = shapely.is_missing(geometries)
    reason[is_null] = REASON_NO_GEOMETRY
    present = ~is_null
    empty = np.zeros(n, dtype=bool)
    empty[present] = shapely.is_empty(geometries[present])
    reason[empty] = REASON_NO_GEOMETRY  # an empty point (NaN NaN in WKB) has no location
    usable = present & ~empty
    type_id = np.full(n, -1)
    type_id[usable] = shapely.get_type_id(geometries[usable])
    is_point = type_id == 0
    points[is_point] = geometries[is_point]
    is_multi = type_id == 4
    if is_multi.any():
        multi = geometries[is_multi]
        parts, owner = shapely.get_parts(multi, return_index=True)
        xy = shapely.get_coordinates(parts)
        starts = np.searchsorted(owner, np.arange(len(multi)))
        same = np.ones(len(multi), dtype=bool)
        differs = np.any(xy != xy[starts[owner]], axis=1)
        np.logical_and.at(same, owner, ~differs)
        n_parts = shapely.get_num_geometries(multi)
        single = same & (n_parts > 0)
        idx = np.flatnonzero(is_multi)
        points[idx[single]] = parts[starts[single]]
        reason[idx[~single]] = np.char.add(
            np.char.add("multipoint with ", n_parts[~single].astype(str)), " distinct points"
        ).astype(object)
    other = usable & ~is_point & ~is_multi
    if other.any():
        names = shapely.get_type_id(geometries[other])
        reason[other] = [f"{REASON_NOT_A_POINT} (type {t})" for t in _type_names(names)]
    if shapely.has_z(points).any():  # skip the copy of every point when there is no Z
        points = shapely.force_2d(points)
    return points, reason


def _type_names(type_ids: np.ndarray) -> list[str]:
    names = {
        1: "LineString",
        2: "LinearRing",
        3: "Polygon",
        5: "MultiLineString",
        6: "MultiPolygon",
        7: "GeometryCollection",
    }
    return [names.get(int(t), str(t)) for t in type_ids]


def add_reason(reasons: np.ndarray, mask: np.ndarray, text) -> None:
    """Append ``text`` (a str or an array aligned with ``mask``'s True rows) in place."""
    if not np.any(mask):
        return
    current = reasons[mask]
    text = np.broadcast_to(np.asarray(text, dtype=object), current.shape)
    has = current != ""
    joined = np.where(has, current + "; " + text, text)
    reasons[mask] = joined


REASON_MISSING_TIME = "missing time"
REASON_END_BEFORE_START = "end before start"
REASON_NEGATIVE_WEIGHT = "negative weight"
REASON_NOT_FINITE = "could not be transformed to the blocks' CRS"
ONE_DAY = np.timedelta64(1, "D")

# How precisely each joined incident's time is known (the ``time_precision`` field).
PRECISION_INSTANT = "instant"  # a moment (a time of day is known)
PRECISION_RANGE = "range"  # from/to times of day: counted aoristically
PRECISION_DAY = "day"  # a date (or dates) without a time of day
PRECISION_MONTH = "month"  # a month only (data.police.uk)
PRECISION_NONE = "none"  # no time field was used at all


@dataclass(frozen=True)
class IncidentJoin:
    """Every incident read, aligned with the input: joined where ``reason == ''``."""

    points: np.ndarray
    block_index: np.ndarray
    distance: np.ndarray
    time_start: np.ndarray  # datetime64[ms], NaT where no time
    time_end: np.ndarray  # datetime64[ms]; equal to time_start for an instant
    weight: np.ndarray  # float, NaN where not given
    precision: np.ndarray  # object: one of the PRECISION_* words
    reason: np.ndarray  # object: '' = joined, else why not ('; '-separated)
    beyond: np.ndarray  # bool: located, but no block within the maximum distance

    @property
    def matched(self) -> np.ndarray:
        return self.reason == ""


def join_incidents(
    geometries: np.ndarray,
    block_geoms: np.ndarray,
    max_distance: float,
    *,
    start=None,
    end=None,
    weights: np.ndarray | None = None,
    now=None,
    earliest: str = "1990-01-01",
    progress=None,
    cancelled=None,
    tz=DEFAULT_TIMEZONE,
) -> IncidentJoin:
    """Join incidents to their nearest block and check their times and weights.

    ``geometries`` are shapely geometries, or an (n, 2) float array of point coordinates
    (no GEOS object per incident: the fast path for point layers). With coordinates, NaN
    rows (a missing or an empty point) are "no geometry"; ``points`` in
    the result is then that array.

    ``start``/``end`` are :class:`hotblocking.timeparse.ParsedTimes` (or None: no time
    field). Rules: a NULL start is "missing time"; an unreadable start or end, a start
    in the future or before ``earliest``, or an end before the start rejects the record;
    a NULL end (or no end field) makes an instant. A date or a month without a time of day
    covers that whole day or month, through the end's whole day or month when an end is
    given; ``precision`` records which (``PRECISION_*``). Weights must not be negative; NULL
    stays NaN (missing, not 0). ``now`` and ``earliest`` are wall clock of zone ``tz``.
    Nearest blocks come from :func:`hotblocking.nearest.nearest_within` (exact, ties to the
    lowest block index); ``progress``/``cancelled`` are passed to it.
    """
    from .timeparse import validate_times

    if is_xy(geometries):
        points, reason = _xy_points(geometries)
        usable = reason == ""
        candidates = np.where(usable[:, None], points, np.nan)
    else:
        points, reason = incident_points(geometries)
        usable = reason == ""
        coords_ok = np.ones(len(points), dtype=bool)
        if usable.any():
            xy = shapely.get_coordinates(points[usable])
            coords_ok[np.flatnonzero(usable)] = np.isfinite(xy).all(axis=1)
        add_reason(reason, ~coords_ok, REASON_NOT_FINITE)
        usable &= coords_ok
        candidates = np.where(usable, points, None)
    n = len(points)
    block_index, distance = nearest_within(
        candidates, block_geoms, max_distance, progress=progress, cancelled=cancelled
    )
    if len(block_geoms) == 0:
        add_reason(reason, usable, REASON_NO_BLOCKS)
    else:
        add_reason(reason, usable & (block_index < 0), REASON_BEYOND)
    beyond = usable & (block_index < 0) & (len(block_geoms) > 0)

    time_start, time_end, precision = _times_of(start, end, n, reason)
    if start is not None:
        _add_reasons(reason, validate_times(time_start, now, earliest, tz))
    weight = np.full(n, np.nan) if weights is None else np.asarray(weights, dtype=float)
    add_reason(reason, weight < 0, REASON_NEGATIVE_WEIGHT)
    return IncidentJoin(
        points, block_index, distance, time_start, time_end, weight, precision, reason, beyond
    )


def _times_of(start, end, n: int, reason: np.ndarray):
    """(time_start, time_end, precision) from parsed start/end times; reasons added in place."""
    time_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[ms]")
    if start is None:
        return time_start, time_start.copy(), np.full(n, PRECISION_NONE, dtype=object)
    time_start = start.times.astype("datetime64[ms]")
    add_reason(reason, start.is_null, REASON_MISSING_TIME)
    _add_reasons(reason, start.reason)
    time_end = _period_end(time_start, start.date_only, start.month_only)
    if end is not None:
        ends = _period_end(end.times.astype("datetime64[ms]"), end.date_only, end.month_only)
        has_end = ~end.is_null & ~np.isnat(ends)
        end_reason = np.asarray(end.reason, dtype=object)
        bad_end = ~np.asarray(pd.isna(end_reason), dtype=bool)
        add_reason(
            reason, bad_end, np.char.add("end: ", end_reason[bad_end].astype(str)).astype(object)
        )
        time_end[has_end] = ends[has_end]
        raw_ends = end.times.astype("datetime64[ms]")
        add_reason(
            reason,
            has_end & ~np.isnat(time_start) & (raw_ends < time_start),
            REASON_END_BEFORE_START,
        )
    precision = np.where(time_end > time_start, PRECISION_RANGE, PRECISION_INSTANT).astype(object)
    precision[start.date_only] = PRECISION_DAY
    precision[start.month_only] = PRECISION_MONTH
    return time_start, time_end, precision


def _period_end(times: np.ndarray, date_only: np.ndarray, month_only: np.ndarray) -> np.ndarray:
    """A time's end: the next midnight for a date, the next month for a month, else itself."""
    out = times.copy()
    out[date_only] = times[date_only] + ONE_DAY
    months = times[month_only].astype("datetime64[M]") + np.timedelta64(1, "M")
    out[month_only] = months.astype("datetime64[ms]")
    return out


def _add_reasons(reasons: np.ndarray, texts: np.ndarray) -> None:
    """Append per-record texts where they are not None/empty."""
    texts = np.asarray(texts, dtype=object)
    has = ~np.asarray(pd.isna(texts), dtype=bool) & (texts != "")
    add_reason(reasons, has, texts[has])


def _xy_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reasons for coordinate rows: NaN is no (or an empty) geometry, inf did not transform."""
    reason = np.full(len(xy), "", dtype=object)
    nan = np.isnan(xy).any(axis=1)
    reason[nan] = REASON_NO_GEOMETRY  # missing, or an empty point: no location either way
    reason[~nan & ~np.isfinite(xy).all(axis=1)] = REASON_NOT_FINITE
    return xy, reason


def location_hint(points: np.ndarray, block_bounds: tuple, unmatched_share: float) -> str | None:
    """A plain-words guess at why most incidents missed every block, or None.

    Checked when more than half the located incidents are beyond the maximum distance:
    easting/northing swapped (the swapped points fall inside the blocks' extent), or
    degrees (|x| <= 180 and |y| <= 90) in a projected layer.
    """
    if unmatched_share <= 0.5 or len(points) == 0:
        return None
    xy = points if is_xy(points) else shapely.get_coordinates(points)
    if len(xy) == 0:
        return None
    minx, miny, maxx, maxy = block_bounds
    inside = lambda x, y: (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    if inside(xy[:, 1], xy[:, 0]).mean() > 0.5 and inside(xy[:, 0], xy[:, 1]).mean() < 0.1:
        return (
            "most incidents fall inside the blocks' extent when easting and northing are "
            "swapped: check the X/Y (or longitude/latitude) fields used to make the points"
        )
    if (
        (np.abs(xy[:, 0]) <= 180).all()
        and (np.abs(xy[:, 1]) <= 90).all()
        and max(abs(minx), abs(maxx)) > 1000
    ):
        return (
            "the incident coordinates look like degrees (longitude/latitude) but the layer "
            "is not in a geographic CRS: set the incidents layer's CRS to EPSG:4326"
        )
    return None
