"""Separate-process tests: `make install` into a private HOME, then Debian's own QGIS.

Nothing here runs QGIS in the test process for the plugin: the plugin runs in
/usr/bin/qgis_process.bin, /usr/bin/qgis (under xvfb) or /usr/bin/python3, started with a
clean environment (tests/helpers/hb_system.py).
"""

from __future__ import annotations

import pytest
from hb_system import Home, make


@pytest.fixture(scope="session")
def installed_home(tmp_path_factory):
    """A private HOME in which `make install` has run, as a user would run it."""
    home = Home(tmp_path_factory.mktemp("installed_home"))
    done = make("install", home)
    assert done.returncode == 0, done.stdout + done.stderr
    return home
