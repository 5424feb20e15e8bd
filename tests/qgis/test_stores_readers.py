"""The readers read exactly what QGIS shows, on every store and every field type.

Each case opens a layer as a user would, reads it through the plugin's bridge and through
QGIS's own feature iteration (tests/helpers/hb_reference.py, converted independently), and
requires the same features, ids, geometries and values. Routes are checked too: bulk
(GDAL) only where it is provably the same, QGIS's iteration otherwise.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from hb_reference import assert_same_rows, ogr_zones, our_rows, qgis_rows
from osgeo import gdal, ogr, osr
from qgis.core import (
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingFeatureSource,
    QgsProcessingFeatureSourceDefinition,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QVariant

gdal.UseExceptions()

N = 12  # features in the typed table: 10 full rows, one without geometry, one all NULL
ZONED = [None, "Z", "+01:00", "-05:00", "+05:30"]


def bridge(plugin):
    return importlib.import_module(type(plugin).__module__.rsplit(".", 1)[0] + ".processing.bridge")


def typed_gpkg(path, layer_name="typed"):
    """A GeoPackage with every field type GDAL writes there, NULLs, a row without geometry,
    date-times without a zone, in UTC (Z) and with offsets."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    layer = ds.CreateLayer(layer_name, srs, ogr.wkbPoint)
    for name, kind, subtype in (
        ("b", ogr.OFTInteger, ogr.OFSTBoolean),
        ("i64", ogr.OFTInteger64, None),
        ("r", ogr.OFTReal, None),
        ("d", ogr.OFTDate, None),
        ("dt", ogr.OFTDateTime, None),
        ("dtz", ogr.OFTDateTime, None),
        ("tm", ogr.OFTTime, None),
        ("txt", ogr.OFTString, None),
        ("bin", ogr.OFTBinary, None),
        ("js", ogr.OFTString, ogr.OFSTJSON),
    ):
        field = ogr.FieldDefn(name, kind)
        if subtype is not None:
            field.SetSubType(subtype)
        layer.CreateField(field)
    for i in range(N):
        feature = ogr.Feature(layer.GetLayerDefn())
        if i < N - 1:
            feature.SetField("b", i % 3 == 0)
            feature.SetField("i64", 2**40 + i)
            feature.SetField("r", i / 3)
            feature.SetField("d", f"2025-06-{i + 1:02d}")
            feature.SetField("dt", f"2025-06-01T21:{i:02d}:00.500")
            zone = ZONED[i % len(ZONED)]
            feature.SetField("dtz", f"2025-03-30T01:{i:02d}:00{zone or ''}")
            feature.SetField("tm", f"23:15:{i:02d}")
            feature.SetField("txt", f"é {i} «quoted» '")
            feature.SetFieldBinaryFromHexString("bin", f"00ff{i:02x}")
            feature.SetField("js", json.dumps({"a": [1, i], "b": "x"}))
            if i != N - 2:
                feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({500000 + i} {180000 + i})"))
        layer.CreateFeature(feature)
    ds = None
    return f"{path}|layername={layer_name}"


FIELDS = ["b", "i64", "r", "d", "dt", "dtz", "tm", "txt", "bin", "js"]


def check_layer(plugin, layer, names=None, route=None, id_field=None):
    """Our read of ``layer`` equals QGIS's own iteration; returns our arrays."""
    b = bridge(plugin)
    assert layer.isValid()
    names = names or [f.name() for f in layer.fields()]
    context = QgsProcessingContext()
    inp = b.layer_input(layer, context)
    arrays = b.read_layer(inp, names)
    expected = qgis_rows(inp.source, names, zones=ogr_zones(layer), id_field=id_field)
    assert_same_rows(our_rows(arrays, names), expected)
    if route:
        assert arrays.route.startswith(route), arrays.route
    return arrays


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    return typed_gpkg(tmp_path_factory.mktemp("typed") / "typed.gpkg")


def test_geopackage_every_field_type_as_qgis_shows_it(plugin, typed):
    layer = QgsVectorLayer(typed, "typed", "ogr")
    arrays = check_layer(plugin, layer, route="bulk")
    # the values themselves, by hand: Booleans (the fast path read them as bytes) ...
    assert [bool(v) for v in arrays.attributes["b"][:10]] == [i % 3 == 0 for i in range(10)]
    assert arrays.attributes["b"].mask[-1]
    # ... and zoned date-times on London's wall clock (2025-03-30 is the spring change day)
    dtz = arrays.attributes["dtz"].astype("M8[ms]").astype(object)
    assert dtz[0] == dt.datetime(2025, 3, 30, 1, 0)  # no zone: wall clock as written
    assert dtz[1] == dt.datetime(2025, 3, 30, 2, 1)  # 01:01Z = 02:01 BST
    assert dtz[2] == dt.datetime(2025, 3, 30, 0, 2)  # 01:02+01:00 = 00:02Z = 00:02 GMT
    assert dtz[3] == dt.datetime(2025, 3, 30, 7, 3)  # 01:03-05:00 = 06:03Z = 07:03 BST


