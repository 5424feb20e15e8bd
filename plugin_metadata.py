"""metadata.txt is the single source of the plugin's name and version."""

import configparser
from functools import lru_cache
from pathlib import Path

METADATA_PATH = Path(__file__).resolve().parent / "metadata.txt"


@lru_cache(maxsize=1)
def plugin_metadata() -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(METADATA_PATH, encoding="utf-8")
    return dict(parser["general"])


def plugin_version() -> str:
    return plugin_metadata()["version"]
