"""Typed readers of Hot Blocking's own layers: blocks, joined incidents, hot blocks.

Each takes :class:`.readers.InputLayer` inputs, reads only the fields it needs (in bulk
where :mod:`.readers` can) and hands the core plain frames: text as str or None, numbers as
float with NaN for NULL, times as wall clock of the analysis zone (``datetime64[ms]``, NaT
for NULL). Layers written to a Shapefile carry cut names (``incident_i``): they are mapped
back through :data:`.writers.SHAPEFILE_NAMES`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from qgis.core import QgsProcessingException

from ..hotblocking import clock, schema
from ..hotblocking.timeparse import parse_times
from .common import tr
from .readers import InputLayer, as_text, plain_values, read_layer
from .transforms import transform_xy
from .writers import SHAPEFILE_NAMES

INCIDENT_FIELDS = [
    schema.BLOCK_ID,
    schema.SOURCE,
    schema.TIME_START,
    schema.TIME_END,
    schema.WEIGHT,
]
BLOCK_FIELDS = [
    schema.BLOCK_ID,
    schema.LINK_ID,
    schema.NAME,
    schema.DESCRIPTION,
    schema.LENGTH_M,
    schema.FROM_NODE,
    schema.TO_NODE,
]


def field_names_as_written(names) -> dict:
    """Our field name -> the layer's name for it (itself, or its Shapefile cut)."""
    present = set(names)
    found = {n: n for n in names}
    for long, short in SHAPEFILE_NAMES.items():
        if long not in present and short in present:
            found[long] = short
    return found


def read_times(values, tz=clock.DEFAULT_TIMEZONE) -> np.ndarray:
    """A time column as wall clock of ``tz`` (``datetime64[ms]``, NaT for NULL): typed
    date-times as read, text (ISO, with or without an offset) parsed as joinincidents does."""
    plain = plain_values(values)
    if plain.dtype.kind == "M":
        return plain.astype("datetime64[ms]")
    return parse_times(np.asarray(plain, dtype=object), tz=tz).times


def read_blocks(
    inp: InputLayer, per_unit: float = 1.0, tz=clock.DEFAULT_TIMEZONE
) -> tuple[pd.DataFrame, np.ndarray]:
    """The blocks layer: (frame of block_id, link_id, name, description, from_node,
    to_node and length_m in true metres (``per_unit`` metres a layer unit; from the
    geometry: an attribute may be stale or in other units); 2D line geometries)."""
    names = inp.source.fields().names()
    lower = {n.lower(): n for n in names}
    for long, short in SHAPEFILE_NAMES.items():  # a Shapefile's cut names
        if long not in lower and short in lower:
            lower[long] = lower[short]
    if schema.BLOCK_ID not in lower:
        raise QgsProcessingException(
            tr(
                "The blocks layer has no block_id field: make it with 'Build blocks from road "
                "links' (or add a unique text block_id)."
            )
        )
    wanted = [lower[n] for n in BLOCK_FIELDS if n in lower]
    arrays = read_layer(inp, wanted, tz=tz)
    frame = pd.DataFrame({schema.BLOCK_ID: as_text(arrays.attributes[lower[schema.BLOCK_ID]])})
    for name in (schema.LINK_ID, schema.NAME, schema.DESCRIPTION):
        frame[name] = as_text(arrays.attributes[lower[name]]) if name in lower else None
    if schema.DESCRIPTION not in lower:
        frame[schema.DESCRIPTION] = frame[schema.NAME]
    for name in (schema.FROM_NODE, schema.TO_NODE):
        frame[name] = (
            plain_values(arrays.attributes[lower[name]]).astype(float) if name in lower else np.nan
        )
    frame[schema.LENGTH_M] = shapely.length(arrays.geometries) * per_unit
    if frame[schema.BLOCK_ID].duplicated().any():
        dupes = frame[schema.BLOCK_ID][frame[schema.BLOCK_ID].duplicated()].unique()[:5]
        raise QgsProcessingException(
            tr("block_id is not unique in the blocks layer: {values}").format(values=list(dupes))
        )
    return frame, shapely.force_2d(arrays.geometries)


