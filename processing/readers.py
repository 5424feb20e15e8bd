"""Layers become arrays here: the reading half of the bridge.

A Processing input is read exactly as QGIS shows it to the algorithm, by one of two routes:

* **Bulk** (:mod:`.bulk_read`): one SQL statement through GDAL, Arrow batches, no Python per
  record. Taken only where it is provably the same as QGIS's own iteration: an OGR file
  (GeoPackage, shapefile, GeoJSON, FlatGeobuf, CSV through OGR), a PostGIS table with a single
  integer key or a SpatiaLite table; no unsaved edits; only the provider's own fields (no
  virtual or joined fields); no feature limit. The layer's filter goes into the statement as
  QGIS's provider applies it; "selected features only" keeps the ids the source serves; a
  sublayer's ``geometrytype=`` filter is applied as QGIS applies it.
* **QGIS iteration**: everything else (memory layers, delimited text, unsaved edits, virtual
  fields, WFS...), through the QgsProcessingFeatureSource itself.

Invalid geometries are read as they are, whatever Processing's setting for them: the
algorithms give each record a reason (no geometry, zero length...), and a filter would drop
records without one (QGIS's own algorithms that handle such geometries skip it too).

Values come out by kind (:data:`KINDS`), NULL masked, never 0. Date-times come out as wall
clock of the analysis time zone: values that carry a zone (PostGIS ``timestamptz``, ``Z``
or an offset in a GeoPackage, GeoJSON or FlatGeobuf, or a QDateTime with a time spec) are
converted to it; values without one are taken as that zone's wall clock already.
"""

from __future__ import annotations

import binascii
import json
import os
from dataclasses import dataclass, field

