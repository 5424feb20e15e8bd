"""A 2M-incident join cancelled mid-run stops soon and reports no output as complete."""

import os
import threading
import time

import numpy as np
import pytest
import shapely
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsProcessingFeedback


@pytest.fixture(scope="module")
def big_incidents(tmp_path_factory, plugin):
    import importlib

    writer = importlib.import_module("hotblocking_under_test.processing.gpkg_writer")
    folder = tmp_path_factory.mktemp("big")
    n = 2_000_000
    rng = np.random.default_rng(7)
    points = shapely.points(rng.uniform(0, 5000, n), rng.uniform(0, 5000, n))
    times = np.datetime64("2025-01-01T00:00", "ms") + rng.integers(0, 3e10, n).astype(
        "timedelta64[ms]"
    )
    path = str(folder / "big.gpkg")
    wkt = 'PROJCS["OSGB36 / British National Grid",AUTHORITY["EPSG","27700"]]'
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    writer.write_layer(
        path,
        "calls",
        points,
        "Point",
        srs.ExportToWkt(),
        [writer.Column("call_time", "datetime", times)],
        spatial_index=False,
    )
    del wkt
    lines = [(f"LINESTRING ({x} 0, {x} 5000)", {"block_id": f"v{x}"}) for x in range(0, 5001, 100)]
    lines += [(f"LINESTRING (0 {y}, 5000 {y})", {"block_id": f"h{y}"}) for y in range(0, 5001, 100)]
    blocks = write_gpkg(
        folder / "blocks.gpkg", "blocks", ogr.wkbLineString, lines, [("block_id", "str")]
    )
    return f"{path}|layername=calls", blocks, folder


def test_cancel_stops_quickly_without_output(run, big_incidents):
    incidents, blocks, folder = big_incidents
    feedback = QgsProcessingFeedback()
    cancel_at = {}

    def cancel():
        cancel_at["t"] = time.monotonic()
        feedback.cancel()

    timer = threading.Timer(1.0, cancel)
    output = str(folder / "joined.gpkg")
    timer.start()
    try:
        with pytest.raises(QgsProcessingException, match="Cancel"):
            run(
                "joinincidents",
                {
                    "INCIDENTS": incidents,
                    "BLOCKS": blocks,
                    "MAX_DISTANCE": 50,
                    "OUTPUT": output,
                    "UNMATCHED": str(folder / "unmatched.gpkg"),
                },
                feedback=feedback,
            )
        stopped = time.monotonic()
    finally:
        timer.cancel()
    assert "t" in cancel_at, "the run finished before it could be cancelled"
    # Generous: CI shares two cores; the uncancelled run takes over 10 s on a quiet machine.
    assert stopped - cancel_at["t"] < 8.0
    assert not os.path.exists(str(folder / "unmatched.gpkg"))
