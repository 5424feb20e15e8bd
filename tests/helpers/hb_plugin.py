"""Import the checkout as a QGIS plugin package under any folder name."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_PACKAGE = "hotblocking_under_test"
# The provider's algorithms (names without "hotblocking:"), besides the shipped model.
ALGORITHM_NAMES = (
    "buildblocks",
    "joinincidents",
    "computerisk",
    "taskingbrief",
    "stylehotblocks",
    "evaluate",
    "pipeline",
)


def load_plugin_package(name: str = PLUGIN_PACKAGE):
    links = next(p for p in sys.path if os.path.islink(os.path.join(p, PLUGIN_PACKAGE)))
    if not os.path.exists(os.path.join(links, name)):
        os.symlink(ROOT, os.path.join(links, name))
    return importlib.import_module(name)