import numpy as np
import shapely
from qgis.core import (
    QgsAggregateCalculator,
    QgsCoordinateReferenceSystem,
    QgsExpression,
    QgsFeatureRequest,
    QgsFields,
    QgsProcessingException,
    QgsProcessingFeatureSource,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QVariant

from ..hotblocking import clock, schema
from ..hotblocking.errors import Cancelled
from . import bulk_read
from .common import tr
from .textcodec import decode_utf8

#: What a column holds: text (str), int (int64), real (float64), bool, date (datetime64[D]),
#: datetime (datetime64[ms], wall clock of the analysis zone), time ('HH:MM:SS.sss'),
#: binary (bytes), json (JSON text: lists and maps).
KINDS = schema.INPUT_KINDS

_QVARIANT_KINDS = {
    QVariant.String: schema.TEXT,
    QVariant.Int: schema.INT,
    QVariant.LongLong: schema.INT,
    QVariant.UInt: schema.INT,
    QVariant.ULongLong: schema.INT,
    QVariant.Double: schema.REAL,
    QVariant.DateTime: schema.DATETIME,
    QVariant.Date: schema.DATE,
    QVariant.Time: schema.TIME,
    QVariant.Bool: schema.BOOL,
    QVariant.ByteArray: schema.BINARY,
    QVariant.StringList: schema.JSON,
    QVariant.List: schema.JSON,
    QVariant.Map: schema.JSON,
}
_JULIAN_1970 = 2440588  # QDate(1970, 1, 1).toJulianDay()
_MS_PER_DAY = 86_400_000


def field_kind(qgs_field) -> str:
    """A QgsField's kind (see :data:`KINDS`); anything else is read as text."""
    return _QVARIANT_KINDS.get(qgs_field.type(), schema.TEXT)


@dataclass
class LayerArrays:
    """A layer as aligned arrays: one row per feature read."""

    fids: np.ndarray
    geometries: np.ndarray | None  # shapely geometries, None where the feature has none
    attributes: dict = field(default_factory=dict)  # name -> masked 1-D array
    kinds: dict = field(default_factory=dict)  # name -> kind
    crs: QgsCoordinateReferenceSystem = None
    table_name: str = ""
    xy: np.ndarray | None = None  # (n, 2) point coordinates instead of geometries (NaN = none)
    missing: np.ndarray | None = None  # with xy: True where the feature has no geometry
    route: str = ""  # how it was read (for the log)
    filtered_out: int = 0  # records of the input a filter expression left out

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a boolean mask), in place."""
        self.fids = self.fids[rows]
        self.attributes = {n: v[rows] for n, v in self.attributes.items()}
        if self.geometries is not None:
            self.geometries = self.geometries[rows]
        if self.xy is not None:
            self.xy = self.xy[rows]
            self.missing = None if self.missing is None else self.missing[rows]

    def __len__(self) -> int:
        return len(self.fids)


@dataclass
class InputLayer:
    """A Processing input: the source QGIS serves and the layer behind it (if any).

    ``selected_only`` and ``feature_limit`` are the source definition's settings (QGIS
    3.22's parameterAsVectorLayer gives None for a selected-only source).
    """

    source: QgsProcessingFeatureSource
    layer: QgsVectorLayer | None = None
    selected_only: bool = False
    feature_limit: int = -1
    context: object = None  # the source uses its context's callbacks: keep it alive
    selected_ids: object = None  # with selected_only: the layer's selection when read

    @property
    def name(self) -> str:
        return table_name(self.layer) if self.layer is not None else self.source.sourceName()


def input_layer(algorithm, parameters: dict, name: str, context) -> InputLayer:
    """The input parameter ``name`` as an :class:`InputLayer` (refused clearly if unreadable)."""
    source = algorithm.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(algorithm.invalidSourceError(parameters, name))
    layer = algorithm.parameterAsVectorLayer(parameters, name, context)
    value = parameters.get(name)
    selected, limit = False, -1
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        selected = value.selectedFeaturesOnly
        limit = value.featureLimit
        if layer is None:
            text, _ = value.source.valueAsString(context.expressionContext(), "")
            found = QgsProcessingUtils.mapLayerFromString(text, context)
            layer = found if isinstance(found, QgsVectorLayer) else None
    selection = layer.selectedFeatureIds() if selected and layer is not None else None
    return InputLayer(source, layer, selected, limit, context, selection)


def layer_input(layer: QgsVectorLayer, context) -> InputLayer:
    """A layer given as such (e.g. one of a multiple-layers parameter)."""
    return InputLayer(QgsProcessingFeatureSource(layer, context), layer, context=context)


def table_name(layer: QgsVectorLayer) -> str:
    """The layer's name, or its table's name when it was given by path.

    QGIS names a layer opened from ``file.gpkg|layername=t`` after the file; for such a
    layer the table name (``t``) says more.
    """
    if layer.providerType() == "ogr":
        parts = layer.source().split("|")
        stem = os.path.splitext(os.path.basename(parts[0]))[0]
        for part in parts[1:]:
            if part.startswith("layername=") and layer.name() in ("", stem):
                return part.split("=", 1)[1]
    return layer.name()


def read_layer(
    inp: InputLayer,
    field_names: list[str] | None = None,
    *,
    geometry: bool = True,
    points_as_xy: bool = False,
    tz=clock.DEFAULT_TIMEZONE,
    feedback=None,
    filter_expression: str | None = None,
) -> LayerArrays:
    """Read ``field_names`` (all when None) and the geometry of an input, as QGIS shows it.

    ``points_as_xy``: when every geometry is a plain 2D point, give coordinates (``xy``,
    ``missing``) instead of shapely objects (2M points: ~1 s and ~400 MB less).
    ``filter_expression``: a QGIS expression; only the records it is true for are kept
    (:mod:`.record_filter`; a feature limit applies first), ``filtered_out`` counts the rest.
    """
    fields = inp.source.fields()
    wanted_ids = None
    if filter_expression:
        from .record_filter import matching_ids

        wanted_ids = matching_ids(inp, filter_expression, feature_id_field(inp.layer), feedback)
    names = [f.name() for f in fields] if field_names is None else list(field_names)
    kinds = {n: field_kind(fields.at(fields.lookupField(n))) for n in names}
    try:
        query = _bulk_query(inp, names, kinds, geometry)
        arrays = _read_bulk(inp, query, kinds, geometry, tz, feedback, points_as_xy)
    except bulk_read.NotBulk as why:
        key = feature_id_field(inp.layer)
        if inp.layer is not None and inp.feature_limit < 0:
            arrays = _read_aggregated(inp, names, kinds, geometry, tz, feedback, key, points_as_xy)
            arrays.route = f"QGIS iteration in C++ ({why})"
        else:
            arrays = _read_with_qgis(inp.source, names, kinds, geometry, tz, feedback, key)
            arrays.route = f"QGIS iteration ({why})"
        _zones_of_unedited_values(inp.layer, arrays, kinds, tz)
    if points_as_xy and arrays.geometries is not None and arrays.xy is None:
        arrays.xy, arrays.missing = _point_xy(arrays.geometries)
        if arrays.xy is not None:
            arrays.geometries = None
    if wanted_ids is not None:
        before = len(arrays)
        arrays.keep(np.isin(arrays.fids, wanted_ids))
        arrays.filtered_out = before - len(arrays)
    arrays.crs = inp.source.sourceCrs()
    arrays.table_name = inp.name
    return arrays


# ------------------------------------------------------------------------------------ bulk


def _bulk_query(inp: InputLayer, names, kinds, geometry) -> bulk_read.BulkQuery:
    layer = inp.layer
    if layer is None:
        raise bulk_read.NotBulk("no layer behind the input")
    if inp.feature_limit >= 0:
        raise bulk_read.NotBulk("a feature limit is set")
    if layer.isModified():
        raise bulk_read.NotBulk("the layer has unsaved edits")
    layer_fields = layer.fields()
    for name in names:
        index = layer_fields.lookupField(name)
        if index < 0 or layer_fields.fieldOrigin(index) != QgsFields.OriginProvider:
            raise bulk_read.NotBulk(f"field {name} is a virtual or joined field")
    filter_type = _ogr_geometry_type_filter(layer)
    return bulk_read.plan(layer, names, kinds, geometry or bool(filter_type))


def feature_id_field(layer) -> str | None:
    """The field whose values are the features' ids, where QGIS's own ids are not stable:
    QGIS 3.22 numbers the rows of a PostGIS table with a bigint key in the order it first
    meets them, so the key's values are used (for all integer keys: the same ids on both
    routes)."""
    if layer is None or layer.providerType() != "postgres":
        return None
    provider = layer.dataProvider()
    keys = provider.pkAttributeIndexes()
    if len(keys) != 1 or provider.fields().at(keys[0]).type() not in _INTEGER_TYPES:
        return None
    return provider.fields().at(keys[0]).name()


_INTEGER_TYPES = (QVariant.Int, QVariant.LongLong, QVariant.UInt, QVariant.ULongLong)


def _selected_ids(inp) -> np.ndarray:
    """The ids of the features a selected-only source serves (key values for PostGIS)."""
    selected = inp.selected_ids
    key = feature_id_field(inp.layer)
    if key is None:
        return np.fromiter(selected, np.int64, len(selected))
    values, ok = inp.layer.aggregate(
        QgsAggregateCalculator.ArrayAggregate,
        QgsExpression.quotedColumnRef(key),
        QgsAggregateCalculator.AggregateParameters(),
        None,
        selected,
    )
    if not ok:
        raise bulk_read.NotBulk("the selection's keys could not be read")
    return np.asarray(values, dtype=np.int64)


def _read_bulk(inp, query, kinds, geometry, tz, feedback, points_as_xy) -> LayerArrays:
    keep_ids = _selected_ids(inp) if inp.selected_only else None
    try:
        result = bulk_read.run(query, tz, None if feedback is None else feedback.isCanceled)
    except Cancelled:
        raise QgsProcessingException(tr("Cancelled: no output was produced.")) from None
    keep = np.ones(len(result.fids), dtype=bool)
    if keep_ids is not None:
        keep &= np.isin(result.fids, keep_ids)
    geometries = xy = missing = None
    filter_type = _ogr_geometry_type_filter(inp.layer)
    if result.wkb is not None:
        if points_as_xy and geometry:  # plain points: coordinates straight from the WKB
            xy, missing = _wkb_point_xy(result.wkb)
        if xy is None or filter_type:
            geometries, xy, missing = _from_wkb(result.wkb), None, None
        if filter_type:
            keep &= _single_flat_type(geometries) == filter_type
    if not keep.all():
        result.fids = result.fids[keep]
        result.attributes = {n: v[keep] for n, v in result.attributes.items()}
        geometries = None if geometries is None else geometries[keep]
        xy, missing = (None, None) if xy is None else (xy[keep], missing[keep])
    if not geometry:
        geometries = None
    return LayerArrays(
        fids=result.fids,
        geometries=geometries,
        attributes=result.attributes,
        kinds=dict(kinds),
        xy=xy,
        missing=missing,
        route=f"bulk through GDAL ({query.description})",
    )


def _wkb_point_xy(wkb) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Coordinates straight from WKB when every present record is a 2D point (21 bytes,
    little-endian, type 1); (None, None) otherwise. Empty points (NaN) come out as NaN."""
    data = np.asarray(np.ma.getdata(wkb), dtype=object)
    missing = (
        np.ma.getmaskarray(wkb).copy() if np.ma.isMaskedArray(wkb) else np.zeros(len(data), bool)
    )
    missing |= data == None  # noqa: E711 (element-wise)
    present = data[~missing]
    if not len(present):
        return np.full((len(data), 2), np.nan), missing
    lengths = np.fromiter(map(len, present), np.int64, len(present))
    if not np.all(lengths == 21):
        return None, None
    raw = np.frombuffer(b"".join(map(bytes, present.tolist())), dtype=np.uint8).reshape(-1, 21)
    if not (np.all(raw[:, 0] == 1) and np.all(raw[:, 1:5].copy().view("<u4").ravel() == 1)):
        return None, None
    xy = np.full((len(data), 2), np.nan)
    xy[~missing] = raw[:, 5:21].copy().view("<f8").reshape(-1, 2)
    if np.isnan(xy[~missing]).any():  # empty points: read as geometries (QGIS: empty)
        return None, None
    return xy, missing


