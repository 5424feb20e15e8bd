"""Bulk reads through GDAL: one SQL statement, Arrow batches, no Python per record.

Used for layers whose provider GDAL can read the way QGIS does: OGR files (GeoPackage,
shapefile, GeoJSON, FlatGeobuf, CSV opened through OGR...), PostGIS tables and SpatiaLite
tables. The statement mirrors the provider's own: QGIS's OGR provider applies a subset
string as ``SELECT * FROM layer WHERE <subset>`` in the data source's SQL dialect (SQLite
for GeoPackage/SpatiaLite, OGR SQL for the rest), the PostgreSQL and SpatiaLite providers
add it as a WHERE clause; feature ids are the OGR FID or the table's integer primary key,
as QGIS's. :mod:`.readers` decides when this path is provably the same as QGIS's own
iteration (no unsaved edits, no virtual fields, a key QGIS uses as the feature id...).

GDAL 3.6's Arrow-to-numpy conversion is exact for integers, reals, text, dates, naive
date-times and WKB, but not for the rest, so the statement converts those in SQL:
Booleans come as integers (numpy reads Arrow's bit-packed Booleans as bytes), times and
binary values as text, and date-times carrying a time zone (``Z``, ``+01:00``, PostGIS
``timestamptz``) as UTC instants (Arrow would give their wall clock in their own offset).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from osgeo import gdal
from qgis.core import QgsDataSourceUri, QgsProviderRegistry, QgsVectorLayer

from .textcodec import decode_utf8

gdal.UseExceptions()

#: OGR drivers read through this path (others go through QGIS's iteration).
OGR_DRIVERS = {
    "GPKG",
    "SQLite",
    "ESRI Shapefile",
    "GeoJSON",
    "GeoJSONSeq",
    "FlatGeobuf",
    "CSV",
}
_SQLITE_DRIVERS = {"GPKG", "SQLite"}
_PG_INTEGER_KEYS = {"int2", "int4", "int8", "serial", "bigserial", "smallint", "integer", "bigint"}
_FID = "hb_fid"
_GEOM = "hb_geom"
# Rows per PostgreSQL cursor fetch (GDAL's default, 500, costs a round trip every 500 rows).
_PG_CURSOR_ROWS = "50000"


@dataclass
class BulkColumn:
    """One QGIS field as read by the statement: ``select`` gives ``alias``; ``convert``
    names the post-processing (see :func:`_finish_column`)."""

    name: str
    kind: str
    alias: str
    select: str
    convert: str = "plain"  # plain, bool, ogr_datetime, iso_time, hex, list, utc
    utc_alias: str | None = None  # SQLite: the UTC instant of rows that carry a zone


@dataclass
class BulkQuery:
    dataset: str
    sql: str
    dialect: str  # "" = the data source's own SQL, "OGRSQL" = OGR's
    columns: list[BulkColumn] = field(default_factory=list)
    fid_select: bool = True  # the FID comes as the hb_fid column (else the result's FID)
    fid_from_field: str | None = None  # the QGIS field that shows the FID (GeoPackage "fid")
    geometry: bool = True
    open_options: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    description: str = ""


class NotBulk(Exception):
    """This layer cannot be read in bulk the way QGIS reads it (the message says why)."""


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --------------------------------------------------------------------------------- planning


def plan(layer: QgsVectorLayer, names: list[str], kinds: dict, geometry: bool) -> BulkQuery:
    """The statement that reads ``names`` (and the geometry) of ``layer`` as QGIS shows it."""
    provider = layer.providerType()
    if provider == "ogr":
        return _plan_ogr(layer, names, kinds, geometry)
    if provider == "postgres":
        return _plan_postgres(layer, names, kinds, geometry)
    if provider == "spatialite":
        return _plan_spatialite(layer, names, kinds, geometry)
    raise NotBulk(f"the {provider} provider is read through QGIS")


def _plan_ogr(layer, names, kinds, geometry) -> BulkQuery:
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = (
        (parts.get("vsiPrefix") or "") + (parts.get("path") or "") + (parts.get("vsiSuffix") or "")
    )
    subset = layer.subsetString().strip()
    if subset.upper().startswith("SELECT"):
        raise NotBulk("its filter is a whole SELECT statement")
    open_options = list(parts.get("openOptions") or [])
    try:
        ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=open_options)
    except RuntimeError as error:
        raise NotBulk(f"GDAL cannot open {path}: {error}") from None
    driver = ds.GetDriver().ShortName
    if driver not in OGR_DRIVERS:
        raise NotBulk(f"{driver} data sources are read through QGIS")
    if driver == "ESRI Shapefile":  # DBF text decoded as QGIS decodes it (the layer's encoding)
        open_options.append(f"ENCODING={_codec_name(layer.dataProvider().encoding())}")
    ogr_layer = _ogr_layer(ds, parts)
    layer_name = ogr_layer.GetName()
    fid_column = ogr_layer.GetFIDColumn()
    defn = ogr_layer.GetLayerDefn()
    ogr_fields = {
        defn.GetFieldDefn(i).GetName(): defn.GetFieldDefn(i) for i in range(defn.GetFieldCount())
    }
    sqlite = driver in _SQLITE_DRIVERS
    query = BulkQuery(
        dataset=path,
        sql="",
        dialect="" if sqlite else "OGRSQL",
        geometry=geometry,
        open_options=open_options,
        description=f"{driver} {path}",
    )
    selects = []
    if sqlite:
        selects.append(f"{quote(fid_column) if fid_column else 'ROWID'} AS {_FID}")
    else:
        query.fid_select = False  # OGR SQL keeps the source's FIDs
    for i, name in enumerate(names):
        if name not in ogr_fields:
            if fid_column and name == fid_column:  # QGIS shows the FID as a first field
                query.fid_from_field = name
                continue
            raise NotBulk(f"field {name} is not in the data source")
        column = _ogr_column(i, name, kinds[name], ogr_fields[name], sqlite)
        query.columns.append(column)
        selects.append(f"{column.select} AS {quote(column.alias)}")
        if column.utc_alias:
            selects.append(_sqlite_utc(name, column.utc_alias))
    if geometry and sqlite and ogr_layer.GetGeometryColumn():
        selects.append(quote(ogr_layer.GetGeometryColumn()))
    if not selects:
        selects.append("FID" if not sqlite else "ROWID")
    sql = f"SELECT {', '.join(selects)} FROM {quote(layer_name)}"
    if subset:
        sql += f" WHERE {subset}"
    query.sql = sql
    return query


def _codec_name(encoding: str) -> str:
    if not encoding or encoding.lower() == "system":
        from qgis.PyQt.QtCore import QTextCodec  # noqa: PLC0415

        return bytes(QTextCodec.codecForLocale().name()).decode()
    return encoding


def _ogr_layer(ds, parts):
    name, index = parts.get("layerName"), parts.get("layerId")
    if name:
        found = ds.GetLayerByName(name)
    else:
        found = ds.GetLayer(int(index) if index not in (None, "") else 0)
    if found is None:
        raise NotBulk("its layer is not in the data source")
    return found


def _ogr_column(i, name, kind, ogr_field, sqlite) -> BulkColumn:
    alias = f"hb_{i}"
    field_ref = quote(name)
    ogr_type = ogr_field.GetType()
    from osgeo import ogr  # noqa: PLC0415 (constants only)

    if ogr_type in (ogr.OFTStringList, ogr.OFTIntegerList, ogr.OFTInteger64List, ogr.OFTRealList):
        return BulkColumn(name, kind, alias, field_ref, "list")
    if kind == "bool":
        cast = "INTEGER" if sqlite else "integer"
        return BulkColumn(name, kind, alias, f"CAST({field_ref} AS {cast})", "bool")
    if kind == "time":
        cast = "TEXT" if sqlite else "character"
        return BulkColumn(name, kind, alias, f"CAST({field_ref} AS {cast})", "iso_time")
    if kind == "binary":
        select = (  # SQLite's hex(NULL) is '' (an empty value, not NULL)
            f"CASE WHEN {field_ref} IS NOT NULL THEN hex({field_ref}) END"
            if sqlite
            else f"CAST({field_ref} AS character)"
        )
        return BulkColumn(name, kind, alias, select, "hex")
    if kind == "datetime":
        if sqlite:
            return BulkColumn(name, kind, alias, field_ref, "plain", utc_alias=f"hb_utc_{i}")
        return BulkColumn(name, kind, alias, f"CAST({field_ref} AS character)", "ogr_datetime")
    return BulkColumn(name, kind, alias, field_ref, "plain")


def _sqlite_utc(name: str, alias: str) -> str:
    """SQLite: the UTC instant of values written with a zone (Z, +01:00), else NULL.

    The first 19 characters are date and time (YYYY-MM-DDTHH:MM:SS); a zone comes after
    them. SQLite's date functions apply the offset and return UTC.
    """
    ref = quote(name)
    return (
        f"CASE WHEN length({ref}) > 19 AND substr({ref}, 20) GLOB '*[Zz+-]*' "
        f"THEN strftime('%Y-%m-%dT%H:%M:%f', {ref}) END AS {quote(alias)}"
    )


def _plan_postgres(layer, names, kinds, geometry) -> BulkQuery:
    uri = QgsDataSourceUri(layer.source())
    provider = layer.dataProvider()
    fields = provider.fields()
    keys = provider.pkAttributeIndexes()
    if len(keys) != 1 or fields.at(keys[0]).typeName().lower() not in _PG_INTEGER_KEYS:
        raise NotBulk("its feature ids do not come from a single integer key column")
    key = fields.at(keys[0]).name()
    table = uri.quotedTablename()
    if uri.table().startswith("("):
        table += " AS hb_query"
    geometry_column = uri.geometryColumn()
    if uri.wkbType() != 0 or uri.srid():  # type=/srid= may add a filter in QGIS
        if not _pg_column_is_typed(uri):
            raise NotBulk("QGIS filters its geometry column by type or SRID")
    selects = [f"{quote(key)} AS {_FID}"]
    query = BulkQuery(
        dataset="PG:" + uri.connectionInfo(True),
        sql="",
        dialect="",
        geometry=geometry and bool(geometry_column),
        config={"OGR_PG_CURSOR_PAGE": _PG_CURSOR_ROWS},
        description=f"PostgreSQL {uri.database()} {table}",
    )
    for i, name in enumerate(names):
        index = fields.lookupField(name)
        if index < 0:
            raise NotBulk(f"field {name} is not in the table")
        column = _pg_column(i, name, kinds[name], fields.at(index).typeName().lower())
        query.columns.append(column)
        selects.append(f"{column.select} AS {quote(column.alias)}")
    if query.geometry:
        geometry_ref = quote(geometry_column)
        if fields.lookupField(geometry_column) < 0 and _pg_is_geography(uri):
            geometry_ref += "::geometry"
        selects.append(f"{geometry_ref} AS {_GEOM}")
    sql = f"SELECT {', '.join(selects)} FROM {table}"
    subset = layer.subsetString().strip()
    if subset:
        sql += f" WHERE {subset}"
    query.sql = sql
    return query


def _pg_column(i, name, kind, type_name) -> BulkColumn:
    alias, ref = f"hb_{i}", quote(name)
    if type_name == "bool":
        return BulkColumn(name, kind, alias, f"{ref}::int", "bool")
    if type_name == "timestamptz":
        return BulkColumn(name, kind, alias, f"({ref} AT TIME ZONE 'UTC')", "utc")
    if type_name in ("timestamp", "date"):
        return BulkColumn(name, kind, alias, ref)
    if type_name in ("time", "timetz"):
        return BulkColumn(name, kind, alias, f"to_char({ref}, 'HH24:MI:SS.MS')", "iso_time")
    if type_name == "bytea":
        return BulkColumn(name, kind, alias, f"encode({ref}, 'hex')", "hex")
    if kind in ("int", "real"):
        return BulkColumn(name, kind, alias, f"{ref}::{'int8' if kind == 'int' else 'float8'}")
    if type_name.startswith("_"):  # arrays
        return BulkColumn(name, kind, alias, f"array_to_json({ref})::text")
    if type_name == "hstore":
        return BulkColumn(name, kind, alias, f"hstore_to_json({ref})::text")
    return BulkColumn(name, kind, alias, f"{ref}::text")


def _pg_column_is_typed(uri) -> bool:
    """True when the geometry column has a declared type and SRID (QGIS adds no filter)."""
    sql = (
        "SELECT type, srid FROM geometry_columns WHERE f_table_schema = '{}' AND "
        "f_table_name = '{}' AND f_geometry_column = '{}'"
    ).format(
        *(
            s.replace("'", "''")
            for s in (uri.schema() or "public", uri.table(), uri.geometryColumn())
        )
    )
    rows = _pg_rows(uri, sql)
    return bool(rows) and rows[0][0].upper() not in ("GEOMETRY", "") and int(rows[0][1]) > 0


def _pg_is_geography(uri) -> bool:
    sql = (
        "SELECT 1 FROM geography_columns WHERE f_table_schema = '{}' AND f_table_name = '{}' "
        "AND f_geography_column = '{}'"
    ).format(
        *(
            s.replace("'", "''")
            for s in (uri.schema() or "public", uri.table(), uri.geometryColumn())
        )
    )
    return bool(_pg_rows(uri, sql))


def _pg_rows(uri, sql) -> list:
    ds = gdal.OpenEx("PG:" + uri.connectionInfo(True), gdal.OF_VECTOR)
    result = ds.ExecuteSQL(sql)
    try:
        return (
            [
                [result_feature.GetField(i) for i in range(result_feature.GetFieldCount())]
                for result_feature in result
            ]
            if result
            else []
        )
    finally:
        if result is not None:
            ds.ReleaseResultSet(result)


def _plan_spatialite(layer, names, kinds, geometry) -> BulkQuery:
    uri = QgsDataSourceUri(layer.source())
    provider = layer.dataProvider()
    fields = provider.fields()
    keys = provider.pkAttributeIndexes()
    if uri.table().startswith("("):
        raise NotBulk("it is a query layer")
    if keys:
        if len(keys) != 1 or fields.at(keys[0]).type() not in (2, 4):  # Int, LongLong
            raise NotBulk("its feature ids do not come from a single integer key column")
        key = quote(fields.at(keys[0]).name())
    else:
        key = "ROWID"
    selects = [f"{key} AS {_FID}"]
    query = BulkQuery(
        dataset=uri.database(),
        sql="",
        dialect="",
        geometry=geometry and bool(uri.geometryColumn()),
        description=f"SpatiaLite {uri.database()}",
    )
    for i, name in enumerate(names):
        index = fields.lookupField(name)
        if index < 0:
            raise NotBulk(f"field {name} is not in the table")
        kind = kinds[name]
        column = _ogr_column(i, name, kind, _FakeOgrField(), True)
        query.columns.append(column)
        selects.append(f"{column.select} AS {quote(column.alias)}")
        if column.utc_alias:
            selects.append(_sqlite_utc(name, column.utc_alias))
    if query.geometry:
        selects.append(f"{quote(uri.geometryColumn())}")
    sql = f"SELECT {', '.join(selects)} FROM {quote(uri.table())}"
    subset = layer.subsetString().strip()
    if subset:
        sql += f" WHERE {subset}"
    query.sql = sql
    return query


class _FakeOgrField:
    """SpatiaLite fields are never OGR lists."""

    @staticmethod
    def GetType():  # noqa: N802 (OGR's name)
        return -1


# -------------------------------------------------------------------------------- executing


@dataclass
class BulkResult:
    fids: np.ndarray
    wkb: np.ndarray | None  # masked object array of WKB bytes (None: not read)
    attributes: dict  # name -> masked array (see readers.KINDS)
    # date-time name -> the wall clock as written, before zones were applied (QGIS 3.22's
    # OGR provider shows that; readers uses it to convert QGIS's values of unedited rows)
    written: dict = field(default_factory=dict)


def run(query: BulkQuery, tz) -> BulkResult:
    """Execute ``query`` and convert its batches; ``tz``: the analysis time zone."""
    previous = {key: gdal.GetThreadLocalConfigOption(key, None) for key in query.config}
    for key, value in query.config.items():
        gdal.SetThreadLocalConfigOption(key, value)
    try:
        ds = gdal.OpenEx(query.dataset, gdal.OF_VECTOR, open_options=query.open_options)
        result = ds.ExecuteSQL(query.sql, dialect=query.dialect)
        if result is None:
            raise NotBulk(f"GDAL could not run: {query.sql}")
        try:
            if not query.geometry:
                result.SetIgnoredFields(["OGR_GEOMETRY"])
            chunks: dict[str, list] = {}
            for batch in result.GetArrowStreamAsNumPy(
                options=["INCLUDE_FID=YES", "USE_MASKED_ARRAYS=YES"]
            ):
                for key, values in batch.items():
                    chunks.setdefault(key, []).append(values)
            fid_key = result.GetFIDColumn() or "OGC_FID"
            geometry_key = _geometry_key(result, chunks, query, fid_key)
        finally:
            ds.ReleaseResultSet(result)
    finally:
        for key, value in previous.items():
            gdal.SetThreadLocalConfigOption(key, value)
    fids = _concat(chunks.get(_FID if _FID in chunks else fid_key, []))
    fids = np.array([], dtype=np.int64) if fids is None else fids
    fids = np.asarray(np.ma.getdata(fids), dtype=np.int64)
    n = len(fids)
    wkb = None
    if query.geometry:
        wkb = _concat(chunks.get(geometry_key, [])) if geometry_key else None
        if wkb is None or len(wkb) != n:
            wkb = np.ma.masked_all(n, dtype=object)
    attributes, written = {}, {}
    for column in query.columns:
        raw = _concat(chunks.get(column.alias, []))
        utc = _concat(chunks.get(column.utc_alias, [])) if column.utc_alias else None
        attributes[column.name] = _finish_column(column, raw, utc, n, tz, written)
    if query.fid_from_field:
        attributes[query.fid_from_field] = np.ma.array(fids.copy(), mask=np.zeros(n, bool))
    return BulkResult(fids, wkb, attributes, written)


def _geometry_key(result, chunks, query, fid_key):
    if not query.geometry:
        return None
    if _GEOM in chunks:
        return _GEOM
    defn = result.GetLayerDefn()
    names = [defn.GetGeomFieldDefn(i).GetName() for i in range(defn.GetGeomFieldCount())]
    for name in names + ["wkb_geometry", "geometry", "geom", "GEOMETRY"]:
        if name and name in chunks:
            return name
    known = (
        {fid_key, _FID} | {c.alias for c in query.columns} | {c.utc_alias for c in query.columns}
    )
    rest = [k for k in chunks if k not in known]
    return rest[0] if len(rest) == 1 else None


def _concat(chunks: list):
    if not chunks:
        return None
    if len(chunks) == 1:
        return chunks[0]
    if any(np.ma.isMaskedArray(c) for c in chunks):
        if any(c.dtype.kind == "S" for c in chunks):  # widths differ between batches
            width = max(c.dtype.itemsize for c in chunks)
            chunks = [c.astype(f"S{width}") if c.dtype.kind == "S" else c for c in chunks]
        return np.ma.concatenate(chunks)
    if any(c.dtype.kind == "S" for c in chunks):
        width = max(c.dtype.itemsize for c in chunks)
        chunks = [c.astype(f"S{width}") for c in chunks]
    return np.concatenate(chunks)


def _split(values, n: int, fill_dtype=object) -> tuple[np.ndarray, np.ndarray]:
    """(data, mask) of a batch column, or all-NULL when no batch carried it."""
    if values is None:
        return np.zeros(n, dtype=fill_dtype), np.ones(n, dtype=bool)
    data = np.asarray(np.ma.getdata(values))
    mask = np.ma.getmaskarray(values).copy() if np.ma.isMaskedArray(values) else np.zeros(n, bool)
    if data.dtype == object:
        mask |= np.fromiter((v is None for v in data), bool, len(data))
    return data, mask


def _finish_column(column: BulkColumn, raw, utc, n: int, tz, written: dict):
    """A batch column as the readers' kinds (see readers.KINDS); NULL stays masked.
    Date-times whose zone was applied also leave their wall clock as written in
    ``written``."""
    from ..hotblocking import clock  # noqa: PLC0415 (core, no QGIS)

    kind = column.kind
    data, mask = _split(raw, n)
    if column.convert == "list":
        data = _lists_as_json(data, mask)
        kind = "json"
    elif column.convert == "hex":
        data = _hex_bytes(data, mask)
    elif column.convert == "iso_time":
        data = _time_text(_text(data, mask), mask)
    elif column.convert == "ogr_datetime":
        data, written[column.name] = _ogr_datetime(_text(data, mask), tz)
        return np.ma.array(data, mask=mask | np.isnat(data))
    elif column.convert == "bool":
        data = np.where(mask, 0, data).astype(bool)
    elif column.convert == "utc":
        local = clock.utc_to_local(_as_ms(data, mask), tz)
        return np.ma.array(local, mask=mask | np.isnat(local))
    if kind == "datetime":
        ms = _as_ms(data, mask)
        if utc is not None:  # SQLite: rows written with a zone
            written[column.name] = ms.copy()
            utc_text, utc_null = _split(utc, n)
            aware = ~utc_null
            if aware.any():
                instants = np.array(
                    _text(utc_text[aware], np.zeros(aware.sum(), bool)), dtype="M8[ms]"
                )
                ms[aware] = clock.utc_to_local(instants, tz)
        return np.ma.array(ms, mask=mask | np.isnat(ms))
    return _typed(data, mask, kind)


def _typed(data, mask, kind):
    if kind == "date":
        days = (
            np.asarray(data).astype("M8[D]")
            if np.asarray(data).dtype.kind == "M"
            else np.array(
                [np.datetime64("NaT") if m else v for v, m in zip(data.tolist(), mask)],
                dtype="M8[D]",
            )
        )
        return np.ma.array(days, mask=mask | np.isnat(days))
    if kind == "int":
        values = np.asarray(data)
        if values.dtype == object:
            values = np.array(
                [0 if m else v for v, m in zip(values.tolist(), mask)], dtype=np.int64
            )
        return np.ma.array(np.where(mask, 0, values).astype(np.int64), mask=mask)
    if kind == "real":
        values = np.asarray(data)
        if values.dtype == object:
            values = np.array([np.nan if m else v for v, m in zip(values.tolist(), mask)], float)
        return np.ma.array(np.where(mask, np.nan, values.astype(float)), mask=mask)
    if kind == "bool":
        return np.ma.array(np.asarray(data).astype(bool), mask=mask)
    if kind == "binary":
        return np.ma.array(np.asarray(data, dtype=object), mask=mask)
    return np.ma.array(_text(data, mask), mask=mask)


def _as_ms(data, mask) -> np.ndarray:
    data = np.asarray(data)
    if data.dtype.kind == "M":
        ms = data.astype("M8[ms]").copy()
    else:  # object datetimes (a batch with NULLs)
        ms = np.array(
            [np.datetime64("NaT") if m else v for v, m in zip(data.tolist(), mask)], dtype="M8[ms]"
        )
    ms[mask] = np.datetime64("NaT")
    return ms


def _text(data, mask) -> np.ndarray:
    """Object array of str (None where masked)."""
    data = np.asarray(data)
    if data.dtype.kind == "S":
        text = decode_utf8(data).astype(object)
    elif data.dtype.kind == "U":
        text = data.astype(object)
    else:
        text = np.array(
            [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in data.tolist()],
            dtype=object,
        )
    text[np.asarray(mask, bool)] = None
    return text


def _hex_bytes(data, mask) -> np.ndarray:
    text = _text(data, mask)
    out = np.full(len(text), None, dtype=object)
    present = ~np.asarray(mask, bool)
    out[present] = [bytes.fromhex(t) for t in text[present].tolist()]
    return out


def _lists_as_json(data, mask) -> np.ndarray:
    """OGR list fields (numpy arrays per row) as JSON text, as GeoPackage stores them."""
    out = np.full(len(data), None, dtype=object)
    for row in np.flatnonzero(~np.asarray(mask, bool)):  # list fields are rare and short
        values = data[row]
        items = [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            for v in np.asarray(values).tolist()
        ]
        out[row] = json.dumps(items)
    return out


def _time_text(text: np.ndarray, mask) -> np.ndarray:
    """Times of day as 'HH:MM:SS.sss' (the readers' one spelling)."""
    series = pd.Series(text, dtype=object)
    parts = series.str.extract(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
    out = np.full(len(text), None, dtype=object)
    ok = parts[0].notna().to_numpy() & ~np.asarray(mask, bool)
    if ok.any():
        hours = parts[0][ok].astype(int).to_numpy()
        minutes = parts[1][ok].astype(int).to_numpy()
        seconds = parts[2][ok].fillna("0").astype(int).to_numpy()
        millis = parts[3][ok].fillna("0").str.ljust(3, "0").str[:3].astype(int).to_numpy()
        out[ok] = [
            f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
            for h, m, s, ms in zip(hours, minutes, seconds, millis)
        ]
    return out


_OGR_DATETIME = (
    r"^\s*(\d{4})[/-](\d{2})[/-](\d{2})[ T]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"\s*(?:(Z)|([+-])(\d{2}):?(\d{2})?)?\s*$"
)


def _ogr_datetime(text: np.ndarray, tz) -> tuple[np.ndarray, np.ndarray]:
    """OGR's text for a date-time ('2025/06/01 21:15:00.500+01', '+00' is UTC) as local
    wall-clock datetime64[ms] of ``tz`` (values with a zone converted, others kept), and the
    wall clock as written."""
    from ..hotblocking import clock  # noqa: PLC0415

    parts = pd.Series(text, dtype=object).str.extract(_OGR_DATETIME)
    out = np.full(len(text), np.datetime64("NaT"), dtype="M8[ms]")
    as_written = out.copy()
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return out, as_written
    p = parts[ok]
    days = (p[0] + "-" + p[1] + "-" + p[2]).to_numpy(dtype=str).astype("M8[D]").astype("M8[ms]")
    millis = (
        p[3].astype(int) * 3_600_000
        + p[4].astype(int) * 60_000
        + p[5].fillna("0").astype(int) * 1000
        + p[6].fillna("0").str.ljust(3, "0").str[:3].astype(int)
    ).to_numpy(dtype=np.int64)
    wall = days + millis.astype("m8[ms]")
    as_written[ok] = wall
    offset_minutes = np.zeros(len(p), dtype=np.int64)
    has_offset = p[8].notna().to_numpy()
    if has_offset.any():
        sign = np.where(p[8][has_offset] == "-", -1, 1)
        offset_minutes[has_offset] = sign * (
            p[9][has_offset].astype(int).to_numpy() * 60
            + p[10][has_offset].fillna("0").astype(int).to_numpy()
        )
    aware = has_offset | p[7].notna().to_numpy()
    if aware.any():
        utc = wall[aware] - offset_minutes[aware].astype("m8[m]").astype("m8[ms]")
        wall[aware] = clock.utc_to_local(utc, tz)
    out[ok] = wall
    return out, as_written
