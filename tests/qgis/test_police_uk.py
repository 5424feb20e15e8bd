"""data.police.uk street-level crime as it is published, read with QGIS's delimited-text
provider: the README's worked example on the bundled sample, and the real West Yorkshire
file (July 2018, 31,635 rows) joined to a lattice of roads, checked against a brute-force
nearest computation made here with numpy (not the plugin's code)."""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hb_layers import write_gpkg
from hb_wheels import police_uk_csv
from osgeo import ogr, osr
from qgis.core import QgsProcessingFeedback, QgsVectorLayer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "sample_data" / "police_uk_street.csv"
SAMPLE_ROADS = ROOT / "sample_data" / "hotblocking_sample.gpkg"
VIOLENCE = "Violence and sexual offences"
VIOLENCE_FILTER = "\"Crime type\" = 'Violence and sexual offences'"
WINDOWS = "Whole period=all; Fri/Sat nights=Fri-Sat 22:00-04:00"


class Log(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, text):  # noqa: N802
        self.lines.append(text)
        super().pushInfo(text)

    def pushWarning(self, text):  # noqa: N802
        self.lines.append(text)
        super().pushWarning(text)


def police_layer(path: Path) -> QgsVectorLayer:
    """The CSV as the README tells users to add it (Layer > Add Delimited Text Layer)."""
    uri = (
        f"file://{path}?type=csv&delimiter=,&detectTypes=yes"
        "&xField=Longitude&yField=Latitude&crs=EPSG:4326"
    )
    layer = QgsVectorLayer(uri, "police", "delimitedtext")
    assert layer.isValid(), uri
    return layer


def csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def features(uri, key="Crime ID"):
    layer = QgsVectorLayer(uri, "x", "ogr")
    assert layer.isValid(), uri
    return list(layer.getFeatures())


# ------------------------------------------------------------------ (a) the worked example


@pytest.fixture(scope="module")
def sample_blocks(plugin, tmp_path_factory):
    import processing

    out = tmp_path_factory.mktemp("police_uk_sample") / "blocks.gpkg"
    return processing.run(
        "hotblocking:buildblocks",
        {
            "INPUT": f"{SAMPLE_ROADS}|layername=road_link",
            "MAX_LENGTH": 100,
            "OUTPUT": str(out),
        },
    )["OUTPUT"]


def test_worked_example_on_the_bundled_sample(run, tmp_path, sample_blocks):
    rows = csv_rows(SAMPLE_CSV)
    violence = [r for r in rows if r["Crime type"] == VIOLENCE]
    no_location = [r for r in violence if r["Location"] == "No Location"]
    assert violence and no_location and len(violence) < len(rows)

    log = Log()
    joined = run(
        "joinincidents",
        {
            "INCIDENTS": police_layer(SAMPLE_CSV),
            "SOURCE": "police",
            "BLOCKS": sample_blocks,
            "MAX_DISTANCE": 50,
            "TIME_FIELD": "Month",
            "FILTER": VIOLENCE_FILTER,
            "OUTPUT": str(tmp_path / "joined_police_uk.gpkg"),
            "UNMATCHED": str(tmp_path / "unmatched_police_uk.gpkg"),
        },
        feedback=log,
    )
    assert joined["READ_COUNT"] == len(violence)
    assert joined["FILTERED_OUT_COUNT"] == len(rows) - len(violence)
    assert joined["MATCHED_COUNT"] + joined["UNMATCHED_COUNT"] == len(violence)
    assert any(f"{len(rows) - len(violence)} left out" in line for line in log.lines)
    matched = features(joined["OUTPUT"])
    assert {f["Crime type"] for f in matched} == {VIOLENCE}
    assert {f["time_precision"] for f in matched} == {"month"}
    reasons = Counter(f["reason"] for f in features(joined["UNMATCHED"]))
    assert reasons["no geometry"] == len(no_location)

    risk_log = Log()
    risk = run(
        "computerisk",
        {
            "BLOCKS": sample_blocks,
            "INCIDENTS": [joined["OUTPUT"]],
            "WINDOWS": WINDOWS,
            "TREND_STEP": 1,  # per month: the data has months only
            "HOT_RULE": 0,
            "HOT_VALUE": 10,
            "OUTPUT": str(tmp_path / "hot_blocks.gpkg"),
        },
        feedback=risk_log,
    )
    hot = features(risk["OUTPUT"])
    whole = [f for f in hot if f["window"] == "Whole period"]
    nights = [f for f in hot if f["window"] == "Fri/Sat nights"]
    assert sum(f["incidents"] for f in whole) == pytest.approx(joined["MATCHED_COUNT"])
    assert sum(f["hot"] for f in whole) >= 10
    assert len({f["rank"] for f in whole}) > 10  # a real ranking, not every block rank 1
    assert sum(f["incidents"] for f in nights) == 0  # month-only: no time of day

    brief = run(
        "taskingbrief",
        {
            "HOTBLOCKS": risk["OUTPUT"],
            "WINDOW": "Whole period",
            "TOP_N": 5,
            "AREA": "Sample city centre (data.police.uk)",
            "POLICE_UK_NOTE": True,
            "OUTPUT": str(tmp_path / "brief_police_uk.pdf"),
        },
    )
    assert brief["PAGE_COUNT"] >= 2
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", brief["OUTPUT"], "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "data.police.uk locations are anonymised" in " ".join(text.split())