def _ogr_geometry_type_filter(layer) -> str | None:
    """The single, flat geometry type of a ``|geometrytype=`` sublayer (e.g. 'Point')."""
    if layer is None or layer.providerType() != "ogr":
        return None
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    name = (parts.get("geometryType") or "").strip().lower()
    if not name:
        return None
    name = name[5:] if name.startswith("multi") else name
    for suffix in ("25d", "zm", "z", "m"):
        if name.endswith(suffix) and name[: -len(suffix)] in _FLAT_TYPES:
            name = name[: -len(suffix)]
    return _FLAT_TYPES.get(name)


_FLAT_TYPES = {
    "point": "Point",
    "linestring": "LineString",
    "polygon": "Polygon",
    "geometrycollection": "GeometryCollection",
}
# shapely type id -> QGIS's single, flat type name (multi folded in)
_SINGLE_FLAT = np.array(
    ["Point", "LineString", "LineString", "Polygon", "Point", "LineString", "Polygon"]
    + ["GeometryCollection"],
    dtype=object,
)


def _single_flat_type(geometries) -> np.ndarray:
    """'Point', 'LineString', 'Polygon' (multi and Z/M folded in), None for no geometry;
    a geometry collection keeps its own name (QGIS's OGR filter does the same)."""
    type_ids = shapely.get_type_id(geometries)
    out = np.full(len(geometries), None, dtype=object)
    present = type_ids >= 0
    out[present] = _SINGLE_FLAT[type_ids[present]]
    return out