@pytest.mark.parametrize(
    "driver, suffix, options",
    [
        ("ESRI Shapefile", "shp", []),
        ("GeoJSON", "geojson", []),
        ("FlatGeobuf", "fgb", ["SPATIAL_INDEX=NO"]),
        ("CSV", "csv", ["GEOMETRY=AS_WKT", "CREATE_CSVT=YES"]),
        ("SQLite", "sqlite", []),
    ],
)
def test_ogr_files_every_field_type_as_qgis_shows_it(
    plugin, typed, tmp_path, driver, suffix, options
):
    path = str(tmp_path / f"typed.{suffix}")
    gdal.VectorTranslate(
        path, typed.split("|")[0], format=driver, layerCreationOptions=options, skipFailures=True
    )
    layer = QgsVectorLayer(path, "typed", "ogr")
    check_layer(plugin, layer, route="bulk")


def test_spatialite_provider_as_qgis_shows_it(plugin, typed, tmp_path):
    path = str(tmp_path / "typed_spatialite.sqlite")
    gdal.VectorTranslate(
        path, typed.split("|")[0], format="SQLite", datasetCreationOptions=["SPATIALITE=YES"]
    )
    layer = QgsVectorLayer(f"dbname='{path}' table=\"typed\" (geom)", "typed", "spatialite")
    check_layer(plugin, layer, route="bulk")


def test_memory_layer_every_field_type_as_qgis_shows_it(plugin, typed):
    memory = QgsVectorLayer(typed, "typed", "ogr").materialize(QgsFeatureRequest())
    check_layer(plugin, memory, route="QGIS iteration")


def test_memory_layer_with_typed_values(plugin):
    layer = QgsVectorLayer(
        "Point?crs=EPSG:27700&field=b:boolean&field=t:datetime&field=d:date&field=tm:time"
        "&field=i:long&field=s:string",
        "m",
        "memory",
    )
    values = [
        [
            True,
            QDateTime(QDate(2025, 7, 1), QTime(21, 15), Qt.UTC),
            QDate(2025, 7, 1),
            QTime(9, 5, 1, 250),
            7,
            "a",
        ],
        [
            False,
            QDateTime(QDate(2025, 7, 1), QTime(21, 15)),
            QDate(2025, 1, 1),
            QTime(0, 0),
            -1,
            "b",
        ],
        [None, None, None, None, None, None],
    ]
    features = []
    for i, attributes in enumerate(values):
        feature = QgsFeature(layer.fields())
        feature.setAttributes(attributes)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(i, i)))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    arrays = check_layer(plugin, layer, route="QGIS iteration")
    times = arrays.attributes["t"].astype("M8[ms]").astype(object)
    assert times[0] == dt.datetime(2025, 7, 1, 22, 15)  # 21:15 UTC is 22:15 BST
    assert times[1] == dt.datetime(2025, 7, 1, 21, 15)  # local: as recorded


def test_delimited_text_as_qgis_shows_it(plugin, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "ref,x,y,when,n,ok\n"
        "a,500000,180000,2025-06-01 21:15:00,1.5,true\n"
        "b,500001,180001,2025-06-02 22:15:00,,false\n"
        "c,,,2025-06-03 23:15:00,3,\n"
    )
    uri = f"file://{path}?type=csv&xField=x&yField=y&crs=EPSG:27700&detectTypes=yes"
    layer = QgsVectorLayer(uri, "calls", "delimitedtext")
    check_layer(plugin, layer, route="QGIS iteration")