# ------------------------------------------------- (b) the real West Yorkshire file, July 2018

LATTICE_SPACING = 2000.0  # metres between parallel roads; each block is one 2 km side


def lattice(bounds):
    """Horizontal then vertical 2 km road blocks covering ``bounds`` (x0, y0, x1, y1) with a
    margin: (segments as an (n, 4) array x0 y0 x1 y1, WKT list)."""
    x0 = np.floor(bounds[0] / LATTICE_SPACING) * LATTICE_SPACING - LATTICE_SPACING
    y0 = np.floor(bounds[1] / LATTICE_SPACING) * LATTICE_SPACING - LATTICE_SPACING
    xs = np.arange(x0, bounds[2] + 2 * LATTICE_SPACING, LATTICE_SPACING)
    ys = np.arange(y0, bounds[3] + 2 * LATTICE_SPACING, LATTICE_SPACING)
    segments = [(a, y, b, y) for y in ys for a, b in zip(xs[:-1], xs[1:])]
    segments += [(x, a, x, b) for x in xs for a, b in zip(ys[:-1], ys[1:])]
    return np.array(segments)


def brute_force_nearest(points: np.ndarray, segments: np.ndarray, chunk: int = 512):
    """For each point: (index of the nearest segment, lowest index on ties; distance),
    by the point-to-segment distance to every segment."""
    ax, ay, bx, by = segments.T
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    best = np.empty(len(points), dtype=np.int64)
    dist = np.empty(len(points))
    for start in range(0, len(points), chunk):
        p = points[start : start + chunk]
        px, py = p[:, :1], p[:, 1:]
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
        d = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
        best[start : start + chunk] = np.argmin(d, axis=1)  # first of equal minima
        dist[start : start + chunk] = d.min(axis=1)
    return best, dist


def to_british_grid(lon_lat: np.ndarray) -> np.ndarray:
    source, target = osr.SpatialReference(), osr.SpatialReference()
    source.ImportFromEPSG(4326)
    target.ImportFromEPSG(27700)
    for srs in (source, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, target)
    return np.array(transform.TransformPoints(lon_lat))[:, :2]


@pytest.fixture(scope="module")
def west_yorkshire(plugin, tmp_path_factory):
    """The real file, its located rows in EPSG:27700 and a lattice of roads over them."""
    path = police_uk_csv()
    rows = csv_rows(path)
    located = [r for r in rows if r["Longitude"] and r["Latitude"]]
    lon_lat = np.array([(float(r["Longitude"]), float(r["Latitude"])) for r in located])
    xy = to_british_grid(lon_lat)
    segments = lattice((*xy.min(axis=0), *xy.max(axis=0)))
    folder = tmp_path_factory.mktemp("west_yorkshire")
    blocks = write_gpkg(
        folder / "lattice.gpkg",
        "lattice",
        ogr.wkbLineString,
        [
            (f"LINESTRING ({a} {b}, {c} {d})", {"block_id": f"L{i}"})
            for i, (a, b, c, d) in enumerate(segments)
        ],
        [("block_id", "str")],
    )
    return {
        "path": path,
        "rows": rows,
        "located": located,
        "xy": xy,
        "segments": segments,
        "blocks": blocks,
        "folder": folder,
    }


@pytest.fixture(scope="module")
def west_yorkshire_join(west_yorkshire):
    import processing

    folder = west_yorkshire["folder"]
    return processing.run(
        "hotblocking:joinincidents",
        {
            "INCIDENTS": police_layer(west_yorkshire["path"]),
            "SOURCE": "police",
            "BLOCKS": west_yorkshire["blocks"],
            "MAX_DISTANCE": LATTICE_SPACING,  # every located crime is within 1 km of a road
            "TIME_FIELD": "Month",
            "OUTPUT": str(folder / "joined.gpkg"),
            "UNMATCHED": str(folder / "unmatched.gpkg"),
        },
    )


