"""Import paths for the tests, set before anything imports QGIS's Processing.

The repo root IS the plugin folder, and it holds a ``processing/`` package that would
shadow QGIS's own ``processing`` if the root were on sys.path. So the root is taken off
sys.path and a private folder of symlinks is put on instead:
- ``hotblocking`` -> the pure core, for plain tests of the engine;
- ``tools`` -> the developer tools (sample-data generator, sample pipeline settings);
- ``hotblocking_under_test`` -> the whole plugin, imported as QGIS imports a plugin
  (under a folder name of our choosing: relative imports only).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGE = "hotblocking_under_test"
LINKS = tempfile.mkdtemp(prefix="hb-paths-")
os.symlink(ROOT / "hotblocking", os.path.join(LINKS, "hotblocking"))
os.symlink(ROOT / "tools", os.path.join(LINKS, "tools"))
os.symlink(ROOT, os.path.join(LINKS, PLUGIN_PACKAGE))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
sys.path.insert(0, LINKS)
sys.path.insert(0, str(ROOT / "tests" / "helpers"))


@pytest.fixture(scope="session")
def sample_truth():
    """The sample's expected numbers, worked out independently (tests/helpers/hb_truth.py)."""
    from hb_truth import sample_truth as truth  # OGR and shapely: only when a test asks

    return truth()


def pytest_sessionfinish(session, exitstatus):
    session.config.hb_exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave with pytest's own status once everything is reported: QGIS 3.22 can crash while
    Python tears down its Qt objects after the run (a segfault after the summary was seen),
    which would turn a passing run into a failed one."""
    status = getattr(config, "hb_exit_status", None)
    if status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
