"""Every vector destination QGIS offers, for every output: written, loadable, chainable.

For each kind of destination the whole chain runs with every output there (blocks ->
joins -> risk + profiles -> brief); the ranks, counts and the brief's reading of the hot
blocks must equal the GeoPackage chain's. Where a format cannot hold an output it is refused
before any work (FlatGeobuf drops rows without geometry; a DBF cannot hold the 168-hour
profile): those outputs go to a GeoPackage in that chain, and the refusals are tested below.
"""

from __future__ import annotations

import importlib
import math
import os
import sqlite3
from pathlib import Path

import pytest
from hb_feedback import Log
from hb_json import json_answer
from hb_sample import SAMPLE, WINDOWS
from osgeo import gdal, ogr
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingUtils,
    QgsProject,
    QgsVectorLayer,
)

gdal.UseExceptions()

SOURCES = [  # layer, label, time, end, harm
    ("ambulance", "ambulance", "call_time", None, None),
    ("police", "police", "committed_from", "committed_to", "harm_days"),
]
RANK_FIELDS = ["block_id", "window", "rank", "incidents", "harm", "risk", "hot", "q_value"]


def run(algorithm, parameters, context=None, feedback=None):
    import processing  # on the path once QGIS is up

    return processing.run(
        f"hotblocking:{algorithm}",
        parameters,
        context=context or QgsProcessingContext(),
        feedback=feedback or QgsProcessingFeedback(),
    )


_LOADED = QgsProcessingContext()  # owns the layers load() opens


def load(value):
    """An output value as QGIS loads it (a layer object from processing.run stays one)."""
    if isinstance(value, QgsVectorLayer):
        return value
    layer = QgsProcessingUtils.mapLayerFromString(value, _LOADED)
    assert layer is not None and layer.isValid(), f"cannot load {value}"
    return layer


def rows(value, fields, key=("window", "block_id")):
    """Sorted rows of an output, as QGIS loads it."""
    layer = load(value)
    names = layer.fields().names()
    out = []
    for feature in layer.getFeatures():
        row = {f: _plain(feature[f]) for f in fields if f in names}
        out.append(row)
    return sorted(out, key=lambda r: tuple(str(r.get(k)) for k in key))


def _plain(value):
    if value == "":  # a CSV has one empty cell for NULL and empty text (README)
        return None
    if isinstance(value, bool):  # a Boolean kept as 0/1 (SpatiaLite provider)
        return int(value)
    if isinstance(value, float):
        return Close(value)
    return value


class Close(float):
    """Reals equal to 15 decimals: a DBF keeps 15 (README); other formats are exact (see
    test_reals_are_exact_in_csv_and_postgis)."""

    def __eq__(self, other):
        return math.isclose(self, other, rel_tol=1e-15, abs_tol=1e-15)

    __hash__ = float.__hash__


def chain(dest, tmp: Path):
    """buildblocks -> joins -> risk (+ profiles) -> brief, each output to ``dest(name)``."""
    out = {}
    out["blocks"] = run(
        "buildblocks",
        {"INPUT": f"{SAMPLE}|layername=road_link", "MAX_LENGTH": 100, "OUTPUT": dest("blocks")},
    )["OUTPUT"]
    joined = []
    for layer, label, time, end, harm in SOURCES:
        result = run(
            "joinincidents",
            {
                "INCIDENTS": f"{SAMPLE}|layername={layer}",
                "SOURCE": label,
                "BLOCKS": out["blocks"],
                "MAX_DISTANCE": 50,
                "TIME_FIELD": time,
                "END_TIME_FIELD": end,
                "WEIGHT_FIELD": harm,
                "OUTPUT": dest(f"joined_{layer}"),
                "UNMATCHED": dest(f"unmatched_{layer}"),
            },
        )
        joined.append(result["OUTPUT"])
        out[f"joined_{layer}"] = result["OUTPUT"]
        out[f"unmatched_{layer}"] = result["UNMATCHED"]
        out[f"counts_{layer}"] = (result["MATCHED_COUNT"], result["UNMATCHED_COUNT"])
    risk = run(
        "computerisk",
        {
            "BLOCKS": out["blocks"],
            "INCIDENTS": joined,
            "WINDOWS": WINDOWS,
            "HOT_RULE": 0,
            "HOT_VALUE": 10,
            "OUTPUT": dest("hot_blocks"),
            "PROFILES": dest("profiles"),
        },
    )
    out["hot"], out["profiles"] = risk["OUTPUT"], risk["PROFILES"]
    brief = run(
        "taskingbrief",
        {
            "HOTBLOCKS": out["hot"],
            "WINDOW": "Fri/Sat nights",
            "TOP_N": 1,
            "VISITS": 0,
            "OUTPUT": str(tmp / "brief.pdf"),
        },
    )
    out["pages"] = brief["PAGE_COUNT"]
    return out


