"""The one-step pipeline's incident layers: refusals, source labels, and the joined sources
stacked into one output.

- The same layer given twice is refused before any work; the same records arriving through
  two files (by content: point and times, see :mod:`hotblocking.same_records`) after the join,
  before anything is written.
- A layer's source label is its name (a GeoPackage layer's table name), or per record the
  value of SOURCE_FIELD; each layer's incident ids stay distinct even when two layers share
  a label.
"""

from __future__ import annotations

from qgis.core import QgsProcessingException

from .common import tr


def refuse_same_layer_twice(layers) -> None:
    """One layer (the same source) given twice would count every incident twice."""
    seen = {}
    for layer in layers:
        key = _source_key(layer)
        if key in seen:
            raise QgsProcessingException(
                tr(
                    "The incident layer '{layer}' is given twice ({source}): each incident "
                    "would count twice. Give each layer once."
                ).format(layer=seen[key], source=layer.source())
            )
        seen[key] = layer.name()


def id_prefixes(labels: list[str]) -> list[str]:
    """Each layer's incident_id prefix: its label, numbered when labels repeat."""
    prefixes, used = [], {}
    for label in labels:
        used[label] = used.get(label, 0) + 1
        prefixes.append(label if used[label] == 1 else f"{label}#{used[label]}")
    return prefixes


def per_record_sources(incidents, field_name: str, label: str):
    """The SOURCE_FIELD value of each record; the layer's label where it is NULL or blank."""
    import pandas as pd

    from .bridge import as_text

    values = pd.Series(as_text(incidents.attributes[field_name]), dtype=object).str.strip()
    blank = values.isna() | (values == "")
    values[blank] = label
    return values.to_numpy(dtype=object)


def refuse_same_content(joined_sources, names: list[str], feedback) -> None:
    """Refuse two layers holding the same records (whatever their files); log any overlap.
    ``names``: how each layer is named in the messages."""
    from ..hotblocking.same_records import SAME_SHARE, pair_overlaps

    if len(joined_sources) < 2:
        return
    for pair in pair_overlaps([_keys(joined) for joined in joined_sources]):
        share = pair.shared / pair.smaller
        names_of = {"first": names[pair.first], "second": names[pair.second]}
        if share >= SAME_SHARE:
            raise QgsProcessingException(
                tr(
                    "The incident layers '{first}' and '{second}' hold the same records "
                    "({share:.0f}% of the smaller one: same place to the millimetre and "
                    "same times): they would count twice. Give each set of records once."
                ).format(share=100 * share, **names_of)
            )
        feedback.pushInfo(
            tr(
                "'{first}' and '{second}' share {share:.1f}% of their records (same place "
                "and times); duplicates across sources are merged into events by the risk "
                "step."
            ).format(share=100 * share, **names_of)
        )


def stacked_columns(column_lists: list) -> list:
    """Several layers' output columns as one table: fields matched by name (case ignored),
    NULL where a layer lacks one, text where the layers' kinds disagree."""
    if len(column_lists) == 1:
        return column_lists[0]
    from .bridge import Column

    order, by_key = [], {}
    for columns in column_lists:
        for column in columns:
            key = column.name.lower()
            if key not in by_key:
                by_key[key] = []
                order.append(key)
            by_key[key].append(column)
    sizes = [_rows(columns) for columns in column_lists]
    stacked = []
    for key in order:
        kinds = {c.kind for c in by_key[key]}
        kind = kinds.pop() if len(kinds) == 1 else "text"
        parts = []
        for columns, size in zip(column_lists, sizes):
            found = next((c for c in columns if c.name.lower() == key), None)
            parts.append(_part(found, kind, size))
        stacked.append(Column(by_key[key][0].name, kind, _concatenate(parts, sizes, kind)))
    return stacked


def stacked_points(point_arrays: list):
    """Several layers' points as one array: coordinates when every layer has them, else
    geometries (NaN coordinates become no geometry)."""
    import numpy as np
    import shapely

    from ..hotblocking.arrays import is_xy

    if len(point_arrays) == 1:
        return point_arrays[0]
    if all(is_xy(p) for p in point_arrays):
        return np.vstack(point_arrays)
    parts = []
    for points in point_arrays:
        if is_xy(points):
            geometries = np.full(len(points), None, dtype=object)
            present = np.isfinite(points).all(axis=1)
            geometries[present] = shapely.points(points[present])
            points = geometries
        parts.append(np.asarray(points, dtype=object))
    return np.concatenate(parts)


def _keys(joined):
    import numpy as np
    import shapely

    from ..hotblocking.arrays import is_xy
    from ..hotblocking.same_records import content_keys

    points = joined.result.points
    if is_xy(points):
        xy = points
    else:
        xy = np.full((len(points), 2), np.nan)
        present = ~shapely.is_missing(points) & ~shapely.is_empty(points)
        xy[present] = shapely.get_coordinates(shapely.centroid(points[present]))
    return content_keys(xy, joined.result.time_start, joined.result.time_end)


def _source_key(layer) -> tuple:
    """The data behind a layer: provider and source (paths made absolute and real)."""
    import os

    source = layer.source()
    path, sep, rest = source.partition("|")
    if os.path.exists(path):
        source = os.path.realpath(path) + sep + rest
    return layer.providerType(), source


def _rows(columns) -> int:
    column = columns[0]
    return len(column.values)


def _part(column, kind, size):
    """One layer's values of a stacked column, as the stacked kind wants them."""
    import numpy as np

    from .bridge import as_text

    if column is None:
        return None if kind != "text" else np.full(size, None, dtype=object)
    if column.same is not None:
        return np.full(size, column.same, dtype=object)
    if column.prefix:
        text = as_text(column.values)
        present = text != None  # noqa: E711 (element-wise)
        text[present] = np.char.add(column.prefix, text[present].astype(str)).astype(object)
        return text
    if kind == "text" and column.kind != "text":
        return as_text(column.values)
    return column.values


def _concatenate(parts, sizes, kind):
    import numpy as np

    if kind == "text":
        return np.concatenate([np.asarray(p, dtype=object) for p in parts])
    dtype = np.asarray(np.ma.getdata(next(p for p in parts if p is not None))).dtype
    filled = [
        np.ma.masked_all(size, dtype=dtype) if part is None else np.ma.asarray(part)
        for part, size in zip(parts, sizes)
    ]
    return np.ma.concatenate(filled)
