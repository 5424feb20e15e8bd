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
    convert: str = "plain"  # plain, bool, iso_datetime, iso_date, iso_time, hex, list, utc


@dataclass
class BulkQuery:
    """One read: an SQL statement (``sql``), or a layer read directly (``layer_name``,
    ``attribute_filter``, ``ignored``); ``second`` reads further columns of the same
    features (matched by id) where the first cannot convert them."""

    dataset: str
    sql: str = ""
    dialect: str = ""  # "" = the data source's own SQL, "SQLITE" = GDAL's SQLite dialect
    columns: list[BulkColumn] = field(default_factory=list)
    fid_from_field: str | None = None  # the QGIS field that shows the FID (GeoPackage "fid")
    geometry: bool = True
    open_options: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    description: str = ""
    layer_name: str = ""
    attribute_filter: str = ""
    ignored: list[str] = field(default_factory=list)
    second: BulkQuery | None = None


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
    defn = ogr_layer.GetLayerDefn()
    ogr_fields = {
        defn.GetFieldDefn(i).GetName(): defn.GetFieldDefn(i) for i in range(defn.GetFieldCount())
    }
    fid_column = ogr_layer.GetFIDColumn()
    fid_from_field = None
    wanted = []
    for name in names:
        if name in ogr_fields:
            wanted.append(name)
        elif fid_column and name == fid_column:  # QGIS shows the FID as a first field
            fid_from_field = name
        else:
            raise NotBulk(f"field {name} is not in the data source")
    description = f"{driver} {path}"
    if driver in _SQLITE_DRIVERS:
        query = _sqlite_select(
            path,
            ogr_layer.GetName(),
            fid_column or "ROWID",
            ogr_layer.GetGeometryColumn(),
            wanted,
            kinds,
            geometry,
            subset,
            description,
        )
    else:
        query = _layer_read(
            path, ogr_layer, driver, wanted, kinds, ogr_fields, geometry, subset, description
        )
    query.open_options = open_options + query.open_options
    query.fid_from_field = fid_from_field
    return query


# Kinds GDAL 3.6's Arrow-to-numpy conversion gets wrong or incomplete: read them through SQL.
_SPECIAL = ("bool", "datetime", "time", "binary")


def _sqlite_select(path, table, fid, geometry_column, names, kinds, geometry, subset, what):
    """GeoPackage and SQLite: one statement in their own SQL, as QGIS's subset runs."""
    selects = [f"{quote(fid) if fid != 'ROWID' else fid} AS {_FID}"]
    query = BulkQuery(dataset=path, geometry=geometry, description=what)
    for i, name in enumerate(names):
        column = _sqlite_column(i, name, kinds[name])
        query.columns.append(column)
        selects.append(f"{column.select} AS {quote(column.alias)}")
    if geometry and geometry_column:
        selects.append(quote(geometry_column))
    query.sql = f"SELECT {', '.join(selects)} FROM {quote(table)}"
    if subset:
        query.sql += f" WHERE {subset}"
    return query


def _sqlite_column(i, name, kind) -> BulkColumn:
    alias, ref = f"hb_{i}", quote(name)
    if kind == "bool":
        return BulkColumn(name, kind, alias, f"CAST({ref} AS INTEGER)", "bool")
    if kind == "datetime":  # as stored: a zone (Z, +01:00) is kept and applied
        return BulkColumn(name, kind, alias, f"CAST({ref} AS TEXT)", "iso_datetime")
    if kind == "time":
        return BulkColumn(name, kind, alias, f"CAST({ref} AS TEXT)", "iso_time")
    if kind == "binary":  # SQLite's hex(NULL) is '' (an empty value, not NULL)
        return BulkColumn(
            name, kind, alias, f"CASE WHEN {ref} IS NOT NULL THEN hex({ref}) END", "hex"
        )
    return BulkColumn(name, kind, alias, ref)


