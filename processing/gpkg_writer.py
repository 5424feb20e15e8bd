"""Bulk GeoPackage writer: whole columns in, one SQLite transaction out.

Why not a QgsFeatureSink: building one QgsFeature per row in Python costs ~7 us a row
(200k rows ~1.5 s, measured here), more than a whole join. OGR creates the table (so the
GeoPackage metadata, CRS and field types are exactly GDAL's), rows go in through
``sqlite3.executemany`` and OGR builds the spatial index afterwards in C.

Date-times are stored as GeoPackage DATETIME text ``YYYY-MM-DDTHH:MM:SS.SSS`` without a
``Z``: they are local Europe/London wall-clock times as recorded, not UTC.
"""

from __future__ import annotations

import operator
import os
import sqlite3
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from osgeo import gdal, ogr, osr

from .textcodec import decode_utf8

gdal.UseExceptions()

_OGR_TYPES = {
    "text": (ogr.OFTString, None),
    "int": (ogr.OFTInteger64, None),
    "real": (ogr.OFTReal, None),
    "datetime": (ogr.OFTDateTime, None),
    "date": (ogr.OFTDate, None),
    "bool": (ogr.OFTInteger, ogr.OFSTBoolean),
    "time": (ogr.OFTString, None),  # 'HH:MM:SS.sss' (GeoPackage has no time type)
    "json": (ogr.OFTString, ogr.OFSTJSON),
    "binary": (ogr.OFTBinary, None),
    "real_text": (ogr.OFTString, None),  # a real as its exact decimal text (see writers)
}

_GEOMETRY_TYPES = {
    "Point": ogr.wkbPoint,
    "LineString": ogr.wkbLineString,
    "MultiPoint": ogr.wkbMultiPoint,
    "Geometry": ogr.wkbUnknown,
}


@dataclass(frozen=True)
class Column:
    """One output field: ``kind`` is text, int, real, datetime, date, bool, time, json or
    binary (see readers.KINDS).

    ``values`` is a 1-D array; missing values are None, NaN, NaT or masked.
    """

    name: str
    kind: str
    values: np.ndarray
    prefix: str = ""  # text columns: written as prefix + value, built chunk by chunk
    same: str | None = None  # text columns: this one value in every row

    def subset(self, rows) -> Column:
        return Column(self.name, self.kind, self.values[rows], self.prefix, self.same)

    @classmethod
    def constant(cls, name: str, value: str, n_rows: int) -> Column:
        """A text column with one value in every row (no per-row object array is kept)."""
        return cls(name, "text", np.zeros(n_rows, dtype=np.int8), same=value)


def geometry_type_of(geometries: np.ndarray) -> str:
    """'Point' when every present geometry is a point, else the generic 'Geometry'."""
    if _is_xy(geometries):
        return "Point"
    type_ids = shapely.get_type_id(np.asarray(geometries, dtype=object))
    return "Point" if np.all((type_ids == 0) | (type_ids == -1)) else "Geometry"