def read_joined_incidents(
    inputs: list[InputLayer], feedback=None, tz=clock.DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """joinincidents outputs, one per source, as one frame (block_id, source, time_start,
    time_end, weight, and time_precision where the layers have it); the same incident twice
    is refused (it would count twice)."""
    frame, _ = _read_joined(inputs, feedback, tz)
    return frame


def read_joined_incidents_with_points(
    inputs: list[InputLayer], crs, transform_context, feedback=None, tz=clock.DEFAULT_TIMEZONE
) -> tuple[pd.DataFrame, np.ndarray]:
    """As :func:`read_joined_incidents`, with each record's point as (n, 2) coordinates in
    ``crs`` (NaN where it has none; a multipoint stands at its centroid)."""
    return _read_joined(inputs, feedback, tz, crs, transform_context)


def _read_joined(inputs, feedback, tz, crs=None, transform_context=None):
    frames, ids, points = [], [], []
    for inp in inputs:
        written = field_names_as_written(inp.source.fields().names())
        missing = [n for n in INCIDENT_FIELDS if n not in written]
        if missing:
            raise QgsProcessingException(
                tr(
                    "'{layer}' lacks {fields}: give the output of 'Join incidents to blocks'."
                ).format(layer=inp.name, fields=", ".join(missing))
            )
        optional = [n for n in (schema.INCIDENT_ID, schema.TIME_PRECISION) if n in written]
        arrays = read_layer(
            inp,
            [written[n] for n in INCIDENT_FIELDS + optional],
            geometry=crs is not None,
            points_as_xy=True,
            tz=tz,
        )
        values = {n: arrays.attributes[written[n]] for n in INCIDENT_FIELDS + optional}
        frame = pd.DataFrame(
            {
                schema.BLOCK_ID: as_text(values[schema.BLOCK_ID]),
                schema.SOURCE: as_text(values[schema.SOURCE]),
                schema.TIME_START: read_times(values[schema.TIME_START], tz),
                schema.TIME_END: read_times(values[schema.TIME_END], tz),
                schema.WEIGHT: plain_values(values[schema.WEIGHT]).astype(float),
            }
        )
        if schema.TIME_PRECISION in values:  # older joins: a start = a time of day
            frame[schema.TIME_PRECISION] = as_text(values[schema.TIME_PRECISION])
        frames.append(frame)
        ids.append(as_text(values[schema.INCIDENT_ID]) if schema.INCIDENT_ID in values else None)
        if crs is not None:
            points.append(transform_xy(_points(arrays), arrays.crs, crs, transform_context))
        if feedback is not None:
            feedback.pushInfo(
                tr("{layer}: {count} joined incidents ({route})").format(
                    layer=inp.name, count=len(arrays), route=arrays.route
                )
            )
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in INCIDENT_FIELDS})
        return empty, np.zeros((0, 2))
    _refuse_duplicates([i for i in ids if i is not None])
    _refuse_same_records(inputs, frames, ids)
    xy = np.vstack(points) if points else None
    return pd.concat(frames, ignore_index=True), xy


def _points(arrays) -> np.ndarray:
    """(n, 2) coordinates of a point layer read by the bridge; NaN for a missing point."""
    if arrays.xy is not None:
        return np.asarray(arrays.xy, dtype=float)
    geometries = np.asarray(arrays.geometries, dtype=object)
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    xy = np.full((len(geometries), 2), np.nan)
    if present.any():  # a multipoint or any other shape stands at its centroid
        xy[present] = shapely.get_coordinates(shapely.centroid(geometries[present]))
    return xy


def _refuse_duplicates(id_columns: list) -> None:
    """The same incident twice (e.g. one joined layer given twice) would be counted twice."""
    if not id_columns:
        return
    ids = pd.Series(np.concatenate([np.asarray(c, dtype=object) for c in id_columns])).dropna()
    repeated = ids[ids.duplicated()].unique()[:3]
    if len(repeated):
        raise QgsProcessingException(
            tr(
                "incident_id values appear more than once across the joined incident layers "
                "(e.g. {ids}): the same incidents would be counted twice. Give each source's "
                "joined layer once, with distinct SOURCE labels."
            ).format(ids=", ".join(map(str, repeated)))
        )


def _refuse_same_records(inputs, frames, ids) -> None:
    """Two joined layers holding the same records under different source labels (one
    incident layer joined twice) would count every incident twice."""
    from ..hotblocking.same_records import record_keys, repeated_layers

    with_ids = [k for k, i in enumerate(ids) if i is not None]
    keys = [
        record_keys(
            ids[k],
            frames[k][schema.BLOCK_ID].to_numpy(),
            frames[k][schema.TIME_START].to_numpy(),
            frames[k][schema.TIME_END].to_numpy(),
        )
        for k in with_ids
    ]
    repeated = repeated_layers(keys)
    if repeated:
        pair = repeated[0]
        first, second = (_described(inputs, frames, with_ids[k]) for k in (pair.first, pair.second))
        raise QgsProcessingException(
            tr(
                "{first} and {second} hold the same incidents ({shared} of {smaller} "
                "records have the same feature id, block and times): the same incident layer "
                "was joined twice, under different source labels, and every incident would be "
                "counted twice. Give each incident layer once (the one-source or two-source "
                "model for fewer than three sources)."
            ).format(
                first=first,
                second=second,
                shared=pair.shared,
                smaller=pair.smaller,
            )
        )


def _described(inputs, frames, k) -> str:
    """A joined layer in words: its source label and where it is."""
    labels = frames[k][schema.SOURCE].dropna()
    label = labels.iloc[0] if len(labels) else inputs[k].name
    return tr("the joined layer of '{label}' ({where})").format(
        label=label, where=inputs[k].source.sourceName()
    )


def read_hot_blocks(
    inp: InputLayer, fields: list[str], tz=clock.DEFAULT_TIMEZONE
) -> tuple[pd.DataFrame, np.ndarray]:
    """computerisk's output: text fields as str, date-times as wall clock, the rest as
    numbers (NaN for NULL), by the schema's kinds; with the rows' geometries."""
    written = field_names_as_written(inp.source.fields().names())
    arrays = read_layer(inp, [written[n] for n in fields], tz=tz)
    frame = pd.DataFrame(index=range(len(arrays)))
    for name in fields:
        values = arrays.attributes[written[name]]
        kind = schema.HOT_BLOCKS.field(name).kind
        if kind == schema.TEXT:
            frame[name] = as_text(values)
        elif kind == schema.DATETIME:
            frame[name] = read_times(values, tz)
        else:
            frame[name] = pd.to_numeric(pd.Series(plain_values(values)), errors="coerce").to_numpy()
    return frame, arrays.geometries