def _layer_read(path, ogr_layer, driver, names, kinds, ogr_fields, geometry, subset, what):
    """Other OGR files: the layer itself, filtered by the subset (OGR SQL, as QGIS runs it);
    Booleans, times, binary and zoned date-times through GDAL's SQLite dialect, by id.
    GeoJSON gives date-times as their text (DATE_AS_STRING), zones included."""
    from osgeo import ogr  # noqa: PLC0415 (constants only)

    geojson = driver in ("GeoJSON", "GeoJSONSeq")
    plain, special = [], []
    for i, name in enumerate(names):
        kind = kinds[name]
        ogr_type = ogr_fields[name].GetType()
        if ogr_type in (
            ogr.OFTStringList,
            ogr.OFTIntegerList,
            ogr.OFTInteger64List,
            ogr.OFTRealList,
        ):
            plain.append(BulkColumn(name, kind, name, "", "list"))
        elif geojson and kind in ("datetime", "date", "time"):
            convert = {"datetime": "iso_datetime", "date": "iso_date", "time": "iso_time"}[kind]
            plain.append(BulkColumn(name, kind, name, "", convert))
        elif kind in _SPECIAL:
            special.append(_sqlite_column(i, name, kind))
        else:
            plain.append(BulkColumn(name, kind, name, ""))
    layer_name = ogr_layer.GetName()
    defn = ogr_layer.GetLayerDefn()
    all_fields = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    keep = {c.name for c in plain}
    query = BulkQuery(
        dataset=path,
        geometry=geometry,
        description=what,
        layer_name=layer_name,
        attribute_filter=subset,
        ignored=[n for n in all_fields if n not in keep],
        columns=plain,
    )
    if geojson:
        query.open_options.append("DATE_AS_STRING=YES")
    if special:
        selects = [f"ROWID AS {_FID}"] + [f"{c.select} AS {quote(c.alias)}" for c in special]
        query.second = BulkQuery(
            dataset=path,
            sql=f"SELECT {', '.join(selects)} FROM {quote(layer_name)}",
            dialect="SQLITE",
            columns=special,
            geometry=False,
            description=what,
        )
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
        key = fields.at(keys[0]).name()
    else:
        key = "ROWID"
    for name in names:
        if fields.lookupField(name) < 0:
            raise NotBulk(f"field {name} is not in the table")
    return _sqlite_select(
        uri.database(),
        uri.table(),
        key,
        uri.geometryColumn(),
        names,
        kinds,
        geometry and bool(uri.geometryColumn()),
        layer.subsetString().strip(),
        f"SpatiaLite {uri.database()}",
    )


# -------------------------------------------------------------------------------- executing


@dataclass
class BulkResult:
    fids: np.ndarray
    wkb: np.ndarray | None  # masked object array of WKB bytes (None: not read)
    attributes: dict  # name -> masked array (see readers.KINDS)
    # date-time name -> the wall clock as written, before zones were applied (QGIS 3.22's
    # OGR provider shows that; readers uses it to convert QGIS's values of unedited rows)
    written: dict = field(default_factory=dict)


