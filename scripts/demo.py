"""`make demo`: the whole Hot Blocking pipeline on the bundled sample data.

Writes into --out (default out/demo): blocks.gpkg, one joined_<source>.gpkg and
unmatched_<source>.gpkg per source, and prints what it did.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import zipfile
from pathlib import Path

from standalone import PACKAGE, run, start_qgis

from tools import sample_pipeline as sample


def save_project(out: Path, joined: list, unmatched: list, hot_blocks: str, blocks: str) -> Path:
    """A .qgz with the styled outputs. Each GeoPackage carries its default style, so layers
    opened from the files come styled; the hot blocks are on top."""
    from qgis.core import QgsProject, QgsVectorLayer

    project = QgsProject()
    project.setCrs(QgsVectorLayer(blocks, "b", "ogr").crs())
    layers = [(blocks, "Blocks")]
    layers += [
        (uri, f"Unmatched {Path(uri.split('|')[0]).stem.replace('unmatched_', '')}")
        for uri in unmatched
    ]
    layers += [
        (uri, f"Joined {Path(uri.split('|')[0]).stem.replace('joined_', '')}") for uri in joined
    ]
    layers += [(hot_blocks, "Hot blocks")]
    for uri, name in layers:
        layer = QgsVectorLayer(uri, name, "ogr")
        if layer.isValid():
            project.addMapLayer(layer)
    for name in ("Unmatched", "Joined"):  # point layers start hidden: the map is about streets
        for layer in project.mapLayers().values():
            if layer.name().startswith(name):
                project.layerTreeRoot().findLayer(layer.id()).setItemVisibilityChecked(False)
    path = out / "hotblocking_demo.qgz"
    project.write(str(path))
    _drop_font_families(path)
    return path


def _drop_font_families(path: Path) -> None:
    """QGIS wrote this machine's default font into the project's labels: take the family
    names out, so the project opens on any machine without "Font ... not available" (see
    "Label fonts" in processing/styling.py)."""
    styling = importlib.import_module(f"{PACKAGE}.processing.styling")
    with zipfile.ZipFile(path) as qgz:
        members = [(info, qgz.read(info)) for info in qgz.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as qgz:
        for info, data in members:
            if info.filename.endswith(".qgs"):
                data = styling.without_font_families(data.decode("utf-8")).encode("utf-8")
            qgz.writestr(info, data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/demo")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    start_qgis()

    blocks = run("hotblocking:buildblocks", sample.buildblocks_parameters(out / "blocks.gpkg"))
    print(
        f"blocks: {blocks['BLOCK_COUNT']} blocks from {blocks['LINK_COUNT']} links "
        f"({blocks['SKIPPED_COUNT']} skipped) -> {out / 'blocks.gpkg'}"
    )
    joined, unmatched = [], []
    for source in sample.SOURCES:
        joined_path = out / f"joined_{source.layer}.gpkg"
        result = run(
            "hotblocking:joinincidents",
            sample.join_parameters(
                source, blocks["OUTPUT"], joined_path, out / f"unmatched_{source.layer}.gpkg"
            ),
        )
        joined.append(result["OUTPUT"])
        unmatched.append(result["UNMATCHED"])
        print(
            f"{source.label}: {result['READ_COUNT']} read = {result['MATCHED_COUNT']} joined + "
            f"{result['UNMATCHED_COUNT']} unmatched -> {joined_path}"
        )
    risk = run(
        "hotblocking:computerisk",
        sample.risk_parameters(
            blocks["OUTPUT"],
            joined,
            out / "hot_blocks.gpkg",
            SOURCE_WEIGHTS="ambulance=1; A&E=1; police=1",
            PROFILES=str(out / "profiles.gpkg"),
        ),
    )
    print(
        f"risk: {risk['INCIDENTS_USED']:.0f} incidents used, {risk['HOT_BLOCKS']} hot blocks; "
        f"{100 * risk['SHARE_TOP5_BLOCKS']:.0f}% of incidents on the top 5% of blocks "
        f"-> {out / 'hot_blocks.gpkg'}"
    )
    brief = run(
        "hotblocking:taskingbrief",
        {
            "HOTBLOCKS": risk["OUTPUT"],
            "WINDOW": sample.BRIEF_WINDOW,
            "TOP_N": 10,
            "CONTEXT": [sample.layer_uri(sample.ROADS_LAYER)],
            "AREA": "Sample city centre (simulated incidents)",
            "PREPARED_BY": "Hot Blocking demo",
            "OUTPUT": str(out / "brief_fri_sat_nights.pdf"),
        },
    )
    print(f"brief: {brief['PAGE_COUNT']} pages -> {brief['OUTPUT']}")
    project_path = save_project(out, joined, unmatched, risk["OUTPUT"], blocks["OUTPUT"])
    print(f"project: {project_path} (open it in QGIS: the layers carry their styles)")
    print(f"Outputs in {out}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    import os

    os._exit(code)  # QGIS 3.22 may crash on interpreter exit after Processing runs