# -------------------------------------------------------------------------- QGIS iteration


def _zones_of_unedited_values(layer, arrays, kinds, tz) -> None:
    """QGIS 3.22's OGR provider drops a date-time's zone (``01:00Z`` shows as a local
    01:00). Values QGIS gave unchanged from the file (not edited) are taken as the instants
    the file states, read in bulk from it; edited and added values are kept as given."""
    names = [n for n, k in kinds.items() if k == "datetime"]
    if layer is None or layer.providerType() != "ogr" or not names or not len(arrays):
        return
    provider_fields = layer.dataProvider().fields()
    names = [n for n in names if provider_fields.lookupField(n) >= 0]
    try:
        query = bulk_read.plan(layer, names, {n: "datetime" for n in names}, False)
        result = bulk_read.run(query, tz)
    except (bulk_read.NotBulk, RuntimeError):
        return
    order = np.argsort(result.fids, kind="stable")
    position = np.searchsorted(result.fids[order], arrays.fids)
    position = np.minimum(position, max(len(order) - 1, 0))
    found = len(order) > 0
    for name in names:
        written = result.written.get(name)
        if written is None or not found:
            continue
        rows = order[position]
        same_row = result.fids[rows] == arrays.fids
        ours = arrays.attributes[name]
        as_given = np.ma.getdata(ours)
        unedited = same_row & (as_given == written[rows]) & ~np.ma.getmaskarray(ours)
        if unedited.any():
            converted = np.ma.getdata(result.attributes[name])[rows]
            values = as_given.copy()
            values[unedited] = converted[unedited]
            arrays.attributes[name] = np.ma.array(values, mask=np.ma.getmaskarray(ours))