def run(query: BulkQuery, tz, cancelled=None) -> BulkResult:
    """Execute ``query`` (and its second pass) and convert; ``tz``: the analysis zone;
    ``cancelled()`` is asked between batches (raises the core's Cancelled)."""
    fids, wkb, chunks = _batches(query, cancelled)
    n = len(fids)
    attributes, written = {}, {}
    for column in query.columns:
        raw = _concat(chunks.get(column.alias, []))
        attributes[column.name] = _finish_column(column, raw, n, tz, written)
    if query.second is not None:
        more = run(query.second, tz, cancelled)
        rows = _rows_of(more.fids, fids)
        for name, values in more.attributes.items():
            attributes[name] = values[rows]
        for name, values in more.written.items():
            written[name] = values[rows]
    if query.fid_from_field:
        attributes[query.fid_from_field] = np.ma.array(fids.copy(), mask=np.zeros(n, bool))
    return BulkResult(fids, wkb, attributes, written)


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions in ``ids`` of each of ``wanted`` (all present: the same features)."""
    order = np.argsort(ids, kind="stable")
    rows = order[np.searchsorted(ids[order], wanted)]
    if not np.array_equal(ids[rows], wanted):
        raise NotBulk("the two reads of the layer do not hold the same features")
    return rows


def _batches(query: BulkQuery, cancelled=None):
    """(fids, masked WKB or None, {column: [batches]}) of one statement or layer read."""
    previous = {key: gdal.GetThreadLocalConfigOption(key, None) for key in query.config}
    for key, value in query.config.items():
        gdal.SetThreadLocalConfigOption(key, value)
    try:
        ds = gdal.OpenEx(query.dataset, gdal.OF_VECTOR, open_options=query.open_options)
        if query.layer_name:
            result = ds.GetLayerByName(query.layer_name)
            result.SetAttributeFilter(query.attribute_filter or None)
            release = None
        else:
            result = ds.ExecuteSQL(query.sql, dialect=query.dialect)
            if result is None:
                raise NotBulk(f"GDAL could not run: {query.sql}")
            release = result
        try:
            ignored = list(query.ignored) + ([] if query.geometry else ["OGR_GEOMETRY"])
            if ignored:
                result.SetIgnoredFields(ignored)
            chunks: dict[str, list] = {}
            for batch in result.GetArrowStreamAsNumPy(
                options=["INCLUDE_FID=YES", "USE_MASKED_ARRAYS=YES"]
            ):
                if cancelled is not None and cancelled():
                    from ..hotblocking.errors import Cancelled  # noqa: PLC0415

                    raise Cancelled()
                for key, values in batch.items():
                    chunks.setdefault(key, []).append(values)
            fid_key = result.GetFIDColumn() or "OGC_FID"
            geometry_key = _geometry_key(result, chunks, query, fid_key)
        finally:
            if release is not None:
                ds.ReleaseResultSet(release)
    except RuntimeError as error:
        raise NotBulk(f"GDAL could not read it: {error}") from None
    finally:
        for key, value in previous.items():
            gdal.SetThreadLocalConfigOption(key, value)
    fids = _concat(chunks.get(_FID if _FID in chunks else fid_key, []))
    fids = np.array([], dtype=np.int64) if fids is None else fids
    fids = np.asarray(np.ma.getdata(fids), dtype=np.int64)
    wkb = None
    if query.geometry:
        wkb = _concat(chunks.get(geometry_key, [])) if geometry_key else None
        if wkb is None or len(wkb) != len(fids):
            wkb = np.ma.masked_all(len(fids), dtype=object)
    return fids, wkb, chunks


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
    known = {fid_key, _FID} | {c.alias for c in query.columns}
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


def _finish_column(column: BulkColumn, raw, n: int, tz, written: dict):
    """A batch column as the readers' kinds (see readers.KINDS); NULL stays masked.
    Date-times whose zone was applied leave their wall clock as written in ``written``."""
    from ..hotblocking import clock  # noqa: PLC0415 (core, no QGIS)

    kind = column.kind
    data, mask = _split(raw, n)
    if column.convert == "list":
        return np.ma.array(_lists_as_json(data, mask), mask=mask)
    if column.convert == "hex":
        data = _hex_bytes(data, mask)
    elif column.convert == "iso_time":
        data = time_text(_text(data, mask), mask)
    elif column.convert == "iso_datetime":
        local, written[column.name] = iso_datetimes(data, mask, tz)
        return np.ma.array(local, mask=np.isnat(local))
    elif column.convert == "iso_date":
        days, _ = iso_datetimes(data, mask, tz, date_only=True)
        return np.ma.array(days.astype("M8[D]"), mask=np.isnat(days))
    elif column.convert == "bool":
        data = np.where(mask, 0, data).astype(bool)
    elif column.convert == "utc":
        local = clock.utc_to_local(_as_ms(data, mask), tz)
        return np.ma.array(local, mask=mask | np.isnat(local))
    elif kind == "datetime":
        ms = _as_ms(data, mask)
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
    else:  # object arrays: bytes, str, or date/time objects (GeoJSON)
        text = np.array([_as_str(v) for v in data.tolist()], dtype=object)
    text[np.asarray(mask, bool)] = None
    return text


def _as_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


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


def time_text(text: np.ndarray, mask) -> np.ndarray:
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


_COLON, _PLUS, _MINUS = ord(":"), ord("+"), ord("-")
_DIGITS = (ord("0"), ord("9"))


def iso_datetimes(values, mask, tz, date_only=False) -> tuple[np.ndarray, np.ndarray]:
    """ISO date-time text as GDAL, SQLite and QGIS write it ('2025-06-01T21:15:00.500',
    a space for the T, with or without Z or an offset such as +01:00, +0100 or +01) as
    wall clock of ``tz`` (datetime64[ms]; values with a zone are converted), and the wall
    clock as written. Vectorised: the zone is cut off the bytes, numpy parses the rest;
    text numpy cannot parse goes through the core's parser (unreadable: NaT, as QGIS's NULL).
    """
    from ..hotblocking import clock  # noqa: PLC0415

    text = _ascii(values, mask)
    n = len(text)
    out = np.full(n, np.datetime64("NaT"), dtype="M8[ms]")
    if n == 0:
        return out, out.copy()
    width = text.dtype.itemsize
    raw = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(n, width).copy()
    length = np.count_nonzero(raw, axis=1).astype(np.int64)  # 'S' pads with NULs
    rows = np.arange(n)
    cut = length.copy()  # where the zone starts (length: no zone)
    offset = np.zeros(n, dtype=np.int64)  # minutes east of UTC
    last = raw[rows, np.maximum(length - 1, 0)]
    zulu = (length > 10) & ((last == ord("Z")) | (last == ord("z")))
    cut[zulu] = length[zulu] - 1
    zoned = zulu.copy()
    for size, colon in ((6, True), (5, False), (3, False)):  # +HH:MM, +HHMM, +HH
        start = length - size
        ok = ~zoned & (start >= 16)
        at = np.maximum(start, 0)
        sign = raw[rows, at]
        ok &= (sign == _PLUS) | (sign == _MINUS)
        digit_positions = [1, 2, 4, 5] if colon else ([1, 2, 3, 4] if size == 5 else [1, 2])
        digits = np.stack([raw[rows, np.minimum(at + k, width - 1)] for k in digit_positions])
        ok &= np.all((digits >= _DIGITS[0]) & (digits <= _DIGITS[1]), axis=0)
        if colon:
            ok &= raw[rows, np.minimum(at + 3, width - 1)] == _COLON
        if not ok.any():
            continue
        value = digits.astype(np.int64) - _DIGITS[0]
        hours = value[0] * 10 + value[1]
        minutes = value[2] * 10 + value[3] if len(digit_positions) == 4 else 0
        offset[ok] = (np.where(sign == _MINUS, -1, 1) * (hours * 60 + minutes))[ok]
        cut[ok] = start[ok]
        zoned |= ok
    raw[np.arange(width)[None, :] >= cut[:, None]] = 0
    core = raw.view(f"S{width}").ravel()
    present = ~np.asarray(mask, bool) & (length > 0)
    try:
        wall = core[present].astype("M8[ms]")
    except ValueError:  # not ISO throughout: the core's parser, NaT where unreadable
        from ..hotblocking.timeparse import parse_times  # noqa: PLC0415

        parsed = parse_times(np.char.decode(core[present], "ascii", "replace"), tz=tz)
        wall = parsed.times
    as_written = out.copy()
    as_written[present] = wall
    local = as_written.copy()
    aware = zoned & present
    if aware.any() and not date_only:
        utc = as_written[aware] - offset[aware].astype("m8[m]").astype("m8[ms]")
        local[aware] = clock.utc_to_local(utc, tz)
    return local, as_written


def _ascii(values, mask) -> np.ndarray:
    """Date-time text as a bytes ('S') array; NULL as empty."""
    data = np.asarray(values)
    if data.dtype.kind == "U":
        data = np.char.encode(data, "ascii", "replace")
    elif data.dtype.kind != "S":
        text = _text(data, mask)
        data = np.array([b"" if t is None else t.encode("ascii", "replace") for t in text])
        if data.dtype.kind != "S":
            data = data.astype("S1")
    data = data.copy()  # padded or other text: numpy refuses it, the core's parser reads it
    data[np.asarray(mask, bool)] = b""
    return data