def test_real_file_every_record_accounted_for(west_yorkshire, west_yorkshire_join):
    rows, result = west_yorkshire["rows"], west_yorkshire_join
    no_location = [r for r in rows if r["Location"] == "No Location"]
    assert len(rows) == 31635 and len(no_location) == 883
    assert result["READ_COUNT"] == len(rows)
    assert result["MATCHED_COUNT"] + result["UNMATCHED_COUNT"] == result["READ_COUNT"]
    assert result["MATCHED_COUNT"] == len(west_yorkshire["located"])
    unmatched = features(result["UNMATCHED"])
    assert len(unmatched) == len(no_location)
    assert {f["reason"] for f in unmatched} == {"no geometry"}
    assert Counter(f["Location"] for f in unmatched) == {"No Location": 883}
    matched = features(result["OUTPUT"])
    assert {f["time_precision"] for f in matched} == {"month"}
    assert {f["time_start"].toString("yyyy-MM-ddTHH:mm") for f in matched} == {"2018-07-01T00:00"}
    assert {f["time_end"].toString("yyyy-MM-ddTHH:mm") for f in matched} == {"2018-08-01T00:00"}


def _joined_by_row(west_yorkshire, west_yorkshire_join):
    """The join's block and point per located CSV row, aligned with ``located``.

    Rows are matched by their place in the file: the delimited-text provider numbers
    features by line (feature id 1 = first data row), and incident_id is 'police:<fid>'."""
    rows = west_yorkshire["rows"]
    row_of_located = [i for i, r in enumerate(rows) if r["Longitude"] and r["Latitude"]]
    by_fid = {}
    for f in features(west_yorkshire_join["OUTPUT"]):
        fid = int(f["incident_id"].split(":", 1)[1])
        point = f.geometry().asPoint()
        by_fid[fid] = (f["block_id"], f["snap_dist"], point.x(), point.y(), f["Crime ID"])
    fids = sorted(by_fid)
    assert len(fids) == len(row_of_located)
    # Crime IDs confirm the alignment where the file has them (anti-social behaviour has none).
    for fid, row_index in zip(fids, row_of_located):
        crime_id = rows[row_index]["Crime ID"]
        assert (by_fid[fid][4] or "") == crime_id
    return [by_fid[fid] for fid in fids]


def test_real_file_blocks_match_a_brute_force_nearest(west_yorkshire, west_yorkshire_join):
    joined = _joined_by_row(west_yorkshire, west_yorkshire_join)
    xy = west_yorkshire["xy"]
    # Same transform (GDAL's osr and QGIS both use the system PROJ): within a millimetre.
    qgis_xy = np.array([(j[2], j[3]) for j in joined])
    assert np.abs(qgis_xy - xy).max() < 1e-3
    rng = np.random.default_rng(2018)
    sample = rng.choice(len(xy), size=4000, replace=False)
    nearest, distance = brute_force_nearest(xy[sample], west_yorkshire["segments"])
    got_block = np.array([joined[i][0] for i in sample])
    got_dist = np.array([joined[i][1] for i in sample])
    expected_block = np.array([f"L{i}" for i in nearest])
    differ = got_block != expected_block
    # A difference is only allowed on an exact tie (then the first block wins in both).
    assert np.all(np.abs(got_dist[differ] - distance[differ]) < 1e-6), differ.sum()
    assert differ.sum() <= 2
    assert np.allclose(got_dist, distance, atol=1e-3)


def test_real_file_whole_period_counts_per_block(west_yorkshire, west_yorkshire_join, run):
    folder = west_yorkshire["folder"]
    xy = west_yorkshire["xy"]
    nearest, _ = brute_force_nearest(xy, west_yorkshire["segments"], chunk=256)
    expected = Counter(f"L{i}" for i in nearest)
    risk = run(
        "computerisk",
        {
            "BLOCKS": west_yorkshire["blocks"],
            "INCIDENTS": [west_yorkshire_join["OUTPUT"]],
            "WINDOWS": "July=all",
            "OUTPUT": str(folder / "hot_blocks.gpkg"),
        },
    )
    counts = {
        f["block_id"]: f["incidents"]
        for f in features(risk["OUTPUT"])
        if f["window"] == "July" and f["incidents"]
    }
    assert sum(counts.values()) == len(xy)
    mismatched = {b for b in set(counts) | set(expected) if counts.get(b, 0) != expected[b]}
    # Only exact ties may move a crime from one block to the other (none expected).
    assert len(mismatched) <= 4, sorted(mismatched)[:10]