def brief_frame(plugin, value):
    """The hot blocks as the brief reads them (its typed reader)."""
    bridge = importlib.import_module(
        type(plugin).__module__.rsplit(".", 1)[0] + ".processing.bridge"
    )
    brief = importlib.import_module(
        type(plugin).__module__.rsplit(".", 1)[0] + ".processing.tasking_brief"
    )
    layer = load(value)
    context = QgsProcessingContext()
    frame, _ = brief.TaskingBriefAlgorithm._read(bridge.layer_input(layer, context))
    # a CSV has one empty cell for NULL and empty text; it reads back as NULL (README)
    frame = frame.where(frame.ne(""), None)
    return frame.sort_values(["window", "block_id"]).reset_index(drop=True)


def assert_same_brief_frame(plugin, value, expected):
    from pandas.testing import assert_frame_equal

    assert_frame_equal(brief_frame(plugin, value), brief_frame(plugin, expected), rtol=1e-13)


@pytest.fixture(scope="module")
def base(plugin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chain_gpkg")
    return chain(lambda name: str(tmp / f"{name}.gpkg"), tmp)


def files(tmp, suffixes: dict, default="gpkg"):
    """name -> file destination by the suffix given for it (``memory`` for memory:)."""

    def dest(name):
        suffix = suffixes.get(name, default)
        return f"memory:{name}" if suffix == "memory" else str(tmp / f"{name}.{suffix}")

    return dest


# Each destination kind is the output of a join (read by computerisk) and of computerisk
# (read by the brief) in one of these chains; FlatGeobuf never holds a table or rows
# without geometry, a Shapefile never the hot blocks (refused up front, tested below).
FILE_CHAINS = {
    "shp-geojson-csv-fgb": {
        "blocks": "shp",
        "joined_ambulance": "geojson",
        "unmatched_ambulance": "geojson",
        "joined_police": "csv",
        "unmatched_police": "csv",
        "hot_blocks": "fgb",
        "profiles": "csv",
    },
    "sqlite-memory-shp-geojson": {
        "blocks": "sqlite",
        "joined_ambulance": "memory",
        "unmatched_ambulance": "memory",
        "joined_police": "shp",
        "unmatched_police": "shp",
        "hot_blocks": "geojson",
        "profiles": "shp",
    },
    "fgb-sqlite-memory": {
        "blocks": "fgb",
        "joined_ambulance": "fgb",
        "joined_police": "sqlite",
        "unmatched_police": "sqlite",
        "hot_blocks": "memory",
        "profiles": "sqlite",
    },
}


@pytest.mark.parametrize("name", list(FILE_CHAINS))
def test_chain_through_file_and_memory_destinations(plugin, base, tmp_path, name):
    out = chain(files(tmp_path, FILE_CHAINS[name]), tmp_path)
    assert_same_chain(plugin, out, base)
    assert not (Path.cwd() / "memory:").exists()  # finding 2: no folder named memory:


@pytest.mark.parametrize("suffix", ["csv", "sqlite", "shp"])
def test_hot_blocks_in_each_format_feed_the_brief(plugin, base, tmp_path, suffix):
    params = _params("computerisk", base, tmp_path)
    params["INCIDENTS"] = [base["joined_ambulance"], base["joined_police"]]
    params["HOT_VALUE"] = 10
    if suffix == "shp":  # a DBF cannot hold the hot blocks: the profiles table it can
        params["PROFILES"] = str(tmp_path / "profiles.shp")
        assert rows(
            run("computerisk", params)["PROFILES"],
            ["block_id", "window", "day", "hour", "value"],
            ("block_id", "window", "day", "hour"),
        ) == rows(
            base["profiles"],
            ["block_id", "window", "day", "hour", "value"],
            ("block_id", "window", "day", "hour"),
        )
        return
    params["OUTPUT"] = str(tmp_path / f"hot.{suffix}")
    hot = run("computerisk", params)["OUTPUT"]
    assert rows(hot, RANK_FIELDS) == rows(base["hot"], RANK_FIELDS)
    assert_same_brief_frame(plugin, hot, base["hot"])


def test_chain_through_postgis_every_destination_form(plugin, base, postgis, tmp_path):
    forms = {
        "blocks": lambda n: f"postgres://{postgis.uri('pg_' + n)}",
        "joined_ambulance": lambda n: f"postgis:{postgis.uri('pg_' + n)}",
        "unmatched_ambulance": lambda n: (
            f'ogr:dbname=\'PG:{postgis.conninfo()}\' table="public"."pg_{n}" (geom)'
        ),
    }

    def make(name):
        return forms.get(name, lambda n: f"postgres://{postgis.uri('pg_' + n)}")(name)

    out = chain(make, tmp_path)
    assert_same_chain(plugin, out, base)
    for name in ("blocks", "joined_ambulance", "unmatched_ambulance", "hot", "profiles"):
        assert str(out[name]).startswith("postgres://"), out[name]
    types = postgis.psql(
        "SELECT column_name || ':' || data_type FROM information_schema.columns "
        "WHERE table_name = 'pg_joined_police' AND column_name IN ('time_start', 'time_end')"
    )
    assert set(types.split("\n")) == {
        "time_start:timestamp without time zone",
        "time_end:timestamp without time zone",
    }
    # a re-run replaces the tables, as QGIS's own algorithms do (not appended, no GDAL error)
    result = run(
        "joinincidents",
        {
            "INCIDENTS": f"{SAMPLE}|layername=ambulance",
            "SOURCE": "ambulance",
            "BLOCKS": out["blocks"],
            "TIME_FIELD": "call_time",
            "OUTPUT": make("joined_ambulance"),
            "UNMATCHED": make("unmatched_ambulance"),
        },
    )
    assert load(result["OUTPUT"]).featureCount() == base["counts_ambulance"][0]
    assert load(result["UNMATCHED"]).featureCount() == base["counts_ambulance"][1]


def test_chain_through_database_tables_of_a_geopackage_and_spatialite(plugin, base, tmp_path):
    """*Save to GeoPackage* / "Save to Database Table": ogr:dbname=... table=... (one file,
    many tables) and, on a SpatiaLite connection, spatialite://... (QGIS's own exporter
    writes it, as for QGIS's algorithms)."""
    path = tmp_path / "db.sqlite"
    ds = ogr.GetDriverByName("SQLite").CreateDataSource(str(path), options=["SPATIALITE=YES"])
    del ds  # closed: an empty SpatiaLite database, as a connection in QGIS would be

    def make(name):
        if name in ("joined_police", "unmatched_police", "hot_blocks"):
            geometry = " (geom)"
            return f"spatialite://dbname='{path}' table=\"{name}\"{geometry}"
        return f"ogr:dbname='{tmp_path}/all.gpkg' table=\"{name}\" (geom)"

    out = chain(make, tmp_path)
    assert_same_chain(plugin, out, base)


def assert_same_chain(plugin, out, base):
    for layer, *_ in SOURCES:
        assert out[f"counts_{layer}"] == base[f"counts_{layer}"]
        for name in (f"joined_{layer}", f"unmatched_{layer}"):
            assert load(out[name]).featureCount() == load(base[name]).featureCount(), name
    assert load(out["blocks"]).featureCount() == load(base["blocks"]).featureCount()
    assert rows(out["hot"], RANK_FIELDS) == rows(base["hot"], RANK_FIELDS)
    profile_fields = ["block_id", "window", "day", "hour", "value"]
    key = ("block_id", "window", "day", "hour")
    assert rows(out["profiles"], profile_fields, key) == rows(base["profiles"], profile_fields, key)
    assert_same_brief_frame(plugin, out["hot"], base["hot"])
    assert out["pages"] == base["pages"]


# ------------------------------------------------------------------- what each format keeps


def test_shapefile_keeps_times_names_and_text(plugin, base, tmp_path):
    log = Log()
    result = run(
        "joinincidents",
        {
            "INCIDENTS": f"{SAMPLE}|layername=police",
            "SOURCE": "police",
            "BLOCKS": base["blocks"],
            "TIME_FIELD": "committed_from",
            "END_TIME_FIELD": "committed_to",
            "OUTPUT": str(tmp_path / "j.shp"),
            "UNMATCHED": str(tmp_path / "u.shp"),
        },
        feedback=log,
    )
    layer = load(result["OUTPUT"])
    names = layer.fields().names()
    assert {"incident_i", "time_start", "time_end"} <= set(names)
    assert any("incident_id -> incident_i" in w for w in log.warnings)  # listed in the log
    first = next(layer.getFeatures())
    assert len(first["time_start"]) == 23 and first["time_start"][10] == "T"  # ISO, time kept
    assert (tmp_path / "j.cpg").read_text().strip().upper() == "UTF-8"


def test_shapefile_refuses_text_it_cannot_hold(plugin, base, tmp_path):
    from hb_layers import write_gpkg

    long_text = "x" * 300
    inc = write_gpkg(
        tmp_path / "notes.gpkg",
        "notes",
        ogr.wkbPoint,
        [("POINT (530000 180000)", {"ref": "a", "t": "2025-06-06T23:00:00", "note": long_text})],
        [("ref", "str"), ("t", "str"), ("note", "str")],
    )
    with pytest.raises(QgsProcessingException, match="254 characters"):
        run(
            "joinincidents",
            {
                "INCIDENTS": inc,
                "BLOCKS": base["blocks"],
                "TIME_FIELD": "t",
                "MAX_DISTANCE": 0,
                "OUTPUT": str(tmp_path / "j.shp"),
                "UNMATCHED": str(tmp_path / "u.gpkg"),
            },
        )
    assert not (tmp_path / "j.shp").exists()


def test_csv_keeps_geometry_types_and_crs(plugin, base, tmp_path):
    result = run(
        "joinincidents",
        {
            "INCIDENTS": f"{SAMPLE}|layername=ambulance",
            "BLOCKS": base["blocks"],
            "TIME_FIELD": "call_time",
            "OUTPUT": str(tmp_path / "j.csv"),
            "UNMATCHED": str(tmp_path / "u.csv"),
        },
    )
    assert (tmp_path / "j.csvt").exists() and (tmp_path / "j.prj").exists()
    layer = load(result["OUTPUT"])
    assert layer.crs().authid() == "EPSG:27700" and layer.isSpatial()
    types = {f.name(): f.typeName() for f in layer.fields()}
    assert types["time_start"] == "DateTime" and types["snap_dist"] == "Real"


def test_sqlite_output_is_spatialite(plugin, base, tmp_path):
    run(
        "buildblocks",
        {"INPUT": f"{SAMPLE}|layername=road_link", "OUTPUT": str(tmp_path / "b.sqlite")},
    )
    with sqlite3.connect(tmp_path / "b.sqlite") as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(geometry_columns)")]
    assert "spatial_index_enabled" in columns  # SpatiaLite's layout, not OGR-SQLite's
    layer = QgsVectorLayer(
        f"dbname='{tmp_path / 'b.sqlite'}' table=\"blocks\" (geom)", "b", "spatialite"
    )
    assert layer.isValid() and layer.featureCount() == load(base["blocks"]).featureCount()


def test_memory_outputs_are_distinct_layers(plugin, base):
    params = {
        "INCIDENTS": f"{SAMPLE}|layername=ambulance",
        "BLOCKS": base["blocks"],
        "TIME_FIELD": "call_time",
        "OUTPUT": "memory:",
        "UNMATCHED": "memory:",
    }
    first, second = run("joinincidents", params), run("joinincidents", params)
    for result in (first, second):  # a re-run does not append
        assert load(result["OUTPUT"]).featureCount() == result["MATCHED_COUNT"]
        assert load(result["UNMATCHED"]).featureCount() == result["UNMATCHED_COUNT"]


def test_outputs_load_on_completion_under_the_value_returned(plugin, base, postgis):
    """The dialog loads outputs by the key Processing registered; it must be loadable."""
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    table = f"postgis:{postgis.uri('loaded_joined')}"
    params = {
        "INCIDENTS": f"{SAMPLE}|layername=ambulance",
        "BLOCKS": base["blocks"],
        "TIME_FIELD": "call_time",
        "OUTPUT": QgsProcessingOutputLayerDefinition(table, QgsProject.instance()),
        "UNMATCHED": QgsProcessingOutputLayerDefinition("memory:", QgsProject.instance()),
    }
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:joinincidents")
    results, ok = algorithm.run(params, context, QgsProcessingFeedback())
    assert ok
    keys = set(context.layersToLoadOnCompletion())
    assert results["OUTPUT"] in keys and results["UNMATCHED"] in keys
    for key in keys:
        assert QgsProcessingUtils.mapLayerFromString(key, context) is not None


# -------------------------------------------------------------------- refused before work


REFUSALS = [
    ("computerisk", "OUTPUT", "hot.shp", "254 characters"),
    ("computerisk", "PROFILES", "profiles.fgb", "FlatGeobuf"),
    ("joinincidents", "UNMATCHED", "u.fgb", "FlatGeobuf"),
    ("joinincidents", "OUTPUT", "j.kml", "not supported"),
]


@pytest.mark.parametrize("algorithm, output, name, words", REFUSALS)
def test_destinations_a_format_cannot_hold_are_refused_up_front(
    plugin, base, tmp_path, algorithm, output, name, words
):
    params = _params(algorithm, base, tmp_path)
    params[output] = str(tmp_path / name)
    with pytest.raises(QgsProcessingException, match=words):
        run(algorithm, params)
    assert os.listdir(tmp_path) == []  # nothing read, nothing written
    # the dialog asks the provider before running: same answer, same words
    alg = QgsApplication.processingRegistry().algorithmById(f"hotblocking:{algorithm}")
    ok, message = alg.provider().isSupportedOutputValue(
        str(tmp_path / name), alg.parameterDefinition(output), QgsProcessingContext()
    )
    assert not ok and words.split()[0] in message


@pytest.mark.parametrize(
    "first, second",
    [
        ("same.gpkg", "same.gpkg"),
        ("same.shp", "same.csv"),  # both would write same.prj
        ("ogr:dbname='{tmp}/x.gpkg' table=\"t\"", "ogr:dbname='{tmp}/x.gpkg' table=\"t\""),
        ("{tmp}/x.gpkg", "ogr:dbname='{tmp}/x.gpkg' table=\"u\""),  # the path replaces x.gpkg
    ],
)
def test_two_outputs_on_one_path_are_refused(plugin, base, tmp_path, first, second):
    params = _params("joinincidents", base, tmp_path)
    for key, value in (("OUTPUT", first), ("UNMATCHED", second)):
        value = value.format(tmp=tmp_path)
        params[key] = value if "/" in value else str(tmp_path / value)
    with pytest.raises(QgsProcessingException, match="both to be written"):
        run("joinincidents", params)
    assert os.listdir(tmp_path) == []
    # also where checkParameterValues is not called (a model's child step runs run())
    alg = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:joinincidents")
    results, ok = alg.run(params, QgsProcessingContext(), QgsProcessingFeedback())
    assert not ok and os.listdir(tmp_path) == []


def test_two_outputs_on_one_postgis_table_are_refused(plugin, base, postgis, tmp_path):
    params = _params("joinincidents", base, tmp_path)
    params["OUTPUT"] = f"postgres://{postgis.uri('dup')}"
    params["UNMATCHED"] = f"postgis:{postgis.uri('dup')}"
    with pytest.raises(QgsProcessingException, match="both to be written"):
        run("joinincidents", params)


def _params(algorithm, base, tmp_path):
    if algorithm == "computerisk":
        return {
            "BLOCKS": base["blocks"],
            "INCIDENTS": [base["joined_ambulance"]],
            "WINDOWS": WINDOWS,
            "OUTPUT": str(tmp_path / "hot.gpkg"),
            "PROFILES": str(tmp_path / "profiles.gpkg"),
        }
    return {
        "INCIDENTS": f"{SAMPLE}|layername=ambulance",
        "BLOCKS": base["blocks"],
        "TIME_FIELD": "call_time",
        "OUTPUT": str(tmp_path / "j.gpkg"),
        "UNMATCHED": str(tmp_path / "u.gpkg"),
    }


def test_reals_are_exact_in_csv_and_postgis(plugin, base, postgis, tmp_path):
    """GDAL's CSV writer and PostgreSQL COPY print 15 significant digits: reals go as their
    exact text, and read back as the same doubles."""
    expected = sorted(f["value"] for f in load(base["profiles"]).getFeatures())
    for destination in (
        str(tmp_path / "p.csv"),
        f"postgres://{postgis.uri('exact', geometry=None)}",
    ):
        params = _params("computerisk", base, tmp_path)
        params["INCIDENTS"] = [base["joined_ambulance"], base["joined_police"]]
        params["PROFILES"] = destination
        got = sorted(f["value"] for f in load(run("computerisk", params)["PROFILES"]).getFeatures())
        assert got == expected  # exactly


def test_qgis_process_writes_postgis_and_memory_destinations(plugin, postgis, tmp_path):
    """Finding 1 from a shell: qgis_process with a postgres:// destination wrote a folder
    named postgres:/ under the working directory."""
    import subprocess

    hb_process = Path(__file__).resolve().parents[2] / "scripts" / "hb-process"
    destination = f"postgres://{postgis.uri('qp_blocks')}"
    env = {k: v for k, v in os.environ.items() if k != "QGIS_CUSTOM_CONFIG_PATH"}
    done = subprocess.run(
        [
            str(hb_process),
            "--json",
            "run",
            "hotblocking:buildblocks",
            "--",
            f"INPUT={SAMPLE}|layername=road_link",
            f"OUTPUT={destination}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    results = json_answer(done.stdout)["results"]
    assert results["OUTPUT"].startswith("postgres://")
    assert int(postgis.psql("SELECT count(*) FROM qp_blocks")) == results["BLOCK_COUNT"]
    assert os.listdir(tmp_path) == []  # no folder named postgres: (nor memory:)
