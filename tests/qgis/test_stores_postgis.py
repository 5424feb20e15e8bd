"""The whole pipeline on a real PostGIS: PostGIS inputs, PostGIS outputs, the same answers.

The sample data go into a private cluster whose TimeZone is UTC (tests/helpers/hb_postgis.py);
the ambulance call times become ``timestamptz`` (the instants of the London readings), the
police times stay ``timestamp`` (wall clock: four of them fall in the spring-forward gap, which
no instant can name) and the A&E times stay text. Every output of the PostGIS run must equal
the GeoPackage run's: same rows, same values, same geometries.
"""

from __future__ import annotations

import pytest
from hb_chain import gpkg_run, pipeline, run
from hb_sample import SAMPLE
from osgeo import gdal
from qgis.core import QgsProcessingContext, QgsProcessingUtils

gdal.UseExceptions()
_LOADED = QgsProcessingContext()


def content(value):
    """An output's rows as QGIS loads them: sorted, without the storage's own id."""
    layer = QgsProcessingUtils.mapLayerFromString(value, _LOADED)
    assert layer is not None and layer.isValid(), value
    names = [n for n in layer.fields().names() if n != "fid"]
    rows = []
    for feature in layer.getFeatures():
        geometry = feature.geometry()
        wkt = None if geometry.isNull() else geometry.asWkt(17)
        rows.append((wkt,) + tuple(_plain(feature[n]) for n in names))
    return names, sorted(rows, key=lambda r: tuple(map(str, r)))


def _plain(value):
    """QDateTimes as their wall clock (a PostGIS timestamp and a GeoPackage DATETIME)."""
    if hasattr(value, "toString") and hasattr(value, "timeSpec"):
        return value.toString("yyyy-MM-ddTHH:mm:ss.zzz")
    return None if value is None or str(value) == "NULL" else value


@pytest.fixture(scope="module")
def sample_in_postgis(postgis):
    for layer in ("road_link", "ambulance", "ae_istv", "police"):
        gdal.VectorTranslate(
            postgis.gdal(),
            str(SAMPLE),
            format="PostgreSQL",
            layers=[layer],
            layerName=f"public.{layer}",
            options=["-preserve_fid"],
            accessMode="overwrite",
            layerCreationOptions=[
                "GEOMETRY_NAME=geom",
                "FID=fid",
                "LAUNDER=NO",
                "COLUMN_TYPES=call_time=timestamp,committed_from=timestamp,committed_to=timestamp",
            ],
        )
    # the London readings as instants, on a server whose TimeZone is UTC
    postgis.psql(
        "ALTER TABLE ambulance ALTER call_time TYPE timestamptz "
        "USING call_time AT TIME ZONE 'Europe/London'"
    )
    assert postgis.psql("SHOW timezone") == "UTC"
    return postgis


def test_whole_pipeline_in_postgis_equals_the_geopackage_run(plugin, sample_in_postgis, tmp_path):
    pg = sample_in_postgis
    gpkg = gpkg_run()

    def pg_dest(name):
        if name == "brief":
            return str(tmp_path / "pg_brief")
        geometry = None if name == "profiles" else "geom"
        return f"postgres://{pg.uri('out_' + name, geometry=geometry)}"

    postgis_run = pipeline(
        lambda layer: f"postgres://{pg.uri(layer, key=chr(39) + 'fid' + chr(39))}", pg_dest
    )
    assert postgis_run["brief_pages"] == gpkg["brief_pages"]
    for name, value in gpkg.items():
        if name == "brief_pages":
            continue
        assert str(postgis_run[name]).startswith("postgres://")
        names, rows = content(value)
        pg_names, pg_rows = content(postgis_run[name])
        assert pg_names == names, name
        assert pg_rows == rows, f"{name} differs between PostGIS and GeoPackage"


def test_timestamptz_on_a_utc_server_is_read_in_the_analysis_zone(
    plugin, sample_in_postgis, tmp_path
):
    """Finding 4: a UTC server's timestamptz was read as wall clock, every summer incident an
    hour early. The joined time_start must be the London reading of each instant."""
    pg = sample_in_postgis
    summer = pg.psql(
        "SELECT fid, to_char(call_time AT TIME ZONE 'Europe/London', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        "FROM ambulance WHERE call_time BETWEEN '2025-07-01' AND '2025-07-02' ORDER BY fid LIMIT 3"
    )
    expected = dict(line.split("|") for line in summer.splitlines())
    result = run(
        "joinincidents",
        {
            "INCIDENTS": f"postgres://{pg.uri('ambulance', key=chr(39) + 'fid' + chr(39))}",
            "SOURCE": "ambulance",
            "BLOCKS": f"postgres://{pg.uri('road_link')}",
            "MAX_DISTANCE": 50,
            "TIME_FIELD": "call_time",
            "OUTPUT": str(tmp_path / "j.gpkg"),
            "UNMATCHED": str(tmp_path / "u.gpkg"),
        },
    )
    layer = QgsProcessingUtils.mapLayerFromString(result["OUTPUT"], _LOADED)
    got = {
        f["incident_id"].split(":")[1]: f["time_start"].toString("yyyy-MM-ddTHH:mm:ss")
        for f in layer.getFeatures()
    }
    assert expected and all(got[fid] == when for fid, when in expected.items())
