"""After `make install` into a private HOME, Debian's own qgis_process.bin (its /usr/bin/python3,
nothing from the venv) runs the README pipeline, the shipped model, the brief and the lon/lat
route, each as a separate process.

The lon/lat route: the sample's ambulance points transformed to EPSG:4326 (here, with GDAL's
osr) and joined to blocks in EPSG:27700, so the plugin transforms inside QGIS. Its answer is
checked against a brute-force nearest join of the original EPSG:27700 points, computed here
with shapely and numpy.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import shapely
from hb_system import ROOT, parameters, run_json
from osgeo import ogr, osr

SAMPLE = "sample_data/hotblocking_sample.gpkg"
WINDOWS = "Fri/Sat nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00"
MAX_DISTANCE = 50.0
MODEL_ID = "hotblocking:Hot Blocking: roads + incidents to brief"
# EPSG:27700 -> 4326 here and 4326 -> 27700 in QGIS are not exact inverses (7-parameter
# Helmert both ways, measured ~1 mm apart on the sample): distances are compared to 5 cm.
ROUND_TRIP = 0.05

BUILD = f'INPUT="{SAMPLE}|layername=road_link" MAX_LENGTH=100 OUTPUT=out/blocks.gpkg'
JOINS = {
    "ambulance": f'INCIDENTS="{SAMPLE}|layername=ambulance" SOURCE=ambulance '
    "BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=call_time "
    "OUTPUT=out/joined_ambulance.gpkg UNMATCHED=out/unmatched_ambulance.gpkg",
    "ae": f'INCIDENTS="{SAMPLE}|layername=ae_istv" SOURCE="A&E" '
    "BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=assault_datetime "
    "OUTPUT=out/joined_ae.gpkg UNMATCHED=out/unmatched_ae.gpkg",
    "police": f'INCIDENTS="{SAMPLE}|layername=police" SOURCE=police '
    "BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=committed_from "
    "END_TIME_FIELD=committed_to WEIGHT_FIELD=harm_days "
    "OUTPUT=out/joined_police.gpkg UNMATCHED=out/unmatched_police.gpkg",
    "lonlat": 'INCIDENTS="out/ambulance_lonlat.gpkg|layername=ambulance" SOURCE=ambulance '
    "BLOCKS=out/blocks.gpkg MAX_DISTANCE=50 TIME_FIELD=call_time "
    "OUTPUT=out/joined_lonlat.gpkg UNMATCHED=out/unmatched_lonlat.gpkg",
}
RISK = (
    "BLOCKS=out/blocks.gpkg INCIDENTS=out/joined_ambulance.gpkg INCIDENTS=out/joined_ae.gpkg "
    f'INCIDENTS=out/joined_police.gpkg WINDOWS="{WINDOWS}" HOT_RULE=0 HOT_VALUE=10 '
    "OUTPUT=out/hot_blocks.gpkg"
)
BRIEF = (
    'HOTBLOCKS=out/hot_blocks.gpkg WINDOW="Fri/Sat nights" TOP_N=10 CONTEXT=out/blocks.gpkg '
    'AREA="Sample city centre" OUTPUT=out/brief_fri_sat_nights.pdf'
)
PIPELINE = (
    f'ROADS="{SAMPLE}|layername=road_link" INCIDENTS="{SAMPLE}|layername=ambulance" '
    f'INCIDENTS="{SAMPLE}|layername=ae_istv" INCIDENTS="{SAMPLE}|layername=police" '
    f'MAX_LENGTH=100 MAX_DISTANCE=50 WEIGHT_FIELD=harm_days WINDOWS="{WINDOWS}" HOT_RULE=0 '
    'HOT_VALUE=10 WINDOW="Fri/Sat nights" TOP_N=10 AREA="Sample city centre" '
    "BLOCKS=out/pipeline/blocks.gpkg OUTPUT=out/pipeline/hot_blocks.gpkg "
    "PDF=out/pipeline/brief.pdf UNMATCHED=out/pipeline/unmatched.gpkg"
)
MODEL_INPUTS = (
    f'ROADS="{SAMPLE}|layername=road_link" '
    f'AMBULANCE="{SAMPLE}|layername=ambulance" AMBULANCE_TIME=call_time '
    f'AE="{SAMPLE}|layername=ae_istv" AE_TIME=assault_datetime '
    f'POLICE="{SAMPLE}|layername=police" POLICE_TIME=committed_from '
    "POLICE_END_TIME=committed_to POLICE_HARM=harm_days "
    f'WINDOWS="{WINDOWS}" AREA="Sample city centre"'
)


def model_outputs() -> list[str]:
    """A file in out/model/ for each of the shipped model's outputs, whatever they are named
    (read from the .model3: qgis_process wants every model output given)."""
    model = ROOT / "models" / "hot_blocking_roads_incidents_to_brief.model3"
    children = ElementTree.parse(model).getroot().find("Option[@name='children']")
    outputs = []
    for child in children:
        algorithm = child.find("Option[@name='alg_id']").get("value")
        extension = "pdf" if algorithm == "hotblocking:taskingbrief" else "gpkg"
        for output in child.findall("Option[@name='outputs']/Option"):
            name = f"{child.get('name')}:{output.get('name')}"
            stem = re.sub(r"\W+", "_", name)
            outputs.append(f"{name}=out/model/{stem}.{extension}")
    return outputs


def ambulance_points(path: Path) -> dict[str, tuple[float, float] | None]:
    """call_id -> (x, y) in EPSG:27700 straight from the sample, for calls with a time (a call
    without one is unmatched, "missing time"); None where the call has no location."""
    source = ogr.Open(str(path))
    layer = source.GetLayerByName("ambulance")
    points = {}
    for feature in layer:
        if not feature.IsFieldSetAndNotNull("call_time"):
            continue
        geometry = feature.GetGeometryRef()
        points[feature.GetField("call_id")] = (
            (geometry.GetX(), geometry.GetY()) if geometry is not None else None
        )
    return points


def write_lonlat_copy(sample: Path, out: Path) -> None:
    """The sample's ambulance layer with its points transformed to EPSG:4326 by GDAL's osr."""
    source = ogr.Open(str(sample))
    layer = source.GetLayerByName("ambulance")
    bng, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)  # x = longitude
    transform = osr.CoordinateTransformation(bng, wgs84)
    target = ogr.GetDriverByName("GPKG").CreateDataSource(str(out))
    copy = target.CreateLayer("ambulance", wgs84, ogr.wkbPoint)
    definition = layer.GetLayerDefn()
    for index in range(definition.GetFieldCount()):
        copy.CreateField(definition.GetFieldDefn(index))
    target.StartTransaction()
    for feature in layer:
        geometry = feature.GetGeometryRef()
        if geometry is not None:
            geometry = geometry.Clone()
            geometry.Transform(transform)
        new = ogr.Feature(copy.GetLayerDefn())
        new.SetFrom(feature)
        new.SetGeometry(geometry)
        copy.CreateFeature(new)
    target.CommitTransaction()
    target = None


def read_rows(uri: str, fields: list[str]) -> list[dict]:
    path, _, layer_name = uri.partition("|layername=")
    source = ogr.Open(path)
    layer = source.GetLayerByName(layer_name) if layer_name else source.GetLayer(0)
    rows = []
    for feature in layer:
        row = {name: feature.GetField(name) for name in fields}
        geometry = feature.GetGeometryRef()
        row["wkb"] = bytes(geometry.ExportToWkb()) if geometry is not None else None
        rows.append(row)
    return rows


def feature_count(uri: str) -> int:
    path, _, layer_name = uri.partition("|layername=")
    source = ogr.Open(path)
    layer = source.GetLayerByName(layer_name) if layer_name else source.GetLayer(0)
    return layer.GetFeatureCount()


@pytest.fixture(scope="module")
def runs(installed_home, tmp_path_factory):
    """The whole README pipeline, the lon/lat join beside the three joins, and the model
    beside everything, each one qgis_process.bin call."""
    folder = tmp_path_factory.mktemp("installed_pipeline")
    (folder / "sample_data").symlink_to(ROOT / "sample_data")
    (folder / "out").mkdir()
    write_lonlat_copy(ROOT / SAMPLE, folder / "out" / "ambulance_lonlat.gpkg")

    def run(algorithm, line, *extra):
        return run_json(installed_home, algorithm, [*parameters(line), *extra], folder)

    def run_model():
        return run(MODEL_ID, MODEL_INPUTS, *model_outputs())

    with ThreadPoolExecutor(max_workers=4) as pool:
        model = pool.submit(run_model)
        one_step = pool.submit(run, "hotblocking:pipeline", PIPELINE)
        blocks = run("hotblocking:buildblocks", BUILD)
        joins = {
            key: pool.submit(run, "hotblocking:joinincidents", line) for key, line in JOINS.items()
        }
        joins = {key: future.result() for key, future in joins.items()}
        risk = run("hotblocking:computerisk", RISK)
        brief = run("hotblocking:taskingbrief", BRIEF)
        return {
            "folder": folder,
            "blocks": blocks,
            "joins": joins,
            "risk": risk,
            "brief": brief,
            "model": model.result(),
            "pipeline": one_step.result(),
        }


def test_plain_qgis_process_loads_the_installed_copy(installed_home, runs):
    """No venv anywhere: the answers come from the copy in the private profile."""
    assert runs["blocks"]["algorithm_details"]["id"] == "hotblocking:buildblocks"
    assert (installed_home.plugin_dir / "libs").is_dir()
    assert not (installed_home.plugin_dir / "tests").exists()
    assert "Hot Blocking cannot run" not in runs["blocks"]["stderr"]


def test_readme_pipeline(runs, sample_truth):
    truth = sample_truth
    blocks = runs["blocks"]["results"]
    assert (blocks["BLOCK_COUNT"], blocks["LINK_COUNT"], blocks["SKIPPED_COUNT"]) == (
        truth.blocks,
        truth.links,
        0,
    )
    for key, layer in (("ambulance", "ambulance"), ("ae", "ae_istv"), ("police", "police")):
        read, joined = truth.read[layer], truth.joined[layer]
        results = runs["joins"][key]["results"]
        assert (results["READ_COUNT"], results["MATCHED_COUNT"], results["UNMATCHED_COUNT"]) == (
            read,
            joined,
            read - joined,
        ), key
    risk = runs["risk"]["results"]
    assert risk["INCIDENTS_USED"] == sum(truth.joined.values())
    assert (risk["BLOCKS_WITH_ANY"], risk["HOT_BLOCKS"]) == (489, 20)
    assert runs["brief"]["results"]["PAGE_COUNT"] == 11
    pdf = runs["folder"] / runs["brief"]["results"]["OUTPUT"]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_shipped_model(runs, sample_truth):
    results = runs["model"]["results"]
    folder = runs["folder"]
    uris = [str(folder / v) for v in results.values() if isinstance(v, str)]
    counts = sorted(feature_count(u) for u in uris if u.split("|")[0].endswith(".gpkg"))
    pdfs = [u for u in uris if u.endswith(".pdf")]
    assert len(pdfs) == 1 and Path(pdfs[0]).read_bytes().startswith(b"%PDF")
    # blocks, hot blocks (two windows), and joined + unmatched per source
    assert sample_truth.blocks in counts and sample_truth.blocks * 2 in counts
    for layer, joined in sample_truth.joined.items():
        assert joined in counts and sample_truth.unmatched(layer) in counts


def test_lonlat_route_matches_a_brute_force_join(runs):
    """EPSG:4326 incidents, EPSG:27700 blocks: every incident on a nearest block within 50 m."""
    folder = runs["folder"]
    results = runs["joins"]["lonlat"]["results"]
    assert results["READ_COUNT"] == 3000

    blocks = read_rows(str(folder / "out" / "blocks.gpkg"), ["block_id"])
    block_ids = np.array([row["block_id"] for row in blocks], dtype=object)
    lines = shapely.from_wkb([row["wkb"] for row in blocks])
    original = ambulance_points(ROOT / SAMPLE)
    call_ids = [cid for cid, xy in original.items() if xy is not None]
    points = shapely.points([original[cid] for cid in call_ids])
    distance = shapely.distance(points[:, None], lines[None, :])  # every incident x every block
    nearest = distance.min(axis=1)
    matched = nearest <= MAX_DISTANCE
    assert not np.any(np.abs(nearest - MAX_DISTANCE) < ROUND_TRIP), "an incident on the radius"

    joined = read_rows(
        results["OUTPUT"].replace("out/", str(folder / "out") + "/", 1),
        ["call_id", "block_id", "snap_dist"],
    )
    by_call = {row["call_id"]: row for row in joined}
    assert len(by_call) == len(joined) == int(matched.sum()) == results["MATCHED_COUNT"]
    assert results["UNMATCHED_COUNT"] == 3000 - int(matched.sum())
    for index, call_id in enumerate(call_ids):
        if not matched[index]:
            assert call_id not in by_call
            continue
        row = by_call[call_id]
        tied = set(block_ids[distance[index] <= nearest[index] + ROUND_TRIP])
        assert row["block_id"] in tied, call_id
        assert row["snap_dist"] == pytest.approx(nearest[index], abs=ROUND_TRIP), call_id
    # the projected route joins the same incidents
    assert results["MATCHED_COUNT"] == runs["joins"]["ambulance"]["results"]["MATCHED_COUNT"]


def test_lonlat_route_gives_the_projected_routes_reasons(runs):
    """Unmatched incidents keep their reason whichever CRS they arrive in."""
    out = runs["folder"] / "out"
    reasons = {}
    for name in ("unmatched_ambulance", "unmatched_lonlat"):
        rows = read_rows(str(out / f"{name}.gpkg"), ["call_id", "reason"])
        reasons[name] = {row["call_id"]: row["reason"] for row in rows}
    assert reasons["unmatched_lonlat"] == reasons["unmatched_ambulance"]


def table(path: Path, name: str) -> tuple[list[str], list[tuple]]:
    import sqlite3

    with sqlite3.connect(path) as db:
        cursor = db.execute(f'SELECT * FROM "{name}" ORDER BY fid')
        return [d[0] for d in cursor.description], cursor.fetchall()


def test_one_step_pipeline_equals_the_readme_pipeline(runs, sample_truth):
    """hotblocking:pipeline in plain qgis_process: the README's four steps' blocks and hot
    blocks, cell by cell. Its labels are the layers' table names (ae_istv for the README's
    "A&E"), so the per-source columns are matched by position and 'sources' is left out."""
    results = runs["pipeline"]["results"]
    out = runs["folder"] / "out"
    assert results["READ_COUNT"] == sum(sample_truth.read.values())
    assert results["MATCHED_COUNT"] == sum(sample_truth.joined.values())
    assert results["READ_COUNT"] == results["MATCHED_COUNT"] + results["UNMATCHED_COUNT"]
    assert feature_count(str(out / "pipeline" / "unmatched.gpkg")) == results["UNMATCHED_COUNT"]
    assert "JOINED" not in results or not results["JOINED"]
    assert results["BLOCK_COUNT"] == sample_truth.blocks and results["PAGE_COUNT"] == 11
    assert (out / "pipeline" / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert table(out / "pipeline" / "blocks.gpkg", "blocks") == table(out / "blocks.gpkg", "blocks")
    names, rows = table(out / "pipeline" / "hot_blocks.gpkg", "hot_blocks")
    readme_names, readme_rows = table(out / "hot_blocks.gpkg", "hot_blocks")
    assert (
        len(names) == len(readme_names)
        and len(rows) == len(readme_rows) == 2 * results["BLOCK_COUNT"]
    )
    kept = [i for i, n in enumerate(readme_names) if n != "sources"]
    assert [n for n in names if n.startswith("n_")] == ["n_ae_istv", "n_ambulance", "n_police"]
    for row, readme_row in zip(rows, readme_rows):
        assert [row[i] for i in kept] == [readme_row[i] for i in kept]