def test_postgis_every_field_type_as_qgis_shows_it(plugin, postgis):
    postgis.psql(
        """
        DROP TABLE IF EXISTS typed;
        CREATE TABLE typed (id serial PRIMARY KEY, geom geometry(Point, 27700), b boolean,
          i2 int2, i8 int8, r float8, n numeric(10, 3), d date, ts timestamp,
          tstz timestamptz, tm time, txt text, vc varchar(20), by bytea, js jsonb,
          arr text[]);
        INSERT INTO typed (geom, b, i2, i8, r, n, d, ts, tstz, tm, txt, vc, by, js, arr)
        SELECT CASE WHEN g = 3 THEN NULL ELSE ST_SetSRID(ST_MakePoint(500000 + g, 180000), 27700) END,
          g % 3 = 0, g, 2 ^ 40 + g, g / 3.0, g / 7.0, DATE '2025-06-01' + g,
          TIMESTAMP '2025-06-01 21:15:00.5' + g * INTERVAL '1 hour',
          TIMESTAMPTZ '2025-03-30 00:30:00+00' + g * INTERVAL '20 minutes',
          TIME '23:15:07.25', 'é ' || g, 'v' || g, '\\x00ff'::bytea,
          ('{"a": [1, ' || g || ']}')::jsonb, ARRAY['a', 'b' || g]
        FROM generate_series(1, 10) g;
        INSERT INTO typed (geom) VALUES (NULL);
        """
    )
    layer = QgsVectorLayer(postgis.uri("typed", key="'id'"), "typed", "postgres")
    arrays = check_layer(plugin, layer, route="bulk", id_field="id")
    # the server's TimeZone is UTC: 00:50Z on the spring change day is 00:50 GMT, 01:10Z
    # is 02:10 BST (the clocks went forward at 01:00Z)
    tstz = arrays.attributes["tstz"].astype("M8[ms]").astype(object)
    assert tstz[0] == dt.datetime(2025, 3, 30, 0, 50)
    assert tstz[2] == dt.datetime(2025, 3, 30, 2, 30)


def test_postgis_filters_and_selection_as_qgis_shows_them(plugin, postgis, tmp_path):
    postgis.psql(
        """
        DROP TABLE IF EXISTS pts;
        CREATE TABLE pts (gid int8 PRIMARY KEY, geom geometry(Point, 27700), kind text);
        INSERT INTO pts SELECT g * 10, ST_SetSRID(ST_MakePoint(g, g), 27700),
          CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 50) g;
        """
    )
    layer = QgsVectorLayer(postgis.uri("pts", sql="\"kind\" = 'even'"), "pts", "postgres")
    arrays = check_layer(plugin, layer, route="bulk", id_field="gid")
    assert len(arrays) == 25 and set(arrays.fids.tolist()) == {g * 10 for g in range(2, 51, 2)}
    QgsProject.instance().addMapLayer(layer)
    try:
        selected = [f.id() for f in layer.getFeatures() if f["gid"] in (20, 40, 60)]
        layer.selectByIds(selected)
        arrays = read_selected(plugin, layer, id_field="gid")
        assert sorted(arrays.fids.tolist()) == [20, 40, 60] and arrays.route.startswith("bulk")
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


def read_selected(plugin, layer, id_field=None):
    """What an algorithm reads from a "selected features only" input (3.22 gives no layer
    for it through parameterAsVectorLayer)."""
    b = bridge(plugin)

    class Probe:  # the two parameterAs* calls input_layer makes
        def parameterAsSource(self, parameters, name, context):  # noqa: N802
            from qgis.core import QgsProcessingParameterFeatureSource, QgsProcessingParameters

            definition = QgsProcessingParameterFeatureSource(name)
            return QgsProcessingParameters.parameterAsSource(definition, parameters, context)

        def parameterAsVectorLayer(self, parameters, name, context):  # noqa: N802
            from qgis.core import QgsProcessingParameterFeatureSource, QgsProcessingParameters

            definition = QgsProcessingParameterFeatureSource(name)
            return QgsProcessingParameters.parameterAsVectorLayer(definition, parameters, context)

        def invalidSourceError(self, parameters, name):  # noqa: N802
            return f"invalid {name}"

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    parameters = {"INPUT": QgsProcessingFeatureSourceDefinition(layer.id(), True)}
    inp = b.input_layer(Probe(), parameters, "INPUT", context)
    assert inp.selected_only
    names = [f.name() for f in layer.fields()]
    arrays = b.read_layer(inp, names)
    expected = qgis_rows(inp.source, names, zones=ogr_zones(layer), id_field=id_field)
    assert_same_rows(our_rows(arrays, names), expected, ordered=False)
    return arrays


def test_selected_features_only_is_read_in_bulk(plugin, typed):
    layer = QgsVectorLayer(typed, "typed", "ogr")
    QgsProject.instance().addMapLayer(layer)
    try:
        layer.selectByIds([2, 5, 9])
        arrays = read_selected(plugin, layer)
        assert sorted(arrays.fids.tolist()) == [2, 5, 9]
        assert arrays.route.startswith("bulk")
    finally:
        QgsProject.instance().removeMapLayer(layer.id())


