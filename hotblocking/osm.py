"""OpenStreetMap lines as shipped: which features are streets and paths, and what they are.

GDAL's OSM driver gives an ``.osm.pbf`` a ``lines`` layer (``osm_id``, ``name``, ``highway``,
``other_tags`` holding the remaining tags as hstore text such as ``"bridge"=>"yes"``) that also
holds buildings, railways, barriers, power lines and waterways. Geofabrik's shapefiles name
the highway value ``fclass``. Only ways that people walk or drive along are street blocks:
the values in :data:`WAYS_ALONG` (the OSM wiki's road and path values of ``highway``,
https://wiki.openstreetmap.org/wiki/Key:highway); everything else is left out, each rule
counted. A ``highway`` line tagged ``area=yes`` is the outline of a square or car park, not a
way along it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "KIND_WORDS",
    "PATH_KINDS",
    "WAYS_ALONG",
    "is_osm_layer",
    "road_filter",
    "tag_values",
]

ROADS = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "living_street",
    "service",
    "road",
    "busway",
    "track",
)
PATHS = ("pedestrian", "footway", "path", "steps", "cycleway", "bridleway")
GEOFABRIK_EXTRA = ("track_grade1", "track_grade2", "track_grade3", "track_grade4", "track_grade5")
WAYS_ALONG: tuple[str, ...] = ROADS + PATHS + GEOFABRIK_EXTRA
"""``highway`` (or Geofabrik ``fclass``) values kept as streets and paths.

Left out: ``platform``, ``corridor`` (indoors), ``elevator``, ``construction``, ``proposed``,
``abandoned``, ``raceway``, ``bus_stop`` and any other value; features without one.
"""

PATH_KINDS = frozenset(("footway", "path", "steps", "cycleway", "bridleway", "pedestrian"))
"""Values whose unnamed ways may take the name of the street they run beside."""

KIND_WORDS = {
    "footway": "footway",
    "path": "path",
    "steps": "steps",
    "cycleway": "cycle path",
    "bridleway": "bridleway",
    "pedestrian": "pedestrian street",
    "service": "service road",
    "track": "track",
    "living_street": "living street",
    "motorway_link": "slip road",
    "trunk_link": "slip road",
    "primary_link": "slip road",
    "secondary_link": "slip road",
    "tertiary_link": "slip road",
}
"""Words for unnamed ways in descriptions ("footway beside High St"); others are "road"."""

_OSM_SOURCE = re.compile(r"\.(osm|osm\.pbf|pbf)($|\|)", re.IGNORECASE)


def is_osm_layer(field_names: Sequence[str], source: str = "") -> bool:
    """An OSM line layer: ``osm_id`` with ``highway`` or ``fclass``, or an ``.osm(.pbf)`` file."""
    names = {n.lower() for n in field_names}
    if "osm_id" in names and names & {"highway", "fclass"}:
        return True
    return bool(_OSM_SOURCE.search(source or ""))


def tag_values(other_tags: np.ndarray, key: str) -> np.ndarray:
    """The value of ``key`` in each ``other_tags`` hstore text (None where absent)."""
    text = pd.Series(np.asarray(other_tags, dtype=object), dtype=object)
    pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    found = text.where(text.notna(), "").astype(str).str.extract(pattern, expand=False)
    return found.where(found.notna(), None).to_numpy(dtype=object)


def road_filter(
    highway: np.ndarray, other_tags: np.ndarray | None = None
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Which features are ways people walk or drive along, and how many each rule left out.

    Returns ``(keep, rules)``: a boolean mask and ``[(rule text, count), ...]`` for the rules
    that left something out, e.g. ``("no highway tag (buildings, railways, barriers, ...)",
    1314)`` or ``("highway=platform", 32)``.
    """
    values = pd.Series(np.asarray(highway, dtype=object), dtype=object)
    present = values.notna() & (values.astype(str).str.strip() != "")
    low = values.where(present, "").astype(str).str.strip().str.lower()
    along = low.isin(WAYS_ALONG).to_numpy()
    present = present.to_numpy()
    rules: list[tuple[str, int]] = []
    missing = int((~present).sum())
    if missing:
        rules.append(("no highway tag (buildings, railways, barriers, waterways, ...)", missing))
    other = present & ~along
    if other.any():
        for value, count in low[other].value_counts().sort_index().items():
            rules.append((f"highway={value}", int(count)))
    keep = present & along
    if other_tags is not None:
        area = pd.Series(tag_values(other_tags, "area"), dtype=object).str.lower() == "yes"
        outline = keep & area.to_numpy()
        if outline.any():
            rules.append(("area=yes (outline of a square or car park)", int(outline.sum())))
            keep &= ~outline
    return keep, rules
