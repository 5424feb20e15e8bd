"""`make demo`'s script end to end, in its own process as a user runs it."""

import os
import re
import sqlite3
import subprocess
import sys
import zipfile

from hb_fonts import ALLOWED_FAMILIES, font_families
from hb_plugin import ROOT
from hb_truth import sample_truth


def test_demo_writes_styled_layers_brief_and_project(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    truth = sample_truth()
    assert f"{truth.blocks} blocks from {truth.links} links" in done.stdout
    for source, layer in (("ambulance", "ambulance"), ("A&E", "ae_istv"), ("police", "police")):
        read, joined = truth.read[layer], truth.joined[layer]
        assert f"{source}: {read} read = {joined} joined + {read - joined} unmatched" in done.stdout
    for name in (
        "blocks.gpkg",
        "hot_blocks.gpkg",
        "profiles.gpkg",
        "joined_police.gpkg",
        "unmatched_police.gpkg",
        "brief_fri_sat_nights.pdf",
        "hotblocking_demo.qgz",
    ):
        assert (out / name).stat().st_size > 0, name
    with zipfile.ZipFile(out / "hotblocking_demo.qgz") as qgz:
        project = qgz.read(next(n for n in qgz.namelist() if n.endswith(".qgs"))).decode()
    assert "hot_blocks.gpkg" in project and "RuleRenderer" in project
    # No machine's substitute font (headless: "DejaVu LGC Sans") in the project or the
    # GeoPackages' default styles: they open elsewhere without "Font ... not available".
    assert "<text-style" in project and font_families(project) <= ALLOWED_FAMILIES
    for gpkg in out.glob("*.gpkg"):
        with sqlite3.connect(gpkg) as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'layer_styles'").fetchone():
                for qml, sld in db.execute("SELECT styleQML, styleSLD FROM layer_styles"):
                    assert font_families(qml + sld) <= ALLOWED_FAMILIES, gpkg.name
    info = subprocess.run(
        ["pdfinfo", str(out / "brief_fri_sat_nights.pdf")], capture_output=True, text=True
    )
    assert re.search(r"^Pages:\s+11$", info.stdout, re.M), info.stdout