def _read_with_qgis(source, names, kinds, geometry, tz, feedback, key=None) -> LayerArrays:
    fields = source.fields()
    request = QgsFeatureRequest().setSubsetOfAttributes(names + ([key] if key else []), fields)
    if not geometry:
        request.setFlags(QgsFeatureRequest.NoGeometry)
    indices = [fields.lookupField(n) for n in names]
    key_index = fields.lookupField(key) if key else -1
    total = max(source.featureCount(), 1)
    fids, wkbs, rows = [], [], []
    # Invalid geometries are read as they are (the algorithms give each record a reason), as
    # QGIS's own algorithms that handle them do: no Processing validity filter.
    features = source.getFeatures(
        request, QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks
    )
    for i, feature in enumerate(features):
        if feedback is not None and i % 10000 == 0:
            if feedback.isCanceled():
                break
            feedback.setProgress(100.0 * i / total)
        fids.append(feature.id() if key_index < 0 else feature.attribute(key_index))
        if geometry:
            wkbs.append(feature.geometry().asWkb() if feature.hasGeometry() else None)
        attrs = feature.attributes()
        rows.append([attrs[j] for j in indices])
    columns = list(zip(*rows)) if rows else [()] * len(names)
    attributes = {n: column_from_qgis(col, kinds[n], tz) for n, col in zip(names, columns)}
    geometries = None
    if geometry:
        geometries = shapely.from_wkb(
            np.array([None if w is None else bytes(w) for w in wkbs], dtype=object),
            on_invalid="ignore",
        )
    return LayerArrays(
        fids=np.asarray(fids, dtype=np.int64),
        geometries=geometries,
        attributes=attributes,
        kinds=dict(kinds),
    )


def _read_aggregated(inp, names, kinds, geometry, tz, feedback, key, points_as_xy) -> LayerArrays:
    """QGIS's own iteration of the layer (filters, selection, edits, virtual fields), run in
    C++: one ArrayAggregate of an array per feature, values already plain (date-times as ISO
    text with their zone, points as x and y, other geometries as base64 WKB). Python then
    works on whole columns."""
    layer = inp.layer
    wkb_type = layer.wkbType()
    plain_points = wkb_type == QgsWkbTypes.Point  # 2D single points: x and y are all of it
    parts = ["$id" if key is None else QgsExpression.quotedColumnRef(key)]
    if geometry:
        parts += (
            ["$x", "$y", "$geometry IS NULL"]
            if plain_points
            else ["to_base64(geom_to_wkb($geometry))"]
        )
    parts += [_plain_expression(name, kinds[name]) for name in names]
    values, ok = layer.aggregate(
        QgsAggregateCalculator.ArrayAggregate,
        "array(" + ", ".join(parts) + ")",
        QgsAggregateCalculator.AggregateParameters(),
        None,
        inp.selected_ids if inp.selected_only else None,
        feedback,
    )
    if not ok:
        raise QgsProcessingException(tr("QGIS could not read {layer}.").format(layer=inp.name))
    columns = list(zip(*values)) if values else [()] * len(parts)
    fids = np.asarray(columns[0], dtype=np.int64)
    geometries = xy = missing = None
    offset = 1
    if geometry and plain_points:
        x, x_null = _with_nulls(columns[1])
        y, _ = _with_nulls(columns[2])
        missing = np.asarray(columns[3], dtype=bool)
        xy = np.full((len(fids), 2), np.nan)
        present = ~x_null
        xy[present, 0] = x[present].astype(float)
        xy[present, 1] = y[present].astype(float)
        offset = 4
        if not points_as_xy:
            geometries = shapely.points(xy)
            geometries[missing] = None
            xy = missing = None
    elif geometry:
        encoded, null = _with_nulls(columns[1])
        wkb = np.full(len(fids), None, dtype=object)
        wkb[~null] = list(map(binascii.a2b_base64, encoded[~null].tolist()))
        geometries = shapely.from_wkb(wkb, on_invalid="ignore")
        offset = 2
    attributes = {
        name: _column_from_plain(columns[offset + i], kinds[name], tz)
        for i, name in enumerate(names)
    }
    return LayerArrays(
        fids=fids,
        geometries=geometries,
        attributes=attributes,
        kinds=dict(kinds),
        xy=xy,
        missing=missing,
    )


def _plain_expression(name: str, kind: str) -> str:
    """An expression giving a field's value in a form that converts in bulk."""
    ref = QgsExpression.quotedColumnRef(name)
    if kind in ("datetime", "date", "time"):
        return f"to_string({ref})"  # ISO, with Z or an offset for a date-time with a zone
    if kind == "binary":
        return f"to_base64({ref})"
    return ref


