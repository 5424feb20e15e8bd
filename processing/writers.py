"""Arrays become outputs here: the writing half of the bridge.

Every output is written in bulk as a GeoPackage first (:mod:`.gpkg_writer`: whole columns,
one SQLite transaction). A GeoPackage destination is that file; any other destination is
filled from it in C/C++: GDAL's VectorTranslate for files and PostGIS (COPY), QGIS's
QgsVectorLayerExporter for other database providers, and a QGIS memory layer for
``memory:``. The value returned is one QGIS can load and the next algorithm can take; it is
also the key Processing loads on completion under (see :func:`_rekey_load_on_completion`).

What a format cannot hold is kept in a form the next step reads back, never dropped:

* Shapefile (DBF): date-times and times become ISO text (``2025-06-01T23:15:00.000``, read
  back as wall clock); names longer than 10 characters are cut as OGR cuts them
  (``incident_id`` -> ``incident_i``; :data:`SHAPEFILE_NAMES` for our own fields, which
  the readers map back), and each renamed field is listed in the log; text longer than 254
  characters stops the run (outputs that always have such text are refused up front).
* PostGIS: date-times are ``timestamp`` (without time zone: wall clock, as QGIS's own
  exporter makes them), field names are kept as given (no laundering).
* CSV: geometry as WKT, field types in a ``.csvt``, the CRS in a ``.prj``; reals as exact
  text; the value returned opens it with empty cells as NULL (CSV has no other NULL).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsDataSourceUri,
    QgsFeatureRequest,
    QgsProcessingException,
    QgsVectorLayer,
    QgsVectorLayerExporter,
)

from ..hotblocking.schema import DTYPE_KINDS, TEXT
from . import gpkg_writer
from .common import feedback_callbacks, tr
from .destinations import DBF_TEXT_LIMIT, Destination
from .gpkg_writer import Column

gdal.UseExceptions()

#: Our own fields whose names a DBF cannot hold, as written to Shapefiles (OGR's cut).
SHAPEFILE_NAMES = {
    "description": "descriptio",
    "incident_id": "incident_i",
    "time_precision": "time_preci",
    "window_spec": "window_spe",
    "risk_per_km": "risk_per_k",
}
_DBF_NAME_LIMIT = 10
_SIDECARS = {
    "ESRI Shapefile": (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd"),
    "CSV": (".csv", ".csvt", ".prj", ".qmd"),
}


def write_output(
    destination: Destination,
    default_table: str,
    geometries,
    geometry_type,
    crs,
    columns,
    *,
    context=None,
    spatial_index=True,
    feedback=None,
) -> str:
    """Write a layer to ``destination`` in bulk; returns the value QGIS loads it from."""
    table = destination.table or default_table
    wkt = crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL) if crs is not None else None
    progress = cancelled = None
    if feedback is not None:
        progress, cancelled = feedback_callbacks(feedback)
    if destination.kind in ("gpkg", "temporary"):
        path = destination.path or _temporary_path(table)
        _make_folder(path)
        gpkg_writer.write_layer(
            path,
            table,
            geometries,
            geometry_type,
            wkt,
            columns,
            spatial_index=spatial_index,
            overwrite_file=not destination.update,
            progress=progress,
            cancelled=cancelled,
        )
        value = f"{path}|layername={table}"
    else:
        if destination.kind == "file" and destination.driver == "ESRI Shapefile":
            columns = shapefile_columns(columns, feedback)
        elif destination.kind == "provider":
            columns = provider_columns(columns)
        elif destination.driver == "CSV" or destination.kind == "postgres":
            columns = reals_as_text(columns)
        with tempfile.TemporaryDirectory(prefix="hb-out-") as folder:
            staging = os.path.join(folder, "staging.gpkg")
            gpkg_writer.write_layer(
                staging,
                table,
                geometries,
                geometry_type,
                wkt,
                columns,
                spatial_index=False,
                progress=progress,
                cancelled=cancelled,
            )
            if cancelled is not None and cancelled():
                return ""
            value = _from_staging(destination, staging, table, geometry_type, columns, context)
    if context is not None:
        _rekey_load_on_completion(context, destination.raw, value)
    return value


def _temporary_path(table: str) -> str:
    from qgis.core import QgsProcessingUtils  # noqa: PLC0415

    return QgsProcessingUtils.generateTempFilename(f"{table}.gpkg")


def _make_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)  # as QGIS's own file outputs do
    except OSError as error:
        raise QgsProcessingException(
            tr("Cannot create the output folder {folder}: {error}").format(
                folder=folder, error=error
            )
        ) from error


def _from_staging(destination, staging, table, geometry_type, columns, context) -> str:
    if destination.kind == "file":
        value = _to_file(destination, staging, table, geometry_type)
        if destination.driver == "CSV":
            _csvt_reals(destination.path, columns, geometry_type)
        return value
    if destination.kind == "postgres":
        return _to_postgres(destination, staging, table, geometry_type, columns)
    if destination.kind == "provider":
        return _to_provider(destination, staging, table)
    return _to_memory(destination, staging, table, context)


# ---------------------------------------------------------------------------------- files


def _to_file(destination: Destination, staging, table, geometry_type) -> str:
    path, driver = destination.path, destination.driver
    _make_folder(path)
    layer_options, dataset_options = [], []
    if driver == "ESRI Shapefile":  # say UTF-8 in a .cpg (QGIS turns GDAL's recoding off)
        layer_options = ["ENCODING=UTF-8"]
    elif driver == "CSV":
        layer_options = ["CREATE_CSVT=YES"] + (["GEOMETRY=AS_WKT"] if geometry_type else [])
    elif driver == "FlatGeobuf":
        layer_options = ["SPATIAL_INDEX=NO"]  # an index re-orders the rows
    elif driver == "SQLite":
        dataset_options = ["SPATIALITE=YES"]
    update = destination.update and os.path.exists(path)
    if not update:
        _delete_dataset(path, driver)
    if driver == "ESRI Shapefile" and geometry_type is None:
        path = os.path.splitext(path)[0] + ".dbf"  # a table alone is a DBF
        _delete_dataset(path, driver)
    try:
        gdal.VectorTranslate(
            path,
            staging,
            format=driver,
            layers=[table],
            layerName=table if driver in ("SQLite", "GPKG") else None,
            accessMode="overwrite" if update else None,
            layerCreationOptions=layer_options,
            datasetCreationOptions=dataset_options if not update else None,
        )
    except RuntimeError as error:
        raise QgsProcessingException(
            tr("Could not write {path}: {error}").format(path=path, error=error)
        ) from error
    if driver == "SQLite":
        return f"{path}|layername={table}"
    if driver == "CSV":  # a CSV writes NULL as an empty cell: read such cells back as NULL
        return f"{path}|option:EMPTY_STRING_AS_NULL=YES"
    return path


def reals_as_text(columns: list[Column]) -> list[Column]:
    """Reals as their shortest exact decimal text (numpy's repr), for writers that would
    print 15 significant digits (GDAL's CSV and PostgreSQL COPY); the column keeps its type
    (a ``.csvt`` entry, a float8 column) and reads back as the same double."""
    out = []
    for column in columns:
        if column.kind != "real":
            out.append(column)
            continue
        values = np.asarray(np.ma.getdata(column.values), dtype=float)
        missing = np.isnan(values)
        if np.ma.isMaskedArray(column.values):
            missing |= np.ma.getmaskarray(column.values)
        text = values.astype(str).astype(object)
        text[missing] = None
        out.append(Column(column.name, "real_text", text))
    return out


def _csvt_reals(path: str, columns: list[Column], geometry_type) -> None:
    """Say Real in the .csvt for reals written as exact text."""
    csvt = os.path.splitext(path)[0] + ".csvt"
    if not os.path.exists(csvt):
        return
    with open(csvt) as handle:
        types = handle.read().strip().split(",")
    offset = 1 if geometry_type else 0
    for i, column in enumerate(columns):
        if column.kind == "real_text" and i + offset < len(types):
            types[i + offset] = "Real"
    with open(csvt, "w") as handle:
        handle.write(",".join(types) + "\n")


def _delete_dataset(path: str, driver: str) -> None:
    """Replace, as QGIS's own file outputs do: the old file and its sidecar files go."""
    stem, _ = os.path.splitext(path)
    for suffix in _SIDECARS.get(driver, ()):
        for candidate in (stem + suffix, stem + suffix.upper()):
            if os.path.exists(candidate):
                os.remove(candidate)
    if os.path.exists(path):
        os.remove(path)


def shapefile_columns(columns: list[Column], feedback=None) -> list[Column]:
    """Columns a DBF can hold and the next step can read back (see the module docstring)."""
    out, taken, renamed = [], set(), []
    for column in columns:
        name = _dbf_name(column.name, taken)
        taken.add(name.lower())
        if name != column.name:
            renamed.append(f"{column.name} -> {name}")
        kind, values = column.kind, column.values
        if kind == "datetime":
            kind, values = "text", _iso_text(values)
        elif kind in ("time", "json"):
            kind = "text"
        elif kind == "binary":
            kind, values = "text", _hex_text(values)
        if kind == "text" and column.same is None:
            _refuse_long_text(column.name, values, column.prefix)
        out.append(Column(name, kind, values, column.prefix, column.same))
    if renamed and feedback is not None:
        feedback.pushWarning(
            tr("Shapefile field names hold 10 characters: {names}.").format(
                names="; ".join(renamed)
            )
        )
    return out


def _dbf_name(name: str, taken: set) -> str:
    short = SHAPEFILE_NAMES.get(name, name)[:_DBF_NAME_LIMIT]
    number = 1
    candidate = short
    while candidate.lower() in taken:
        suffix = f"_{number}"
        candidate = short[: _DBF_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    return candidate


def _iso_text(values) -> np.ndarray:
    data = np.asarray(np.ma.getdata(values)).astype("M8[ms]")
    mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else np.zeros(len(data), bool)
    mask = mask | np.isnat(data)
    text = np.datetime_as_string(data, unit="ms").astype(object)
    text[mask] = None
    return text


def _hex_text(values) -> np.ndarray:
    data = np.asarray(np.ma.getdata(values), dtype=object)
    return np.array([None if v is None else bytes(v).hex() for v in data], dtype=object)


def _refuse_long_text(name: str, values, prefix: str) -> None:
    data = np.asarray(np.ma.getdata(values))
    if data.dtype.kind in "SU":
        lengths = np.char.str_len(data)
    else:  # str, None or numbers (e.g. ids written with a prefix)
        lengths = pd.Series(data, dtype=object).astype(str).str.len().to_numpy()
    longest = int(lengths.max()) + len(prefix) if len(lengths) else 0
    if longest > DBF_TEXT_LIMIT:
        raise QgsProcessingException(
            tr(
                "A Shapefile (DBF) holds at most {limit} characters of text, and field "
                "{name} has values of {longest}: nothing was written. Use a GeoPackage "
                "(.gpkg), GeoJSON, CSV, SpatiaLite or a PostGIS table."
            ).format(limit=DBF_TEXT_LIMIT, name=name, longest=longest)
        )


# ------------------------------------------------------------------------------- PostGIS


def _to_postgres(destination: Destination, staging, table, geometry_type, columns) -> str:
    uri = QgsDataSourceUri(destination.uri)
    schema = uri.schema() or "public"
    target = uri.table() or table
    geometry_column = (uri.geometryColumn() or "geom") if geometry_type else ""
    key = uri.keyColumn() or "fid"
    times = [c.name for c in columns if c.kind == "datetime"]
    reals = [c.name for c in columns if c.kind == "real_text"]
    options = [
        "OVERWRITE=YES",
        "LAUNDER=NO",
        "PRECISION=NO",
        f"FID={key}",
        "FID64=YES",
    ]
    if geometry_type:
        options += [f"GEOMETRY_NAME={geometry_column}", "SPATIAL_INDEX=GIST"]
    column_types = [f"{name}=timestamp" for name in times]  # wall clock, not timestamptz
    column_types += [f"{name}=float8" for name in reals]  # exact text, parsed by the server
    if column_types:
        options.append("COLUMN_TYPES=" + ",".join(column_types))
    try:
        gdal.VectorTranslate(
            "PG:" + uri.connectionInfo(True),
            staging,
            format="PostgreSQL",
            layers=[table],
            layerName=f"{schema}.{target}",
            accessMode="overwrite",
            layerCreationOptions=options,
        )
    except RuntimeError as error:
        raise QgsProcessingException(
            tr("Could not write the PostGIS table {schema}.{table}: {error}").format(
                schema=schema, table=target, error=error
            )
        ) from error
    uri.setDataSource(schema, target, geometry_column, "", key)
    return "postgres://" + uri.uri(False)


# ------------------------------------------------------------------ other providers, memory


def provider_columns(columns: list[Column]) -> list[Column]:
    """Columns QGIS's database providers can create: Booleans as 0/1 integers (the
    SpatiaLite provider has no Boolean type)."""
    return [
        Column(c.name, "int", c.values, c.prefix, c.same) if c.kind == "bool" else c
        for c in columns
    ]


def _to_provider(destination: Destination, staging, table) -> str:
    uri = QgsDataSourceUri(destination.uri)
    if not uri.table():
        uri.setTable(table)
    source = QgsVectorLayer(f"{staging}|layername={table}", table, "ogr")
    error, message = QgsVectorLayerExporter.exportLayer(
        source, uri.uri(False), destination.provider, source.crs(), False, {"overwrite": True}
    )
    if error != QgsVectorLayerExporter.NoError:
        raise QgsProcessingException(
            tr("Could not write {raw}: {message}").format(raw=destination.raw, message=message)
        )
    return f"{destination.provider}://{uri.uri(False)}"


def _to_memory(destination: Destination, staging, table, context) -> str:
    """A memory layer copied from the staging file in C++ (QgsFeatureSource.materialize)."""
    source = QgsVectorLayer(f"{staging}|layername={table}", table, "ogr")
    layer = source.materialize(QgsFeatureRequest())
    fid = layer.fields().lookupField("fid")
    if fid >= 0:  # the GeoPackage's feature id is not an attribute of the output
        layer.dataProvider().deleteAttributes([fid])
        layer.updateFields()
    layer.setName(destination.table or table)
    if context is None:
        raise QgsProcessingException(tr("A memory output needs a Processing context."))
    context.temporaryLayerStore().addMapLayer(layer)
    return layer.id()


def _rekey_load_on_completion(context, raw: str, value: str) -> None:
    """Processing registered the output to load under the text it was given; loading goes
    through that key, so it must be the value written (a memory layer's id, a loadable
    PostGIS URI...)."""
    if not raw or raw == value or not context.willLoadLayerOnCompletion(raw):
        return
    layers = context.layersToLoadOnCompletion()
    details = layers.pop(raw)
    layers[value] = details
    context.setLayersToLoadOnCompletion(layers)


def frame_columns(frame: pd.DataFrame) -> list[Column]:
    """DataFrame columns as writer columns, by dtype."""
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        kind = DTYPE_KINDS.get(values.dtype.kind, TEXT)
        if kind == "text":  # already str or None: no fixed-width copy (1.5M profiles ~ 2 GB)
            values = none_for_missing(values)
        columns.append(Column(str(name), kind, values))
    return columns


def none_for_missing(values: np.ndarray) -> np.ndarray:
    """An object array with None for each missing value (NaN, NA); the array itself when it
    is already one with none missing (a column of 12M rows is not copied for nothing)."""
    missing = pd.isna(values)
    if missing.any() or values.dtype != object:
        values = values.astype(object, copy=True)
        values[missing] = None
    return values