def write_layer(
    path: str,
    layer_name: str,
    geometries: np.ndarray,
    geometry_type: str,
    crs_wkt: str,
    columns: Sequence[Column],
    *,
    spatial_index: bool | str = True,
    overwrite_file: bool = True,
    progress=None,
    cancelled=None,
) -> int:
    """Write one layer into a GeoPackage (creating or replacing it); returns rows written.

    Rows go in chunks so memory stays flat and ``cancelled()`` is honoured between chunks
    (a cancelled write removes the file: no partial output is left looking complete).
    ``spatial_index`` costs ~11 us a row (SQLite's R*Tree); point outputs skip it.
    """
    if overwrite_file and os.path.exists(path):
        os.remove(path)
    _create_table(path, layer_name, geometry_type, crs_wkt, columns)
    has_geometry = geometry_type is not None
    n_rows = len(geometries) if has_geometry else (len(columns[0].values) if columns else 0)
    if spatial_index == "auto":
        spatial_index = n_rows <= AUTO_INDEX_MAX_ROWS
    if overwrite_file:
        # 64 KiB pages: ~10% faster bulk inserts; the file is still tiny, so VACUUM is instant.
        with sqlite3.connect(path, isolation_level=None) as db:
            db.execute("PRAGMA page_size=65536")
            db.execute("VACUUM")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA synchronous=OFF")
        geom_col, srs_id = None, None
        if has_geometry:
            geom_col, srs_id = db.execute(
                "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                (layer_name,),
            ).fetchone()
        names = ([geom_col] if has_geometry else []) + [c.name for c in columns]
        quoted = ", ".join(_quote(n) for n in names)
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO {_quote(layer_name)} ({quoted}) VALUES ({marks})"
        # OGR's per-row feature-count trigger doubles the cost of each insert: lift it
        # for the bulk load, then set the count once and put the trigger back.
        triggers = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
            " AND name LIKE 'trigger_insert_feature_count_%'",
            (layer_name,),
        ).fetchall()
        for name, _ in triggers:
            db.execute(f"DROP TRIGGER {_quote(name)}")
        for start in range(0, n_rows, _CHUNK_ROWS):
            if cancelled is not None and cancelled():
                db.rollback()
                break
            rows = slice(start, start + _CHUNK_ROWS)
            cells = [_gpkg_blobs(geometries[rows], srs_id)] if has_geometry else []
            cells += _chunk_values([c.subset(rows) for c in columns])
            db.executemany(sql, zip(*cells))
            if progress is not None:
                progress(min(1.0, (start + _CHUNK_ROWS) / n_rows))
        else:
            if has_geometry:
                _update_extent(db, layer_name, geometries)
            db.execute(
                "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
                (n_rows, layer_name),
            )
        for _, trigger_sql in triggers:
            db.execute(trigger_sql)
    if cancelled is not None and cancelled():
        os.remove(path)
        return 0
    if spatial_index and has_geometry:
        _build_spatial_index(path, layer_name, geom_col)
    return n_rows


_CHUNK_ROWS = 100_000
# "auto" builds the R-tree up to this many rows (~11 us a row in SQLite 3.40: ~3 s here);
# larger layers skip it and say so: QGIS's "Create spatial index" adds it later.
AUTO_INDEX_MAX_ROWS = 250_000


def _create_table(path, layer_name, geometry_type, crs_wkt, columns):
    driver = ogr.GetDriverByName("GPKG")
    ds = ogr.Open(path, 1) if os.path.exists(path) else driver.CreateDataSource(path)
    srs = None
    if crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    options = ["SPATIAL_INDEX=NO", "GEOMETRY_NAME=geom", "FID=fid", "OVERWRITE=YES"]
    geom_type = ogr.wkbNone if geometry_type is None else _GEOMETRY_TYPES[geometry_type]
    layer = ds.CreateLayer(layer_name, srs, geom_type, options)
    for column in columns:
        ogr_type, subtype = _OGR_TYPES[column.kind]
        field = ogr.FieldDefn(column.name, ogr_type)
        if subtype is not None:
            field.SetSubType(subtype)
        layer.CreateField(field)
    ds = None  # close: commits the schema


def _build_spatial_index(path, layer_name, geom_col):
    ds = gdal.OpenEx(path, gdal.OF_VECTOR | gdal.OF_UPDATE)
    ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{layer_name}', '{geom_col}')")
    ds = None


def _update_extent(db, layer_name, geometries):
    if _is_xy(geometries):
        bounds = np.column_stack([geometries, geometries])
    else:
        bounds = shapely.bounds(geometries)
    if len(bounds) == 0 or np.all(np.isnan(bounds)):
        return
    minx, miny = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    maxx, maxy = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    db.execute(
        "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?",
        (float(minx), float(miny), float(maxx), float(maxy), layer_name),
    )


def _gpkg_blobs(geometries: np.ndarray, srs_id: int) -> list:
    """GeoPackage geometry blobs: 'GP' header (+ envelope for non-points) + ISO WKB."""
    if _is_xy(geometries):
        return _point_blobs(geometries, srs_id)
    geometries = np.asarray(geometries, dtype=object)
    type_ids = shapely.get_type_id(geometries)
    if len(geometries) and np.all(type_ids == 0) and not shapely.is_empty(geometries).any():
        return _point_blobs(shapely.get_coordinates(geometries), srs_id)
    wkb = shapely.to_wkb(geometries, output_dimension=2, flavor="iso")
    is_point = type_ids == 0
    blobs = np.empty(len(geometries), dtype=object)
    # Points need no envelope (flags 0x01: little-endian, no envelope).
    point_header = b"GP\x00\x01" + struct.pack("<i", srs_id)
    if is_point.any():
        blobs[is_point] = [point_header + w for w in wkb[is_point].tolist()]
    others = ~is_point & (wkb != None)  # noqa: E711 (element-wise comparison)
    if others.any():
        env_header = b"GP\x00\x03" + struct.pack("<i", srs_id)  # envelope [minx,maxx,miny,maxy]
        bounds = shapely.bounds(geometries[others])[:, [0, 2, 1, 3]]
        envelopes = np.ascontiguousarray(bounds, dtype="<f8").view("V32").ravel()
        blobs[others] = [env_header + bytes(e) + w for e, w in zip(envelopes, wkb[others].tolist())]
    return blobs.tolist()