def _with_nulls(values) -> tuple[np.ndarray, np.ndarray]:
    """(object array, NULL mask) of a column of QGIS values (NULL arrives as a QVariant)."""
    data = np.empty(len(values), dtype=object)
    data[:] = values
    null = np.fromiter((v is None or type(v) is QVariant for v in values), bool, len(values))
    data[null] = None
    return data, null


def _column_from_plain(values, kind: str, tz) -> np.ma.MaskedArray:
    data, mask = _with_nulls(values)
    if kind == "datetime":
        local, _ = bulk_read.iso_datetimes(data, mask, tz)
        return np.ma.array(local, mask=np.isnat(local))
    if kind == "date":
        days, _ = bulk_read.iso_datetimes(data, mask, tz, date_only=True)
        return np.ma.array(days.astype("M8[D]"), mask=np.isnat(days))
    if kind == "time":
        return np.ma.array(bulk_read.time_text(data, mask), mask=mask)
    if kind == "binary":
        out = np.full(len(data), None, dtype=object)
        out[~mask] = list(map(binascii.a2b_base64, data[~mask].tolist()))
        return np.ma.array(out, mask=mask)
    if kind == "json":
        out = np.full(len(data), None, dtype=object)
        out[~mask] = [v if isinstance(v, str) else json.dumps(_plain(v)) for v in data[~mask]]
        return np.ma.array(out, mask=mask)
    if kind in ("int", "real", "bool"):
        dtype = {"int": np.int64, "real": np.float64, "bool": bool}[kind]
        fill = {"int": 0, "real": np.nan, "bool": False}[kind]
        out = np.full(len(data), fill, dtype=dtype)
        if (~mask).any():
            out[~mask] = data[~mask].astype(dtype)
        return np.ma.array(out, mask=mask)
    text = data.copy()
    others = ~mask & np.fromiter((type(v) is not str for v in data), bool, len(data))
    text[others] = [str(v) for v in data[others]]
    return np.ma.array(text, mask=mask)


def _is_null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, QVariant):
        return value.isNull() or not value.isValid()
    is_null = getattr(value, "isNull", None)
    return bool(is_null()) if callable(is_null) else False


def column_from_qgis(values, kind: str, tz=clock.DEFAULT_TIMEZONE) -> np.ma.MaskedArray:
    """Python values of one field from QGIS features as a column of ``kind``."""
    values = list(values)
    mask = np.array([_is_null(v) for v in values], dtype=bool)
    present = [v for v, m in zip(values, mask) if not m]
    if kind == "datetime":
        data = np.full(len(values), np.datetime64("NaT"), dtype="M8[ms]")
        data[~mask] = qdatetimes_as_local(present, tz)
        return np.ma.array(data, mask=mask | np.isnat(data))
    if kind == "date":
        days = np.array([_julian(v) - _JULIAN_1970 for v in present], dtype=np.int64)
        data = np.full(len(values), np.datetime64("NaT"), dtype="M8[D]")
        data[~mask] = days.astype("M8[D]")
        return np.ma.array(data, mask=mask)
    out = np.empty(len(values), dtype=object)
    out[:] = None
    if kind == "time":
        out[~mask] = [_time_text(v) for v in present]
    elif kind == "binary":
        out[~mask] = [bytes(v) for v in present]
    elif kind == "json":
        out[~mask] = [v if isinstance(v, str) else json.dumps(_plain(v)) for v in present]
    elif kind in ("int", "real", "bool"):
        dtype = {"int": np.int64, "real": np.float64, "bool": bool}[kind]
        fill = {"int": 0, "real": np.nan, "bool": False}[kind]
        data = np.full(len(values), fill, dtype=dtype)
        data[~mask] = np.array(present, dtype=dtype) if present else []
        return np.ma.array(data, mask=mask)
    else:
        out[~mask] = [v if isinstance(v, str) else str(v) for v in present]
    return np.ma.array(out, mask=mask)


