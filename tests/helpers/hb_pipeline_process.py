"""A standalone QGIS process that loads the plugin and runs the sample pipeline; writes JSON.

    PYTHON hb_pipeline_process.py PLUGINS_DIR PACKAGE OUT_DIR

Run by tests/system/test_debian_python.py with Debian's /usr/bin/python3 (the plugin installed
by `make install`, its libs/ and Debian's own packages) and with the venv's python (the
checkout, the venv's pinned packages), to compare what the two produce. The plugin is loaded as
QGIS loads it: the package in PLUGINS_DIR, ``classFactory(None)``, ``initProcessing()``.
Writes {"versions": {...}, "hot_blocks": [rows...]} to OUT_DIR/answer.json: not to stdout,
where QGIS prints its own messages (e.g. "Auth db query exec() FAILED" when two processes
share a profile).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

HELPERS = Path(__file__).resolve().parent


def main(plugins_dir: str, package: str, out: str) -> dict:
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
    from processing.core.Processing import Processing

    Processing.initialize()
    sys.path.insert(0, plugins_dir)
    plugin = importlib.import_module(package).classFactory(None)
    plugin.initProcessing()

    sys.path.insert(0, str(HELPERS))
    from hb_sample import run_sample_pipeline

    uris = run_sample_pipeline(Path(out))
    versions = {}
    for name in ("numpy", "pandas", "scipy", "shapely"):
        module = importlib.import_module(name)
        versions[name] = {"version": module.__version__, "file": module.__file__}
    return {
        "versions": versions,
        "hot_blocks": read_layer(uris["hot"]),
        "plugin": plugin is not None,
    }


def read_layer(uri: str) -> list[dict]:
    from osgeo import ogr

    path, _, name = uri.partition("|layername=")
    source = ogr.Open(path)
    layer = source.GetLayerByName(name) if name else source.GetLayer(0)
    definition = layer.GetLayerDefn()
    fields = [definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())]
    rows = []
    for feature in layer:
        row = {field: feature.GetField(field) for field in fields}
        geometry = feature.GetGeometryRef()
        row["geometry"] = geometry.ExportToWkt() if geometry is not None else None
        rows.append(row)
    return rows


if __name__ == "__main__":
    answer = main(*sys.argv[1:4])
    with open(os.path.join(sys.argv[3], "answer.json"), "w", encoding="utf-8") as out:
        json.dump(answer, out)
    os._exit(0)  # QGIS 3.22 may crash on interpreter exit after Processing ran
