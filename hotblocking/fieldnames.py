"""Guess which attribute fields hold a road's id, name and class, and an incident's time.

Road field names follow the products the plugin meets (see ``shared/domain.md``): OS Open Roads
RoadLink as shapefile (``identifier``, ``name1``, ``class``) and GeoPackage (``id``, ``name_1``,
``road_classification``), OS MasterMap Highways Network RoadLink (``TOID``, ``roadName1``,
``roadClassification``) and OpenStreetMap (``osm_id``, ``name``, ``highway``; Geofabrik
shapefiles use ``fclass``). These are suggestions for a dialog's defaults: the user can always
choose another field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .errors import AmbiguousFieldError
from .schema import DATE, DATETIME, OTHER, TEXT

__all__ = [
    "ROAD_FIELD_CANDIDATES",
    "TIME_FIELD_NAMES",
    "AmbiguousFieldError",
    "detect_field",
    "detect_time_field",
    "looks_like_time_name",
]

ROAD_FIELD_CANDIDATES: dict[str, tuple[str, ...]] = {
    # OS Open Roads shp, OS Open Roads gpkg, OS MasterMap Highways (and GML via OGR), OSM
    "id": ("identifier", "id", "toid", "gml_id", "osm_id"),
    "name": ("name1", "name_1", "roadname1", "name"),
    "class": (
        "class",
        "road_classification",
        "roadclassification",
        "highway",
        "fclass",
        "road_class",  # the plugin's own blocks
    ),
    # road number (A40, B4520), the name of a numbered road without a street name
    "number": (
        "roadnumber",
        "road_classification_number",
        "roadclassificationnumber",
        "ref",
    ),
    # OS MasterMap Highways grade separation at each end (0 = ground level)
    "start_level": ("startgradeseparation", "start_grade_separation"),
    "end_level": ("endgradeseparation", "end_grade_separation"),
}
"""Lower-case candidates per role, in priority order (matched case-insensitively)."""

TIME_FIELD_NAMES: tuple[str, ...] = (
    "datetime",
    "timestamp",
    "date_time",
    "time",
    "date",
    "call_time",
    "call_datetime",
    "incident_datetime",
    "incident_time",
    "assault_datetime",
    "assault_date_time",
    "committed_from",
)
"""Names (lower case) that are taken as the incident time when several fields compete.

``assault_datetime`` is the ISTV field ASSAULT DATE AND TIME (the ARRIVAL time at A&E is not the
incident time); ``committed_from`` is the start of a police record's committed-between range.
"""

_TIME_WORD = re.compile(r"date|time|month")
_NOT_TIME_WORD = re.compile(r"updat|validat|candidat|mandat|accommodat")

_FIELD_KINDS = frozenset({DATETIME, DATE, TEXT, OTHER})


def _match(field_names: Iterable[str], wanted: str) -> str | None:
    """The field whose name equals ``wanted`` ignoring case; an exact-case match wins."""
    names = list(field_names)
    if wanted in names:
        return wanted
    for name in names:
        if name.lower() == wanted:
            return name
    return None


def detect_field(field_names: Sequence[str], role: str) -> str | None:
    """The road layer's field for ``role`` (a key of ``ROAD_FIELD_CANDIDATES``), or None.

    Candidates are tried in the priority order of ``ROAD_FIELD_CANDIDATES`` (OS Open Roads
    shapefile, OS Open Roads GeoPackage, OS MasterMap Highways, OSM), matching names
    case-insensitively; the field's actual name is returned.
    """
    try:
        candidates = ROAD_FIELD_CANDIDATES[role]
    except KeyError:
        raise ValueError(
            f"unknown role {role!r}; expected one of {sorted(ROAD_FIELD_CANDIDATES)}"
        ) from None
    for wanted in candidates:
        found = _match(field_names, wanted)
        if found is not None:
            return found
    return None


def looks_like_time_name(name: str) -> bool:
    """Whether a field name suggests a time ("call_time", "AssaultDate", "committed_from")."""
    low = name.lower()
    if low in TIME_FIELD_NAMES:
        return True
    return bool(_TIME_WORD.search(low)) and not _NOT_TIME_WORD.search(low)


def _narrow(names: list[str]) -> list[str]:
    """Among competing fields, keep the known time names, else the time-like names."""
    known = [n for n in names if n.lower() in TIME_FIELD_NAMES]
    if known:
        return known
    timelike = [n for n in names if looks_like_time_name(n)]
    return timelike if timelike else names


def detect_time_field(fields: Sequence[tuple[str, str]]) -> str | None:
    """The incident-time field of a layer, or None if no field qualifies.

    ``fields`` is a list of ``(name, kind)`` with kind in {"datetime", "date", "text", "other"}.
    Tiers, first that yields a field wins: datetime fields, then date fields, then text fields
    whose name looks like a time (:func:`looks_like_time_name`). Within a tier one field wins
    outright; several are narrowed to the known names of ``TIME_FIELD_NAMES`` and then to
    time-like names. If more than one remains, :class:`AmbiguousFieldError` is raised with the
    candidates (the algorithm then asks the user to choose).
    """
    for name, kind in fields:
        if kind not in _FIELD_KINDS:
            raise ValueError(f"unknown field kind {kind!r} for {name!r}")
    tiers = (
        [n for n, k in fields if k == "datetime"],
        [n for n, k in fields if k == "date"],
        [n for n, k in fields if k == "text" and looks_like_time_name(n)],
    )
    for names in tiers:
        if not names:
            continue
        if len(names) == 1:
            return names[0]
        narrowed = _narrow(names)
        if len(narrowed) == 1:
            return narrowed[0]
        raise AmbiguousFieldError(narrowed)
    return None
