"""The plugin's Python packages at run time: its private folder on sys.path, one cached check.

Standard library only, so that QGIS can load the plugin, list its tools and say what is
missing even when numpy, pandas, scipy or shapely cannot be imported.
"""

from __future__ import annotations

import os
from functools import lru_cache

from .hotblocking import dependencies

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))


def use_private_packages() -> None:
    """Before anything imports them: the plugin's own packages (``libs/``) come first."""
    dependencies.use_private_folder(PLUGIN_DIR)


@lru_cache(maxsize=1)
def problem_message() -> str:
    """'' when every package is there and new enough, else the message for the user."""
    return dependencies.problem_message(dependencies.find_problems(), PLUGIN_DIR)