@pytest.mark.parametrize("suffix", ["gpkg", "shp", "geojson"])
def test_subset_strings_as_qgis_applies_them(plugin, typed, tmp_path, suffix):
    path = typed.split("|")[0]
    if suffix != "gpkg":
        path = str(tmp_path / f"typed.{suffix}")
        options = ["ENCODING=UTF-8"] if suffix == "shp" else []
        gdal.VectorTranslate(
            path, typed.split("|")[0], skipFailures=True, layerCreationOptions=options
        )
    layer = QgsVectorLayer(path, "typed", "ogr")
    assert layer.setSubsetString('"i64" > 1099511627780 AND "txt" LIKE \'é%\'')
    arrays = check_layer(plugin, layer, route="bulk")
    assert len(arrays) == 6


def test_sublayer_geometry_type_filter(plugin, tmp_path):
    path = tmp_path / "mixed.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    layer = ds.CreateLayer("mixed", srs, ogr.wkbUnknown)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for i, wkt in enumerate(
        [
            "POINT (1 1)",
            "POLYGON ((0 0, 1 0, 1 1, 0 0))",
            "MULTIPOINT ((2 2), (3 3))",
            None,
            "POINT (4 4)",
        ]
    ):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("name", f"f{i}")
        if wkt:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    points = QgsVectorLayer(f"{path}|layername=mixed|geometrytype=Point", "points", "ogr")
    arrays = check_layer(plugin, points, route="bulk")
    assert sorted(arrays.attributes["name"].tolist()) == ["f0", "f2", "f4"]


def test_unsaved_edits_and_virtual_fields_are_read_through_qgis(plugin, typed):
    layer = QgsVectorLayer(typed, "typed", "ogr")
    assert layer.startEditing()
    layer.deleteFeature(3)
    layer.changeAttributeValue(4, layer.fields().lookupField("txt"), "changed")
    layer.changeGeometry(5, QgsGeometry.fromPointXY(QgsPointXY(1, 2)))
    added = QgsFeature(layer.fields())
    added.setAttribute("txt", "added")
    added.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(3, 4)))
    layer.addFeature(added)
    layer.addExpressionField('"i64" * 2', QgsField("twice", QVariant.LongLong))
    try:
        arrays = check_layer(plugin, layer, route="QGIS iteration")
        assert "added" in arrays.attributes["txt"].tolist()
        assert 3 not in arrays.fids.tolist()
    finally:
        layer.rollBack()
    # without edits, only a virtual field: still QGIS (the file does not hold it)
    layer.addExpressionField('"i64" * 2', QgsField("twice", QVariant.LongLong))
    check_layer(plugin, layer, route="QGIS iteration")
    check_layer(plugin, layer, names=["txt", "i64"], route="bulk")


def test_invalid_geometries_are_read_whatever_the_processing_setting(plugin, tmp_path):
    """The algorithms give such records a reason (zero length...): Processing's filter for
    invalid geometries would drop them silently or stop the run."""
    from hb_layers import write_gpkg

    uri = write_gpkg(
        tmp_path / "lines.gpkg",
        "lines",
        ogr.wkbLineString,
        [("LINESTRING (0 0, 1 1)", {"id": "ok"}), ("LINESTRING (5 5, 5 5)", {"id": "bad"})],
        [("id", "str")],
    )
    b = bridge(plugin)
    on_disk = QgsVectorLayer(uri, "lines", "ogr")
    for layer in (on_disk, on_disk.materialize(QgsFeatureRequest())):  # bulk, QGIS
        for check in (
            QgsFeatureRequest.GeometrySkipInvalid,
            QgsFeatureRequest.GeometryAbortOnInvalid,
        ):
            context = QgsProcessingContext()
            context.setInvalidGeometryCheck(check)
            inp = b.layer_input(layer, context)
            arrays = b.read_layer(inp, ["id"])
            every = inp.source.getFeatures(
                QgsFeatureRequest(), QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks
            )
            expected = [(f.id(), bytes(f.geometry().asWkb()), {"id": f["id"]}) for f in every]
            assert_same_rows(our_rows(arrays, ["id"]), expected)
            assert sorted(arrays.attributes["id"].tolist()) == ["bad", "ok"]


def test_hot_field_of_the_demo_hot_blocks(plugin, run, tmp_path):
    """Finding 7: the fast reader read `hot` True for 2 blocks where QGIS finds 20."""
    from hb_chain import gpkg_run

    hot = gpkg_run()["hot_blocks"]
    layer = QgsVectorLayer(hot, "hot", "ogr")
    arrays = check_layer(plugin, layer, names=["block_id", "window", "hot", "rank"], route="bulk")
    assert int(arrays.attributes["hot"].sum()) == 20