def qdatetimes_as_local(values, tz) -> np.ndarray:
    """QDateTimes as wall clock of ``tz`` (datetime64[ms]): a value with a time spec (UTC,
    an offset, a zone) is an instant and is converted; a local one is wall clock as is.

    ``toMSecsSinceEpoch()`` of a local value would apply this machine's zone, so wall
    clock is taken from its date's Julian day and its time of day.
    """
    out = np.full(len(values), np.datetime64("NaT"), dtype="M8[ms]")
    aware_rows, aware_ms = [], []
    for row, value in enumerate(values):
        if not value.isValid():
            continue
        if value.timeSpec() == Qt.LocalTime:
            day = value.date().toJulianDay() - _JULIAN_1970
            out[row] = np.datetime64(day * _MS_PER_DAY + value.time().msecsSinceStartOfDay(), "ms")
        else:
            aware_rows.append(row)
            aware_ms.append(value.toMSecsSinceEpoch())
    if aware_rows:
        out[aware_rows] = clock.utc_to_local(np.array(aware_ms, dtype="M8[ms]"), tz)
    return out


def _julian(value) -> int:
    if isinstance(value, QDate):
        return value.toJulianDay()
    return QDate(value.year, value.month, value.day).toJulianDay()


def _time_text(value) -> str:
    if isinstance(value, QTime):
        return value.toString("HH:mm:ss.zzz")
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}"


def _plain(value):
    """QVariant lists/maps (and QDateTimes inside them) as JSON-able Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if _is_null(value):
        return None
    if isinstance(value, QDateTime | QDate | QTime):
        return (
            value.toString(Qt.ISODateWithMs)
            if isinstance(value, QDateTime)
            else value.toString(Qt.ISODate)
        )
    return value


# ------------------------------------------------------------------------------ geometries


def _from_wkb(wkb) -> np.ndarray:
    data = np.asarray(np.ma.getdata(wkb), dtype=object)
    if np.ma.isMaskedArray(wkb):
        data = data.copy()
        data[np.ma.getmaskarray(wkb)] = None
    if data.size and not isinstance(next((d for d in data if d is not None), b""), bytes):
        data = np.array([None if d is None else bytes(d) for d in data], dtype=object)
    return shapely.from_wkb(data, on_invalid="ignore")


def _point_xy(geometries) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Coordinates when every present geometry is a non-empty 2D point; (None, None) else."""
    geometries = np.asarray(geometries, dtype=object)
    type_ids = shapely.get_type_id(geometries)
    missing = type_ids < 0
    present = ~missing
    if present.any():
        if not np.all(type_ids[present] == 0) or shapely.has_z(geometries[present]).any():
            return None, None
        if shapely.is_empty(geometries[present]).any():
            return None, None
    xy = np.full((len(geometries), 2), np.nan)
    if present.any():
        xy[present] = shapely.get_coordinates(geometries[present])
    return xy, missing


# ------------------------------------------------------------------------------- columns


def as_text(values) -> np.ndarray:
    """Any attribute column as an object array of str, NULL kept as None."""
    data = np.asarray(np.ma.getdata(values))
    mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else np.zeros(len(data), bool)
    if data.dtype.kind == "S":
        text = decode_utf8(data).astype(object)
    elif data.dtype.kind == "M":
        text = np.datetime_as_string(data).astype(object)
        mask = mask | np.isnat(data)
    elif data.dtype == object:
        none = data == None  # noqa: E711 (element-wise)
        text = _object_text(data, none)
        mask = mask | none
    else:
        text = data.astype(str).astype(object)
    text[mask] = None
    return text


def _object_text(data: np.ndarray, none: np.ndarray) -> np.ndarray:
    """str() of each non-None value; a column of text (the usual case) is taken as it is."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(data, skipna=True)
    if kind in ("string", "empty") and not (pd.isna(data) & ~none).any():
        return data.copy()  # (NaN is not skipped here: it reads as "nan", as str() gives)
    return np.array([v if isinstance(v, str) else str(v) for v in data.tolist()], dtype=object)


def plain_values(values) -> np.ndarray:
    """A column with NULLs as the core expects them: NaT, NaN or None (never 0).
    Booleans become 1.0/0.0 (NaN where NULL)."""
    if not np.ma.isMaskedArray(values):
        data = np.asarray(values)
        return decode_utf8(data).astype(object) if data.dtype.kind == "S" else data
    data, mask = np.ma.getdata(values), np.ma.getmaskarray(values)
    if data.dtype.kind == "M":
        out = data.copy()
        out[mask] = np.datetime64("NaT")
        return out
    if data.dtype.kind in "iufb":
        out = data.astype(float)
        out[mask] = np.nan
        return out
    return as_text(values)