def _is_xy(values) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind == "f" and values.ndim == 2


def _point_blobs(xy: np.ndarray, srs_id: int) -> list:
    """Fixed 29-byte blobs (8-byte header + 21-byte WKB point) built in numpy from (n, 2)
    coordinates; NaN rows are NULL geometries."""
    blobs = np.empty((len(xy), 29), dtype=np.uint8)
    blobs[:, :8] = np.frombuffer(b"GP\x00\x01" + struct.pack("<i", srs_id), dtype=np.uint8)
    blobs[:, 8:13] = np.frombuffer(b"\x01\x01\x00\x00\x00", dtype=np.uint8)  # LE, Point
    blobs[:, 13:29] = np.ascontiguousarray(xy, dtype="<f8").view(np.uint8).reshape(-1, 16)
    out = blobs.view("V29").ravel().astype(object)  # void, not bytes_: trailing NULs kept
    out[np.isnan(xy).any(axis=1)] = None
    return out.tolist()


def _chunk_values(columns: list) -> list:
    """Each column's values for sqlite3; identical date-time columns are formatted once
    (an instant's time_end equals its time_start, often the source's own time field too)."""
    out, formatted = [], []
    for column in columns:
        if column.kind == "datetime":
            key = _time_key(column.values)
            text = next((t for k, t in formatted if np.array_equal(k, key)), None)
            if text is None:
                text = _sqlite_values(column)
                formatted.append((key, text))
            out.append(text)
        else:
            out.append(_sqlite_values(column))
    return out


def _time_key(values) -> np.ndarray:
    data, mask = _data_and_mask(values)
    key = np.asarray(data, dtype="datetime64[ms]").view(np.int64).copy()
    key[mask] = np.iinfo(np.int64).min
    return key


def _sqlite_values(column: Column) -> list:
    """One column as Python values for sqlite3, missing values as None (never 0)."""
    if column.kind in ("datetime", "date"):
        return _format_times(column.values, "ms" if column.kind == "datetime" else "D")
    if column.same is not None:
        return [column.same] * len(column.values)
    data, mask = _data_and_mask(column.values)
    if data.dtype.kind == "S" and column.kind == "text" and not column.prefix:
        # OGR's Arrow reader hands text as UTF-8 bytes: decode straight to list items.
        text = list(map(_DECODE, data.tolist()))
        for row in np.flatnonzero(mask):
            text[row] = None
        return text
    if data.dtype.kind == "S":
        data = decode_utf8(data)
    if column.prefix:
        text = list(map(column.prefix.__add__, map(str, data.tolist())))
        if mask.any():
            for row in np.flatnonzero(mask):
                text[row] = None
        return text
    if column.kind in ("int", "bool"):
        data = np.where(mask, 0, data).astype(np.int64)
    elif column.kind == "real":
        data = np.where(mask, np.nan, data).astype(np.float64)
    if not mask.any():
        return data.tolist()  # straight to Python numbers: no object array in between
    out = data.astype(object)
    out[mask] = None
    return out.tolist()


_DECODE = operator.methodcaller("decode", "utf-8", "replace")


def _format_times(values, unit: str) -> list:
    data, mask = _data_and_mask(values)
    data = np.asarray(data, dtype=f"datetime64[{unit}]")
    mask = mask | np.isnat(data)
    text = np.datetime_as_string(data, unit=unit).tolist()
    for row in np.flatnonzero(mask):  # NULL times are few
        text[row] = None
    return text


def _data_and_mask(values) -> tuple[np.ndarray, np.ndarray]:
    """Plain data and a missing mask from masked arrays, NaN, NaT and None."""
    mask = np.ma.getmaskarray(values).copy() if np.ma.isMaskedArray(values) else None
    data = np.asarray(np.ma.getdata(values))
    if mask is None:
        mask = np.zeros(len(data), dtype=bool)
    if data.dtype.kind in "fOmM":
        mask |= np.asarray(pd.isna(data), dtype=bool)
    return data, mask


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
