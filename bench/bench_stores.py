"""Benchmark: reading every store, and joinincidents from PostGIS against GeoPackage.

A benchmark, not a test (``python bench/bench_stores.py``). In ONE process, on the cached
synthetic data of ``_common.py`` copied into a private PostgreSQL + PostGIS cluster
(tests/helpers/hb_postgis.py: initdb in a temporary folder, stopped at the end):

1. ``hotblocking:joinincidents`` (MAX_DISTANCE=50, TIME_FIELD=call_time, outputs to .gpkg)
   with roads and incidents from the GeoPackages, then the same with both from PostGIS, side
   by side; the ratio PostGIS / GeoPackage is printed (target: at most 1.5).
2. The bridge's read of the incidents (geometry + the time field + the reference) from each
   store: GeoPackage, PostGIS, Shapefile, GeoJSON, FlatGeobuf, CSV (through OGR and through
   QGIS's delimited text provider), SpatiaLite (file and provider), a memory layer, a
   selection (every other feature) and a GeoPackage layer with one unsaved edit. Rows per
   second and the route taken (bulk through GDAL, or QGIS's iteration) are printed.

    python bench/bench_stores.py [--size small|large] [--seed N] [--skip-join] [--skip-reads]
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))
import _common as C
from hb_postgis import PrivateCluster

LABELS = {"small": "50k/200k", "large": "500k/2M"}
TARGET_RATIO = 1.5
MAX_DISTANCE = 50


def load_postgis(pg, size: str, seed: int) -> None:
    from osgeo import gdal

    gdal.UseExceptions()
    for path, layer in (
        (C.roads_path(size, seed), C.ROADS_LAYER),
        (C.incidents_path(size, seed), C.INCIDENTS_LAYER),
    ):
        t0 = time.perf_counter()
        gdal.VectorTranslate(
            pg.gdal(),
            str(path),
            format="PostgreSQL",
            layers=[layer],
            layerName=f"public.{layer}",
            accessMode="overwrite",
            options=["-preserve_fid"],
            layerCreationOptions=[
                "GEOMETRY_NAME=geom",
                "FID=fid",
                "SPATIAL_INDEX=NONE",
                "COLUMN_TYPES=call_time=timestamp",
            ],
        )
        pg.psql(f"ANALYZE {layer}")
        print(f"[postgis] {layer} loaded in {time.perf_counter() - t0:.1f} s", flush=True)


def join(roads: str, incidents: str, work: Path, name: str) -> tuple[float, dict]:
    params = {
        "INCIDENTS": incidents,
        "BLOCKS": roads,
        "MAX_DISTANCE": MAX_DISTANCE,
        "TIME_FIELD": "call_time",
        "OUTPUT": str(work / f"{name}_joined.gpkg"),
        "UNMATCHED": str(work / f"{name}_unmatched.gpkg"),
    }
    t0 = time.perf_counter()
    result, _ = C.run_alg("hotblocking:joinincidents", params)
    return time.perf_counter() - t0, result


def join_table(pg, size, seed, work) -> None:
    gpkg_roads = f"{C.roads_path(size, seed)}|layername={C.ROADS_LAYER}"
    gpkg_incidents = f"{C.incidents_path(size, seed)}|layername={C.INCIDENTS_LAYER}"
    pg_roads = f"postgres://{pg.uri(C.ROADS_LAYER)}"
    pg_incidents = f"postgres://{pg.uri(C.INCIDENTS_LAYER)}"
    sample = C.ROOT / "sample_data" / "hotblocking_sample.gpkg"
    join(f"{sample}|layername=road_link", f"{sample}|layername=ambulance", work, "warm")
    rows = []
    timings = {}
    for name, roads, incidents in (
        ("GeoPackage", gpkg_roads, gpkg_incidents),
        ("PostGIS", pg_roads, pg_incidents),
    ):
        seconds, result = join(roads, incidents, work, name)
        timings[name] = seconds
        rows.append(
            [
                f"hotblocking:joinincidents from {name}",
                LABELS[size],
                f"{seconds:.1f}",
                result["READ_COUNT"],
                result["MATCHED_COUNT"],
            ]
        )
    print()
    C.print_table(["run", "blocks/incidents", "seconds", "read", "joined"], rows)
    ratio = timings["PostGIS"] / timings["GeoPackage"]
    verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
    print(f"PostGIS / GeoPackage = {ratio:.2f} ({verdict} the {TARGET_RATIO}x target)", flush=True)


def read_table(pg, size, seed, work) -> None:
    from osgeo import gdal
    from qgis.core import (
        QgsFeatureRequest,
        QgsGeometry,
        QgsPointXY,
        QgsProcessingContext,
        QgsProject,
        QgsVectorLayer,
    )

    gdal.UseExceptions()
    bridge = importlib.import_module("hotblocking_plugin.processing.bridge")
    gpkg = str(C.incidents_path(size, seed))
    layer_name = C.INCIDENTS_LAYER
    files = {}
    for label, suffix, options, dataset_options in (
        ("Shapefile", "shp", ["ENCODING=UTF-8"], []),
        ("GeoJSON", "geojson", [], []),
        ("FlatGeobuf", "fgb", ["SPATIAL_INDEX=NO"], []),
        ("CSV (OGR)", "csv", ["GEOMETRY=AS_XY", "CREATE_CSVT=YES"], []),
        ("SpatiaLite file", "sqlite", [], ["SPATIALITE=YES"]),
    ):
        path = str(work / f"incidents.{suffix}")
        gdal.VectorTranslate(
            path,
            gpkg,
            layers=[layer_name],
            layerCreationOptions=options,
            datasetCreationOptions=dataset_options,
        )
        files[label] = path
    layers = {
        "GeoPackage": QgsVectorLayer(f"{gpkg}|layername={layer_name}", "i", "ogr"),
        "PostGIS": QgsVectorLayer(pg.uri(layer_name), "i", "postgres"),
    }
    for label, path in files.items():
        layers[label] = QgsVectorLayer(path, "i", "ogr")
    layers["SpatiaLite provider"] = QgsVectorLayer(
        f"dbname='{files['SpatiaLite file']}' table=\"{layer_name}\" (geom)", "i", "spatialite"
    )
    csv = files["CSV (OGR)"]
    layers["CSV (delimited text)"] = QgsVectorLayer(
        f"file://{csv}?type=csv&xField=X&yField=Y&crs=EPSG:27700&detectTypes=yes",
        "i",
        "delimitedtext",
    )
    layers["memory"] = layers["GeoPackage"].materialize(QgsFeatureRequest())
    selected = QgsVectorLayer(f"{gpkg}|layername={layer_name}", "i", "ogr")
    edited = QgsVectorLayer(f"{gpkg}|layername={layer_name}", "i", "ogr")
    edited.startEditing()
    edited.changeGeometry(1, QgsGeometry.fromPointXY(QgsPointXY(0, 0)))
    layers["GeoPackage, one unsaved edit"] = edited

    rows = []
    for label, layer in layers.items():
        assert layer.isValid(), label
        context = QgsProcessingContext()
        inp = bridge.layer_input(layer, context)
        rows.append(_read_row(bridge, label, inp))
    project = QgsProject.instance()
    project.addMapLayer(selected)
    fids = sorted(selected.allFeatureIds())
    selected.selectByIds(fids[::2])
    rows.append(_read_row(bridge, "GeoPackage, every other feature selected", _selected(selected)))
    project.removeMapLayer(selected.id())
    edited.rollBack()
    print()
    C.print_table(["store", "rows", "seconds", "rows/s", "route"], rows)


def _selected(layer):
    """The input an algorithm gets for "selected features only" (a source definition)."""
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeatureSourceDefinition,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameters,
        QgsProject,
    )

    bridge = importlib.import_module("hotblocking_plugin.processing.bridge")
    definition = QgsProcessingParameterFeatureSource("INPUT")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    parameters = {"INPUT": QgsProcessingFeatureSourceDefinition(layer.id(), True)}

    class Parameters:  # the calls input_layer makes on an algorithm
        def parameterAsSource(self, parameters, name, context):  # noqa: N802
            return QgsProcessingParameters.parameterAsSource(definition, parameters, context)

        def parameterAsVectorLayer(self, parameters, name, context):  # noqa: N802
            return QgsProcessingParameters.parameterAsVectorLayer(definition, parameters, context)

    return bridge.input_layer(Parameters(), parameters, "INPUT", context)


def _read_row(bridge, label, inp) -> list:
    t0 = time.perf_counter()
    arrays = bridge.read_layer(inp, ["ref", "call_time"], points_as_xy=True)
    seconds = time.perf_counter() - t0
    route = arrays.route.split(" (")[0]
    print(f"[read] {label}: {len(arrays)} rows in {seconds:.2f} s ({route})", flush=True)
    return [label, len(arrays), f"{seconds:.2f}", f"{len(arrays) / seconds:,.0f}", route]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "large"], default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-join", action="store_true")
    parser.add_argument("--skip-reads", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the cluster on kill
    C.ensure_data(args.size, args.seed)
    print(f"# bench_stores {LABELS[args.size]}: {C.machine_line()}; {C.code_line()}", flush=True)
    C.start()
    work = Path(tempfile.mkdtemp(prefix="hb-bench-stores-"))
    with PrivateCluster(timezone="UTC") as pg:
        load_postgis(pg, args.size, args.seed)
        if not args.skip_join:
            join_table(pg, args.size, args.seed, work)
        if not args.skip_reads:
            read_table(pg, args.size, args.seed, work)
    C.finish(0)


if __name__ == "__main__":
    main()
