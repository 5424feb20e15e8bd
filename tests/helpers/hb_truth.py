"""Independent truths about the bundled sample, worked out from the raw GeoPackage by brute
force (OGR to read, shapely to measure, the standard library to read times): never by
running the code under test. The expected numbers of the pipeline tests come from here.

* blocks: each road link longer than MAX_LENGTH becomes ceil(length / MAX_LENGTH) blocks;
* joined: a record is joined when it has a point, a readable start time (UK day-first text
  for A&E) between 1990 and now, no end before its start, no negative weight, and a road
  link within MAX_DISTANCE (distances to every link, the smallest kept).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from osgeo import ogr

from tools.sample_pipeline import MAX_DISTANCE, MAX_LENGTH, ROADS_LAYER, SAMPLE, SOURCES

EARLIEST = dt.datetime(1990, 1, 1)
DAY_FIRST = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class SampleTruth:
    links: int
    blocks: int  # at MAX_LENGTH
    read: dict[str, int]  # per incident layer
    joined: dict[str, int]  # per incident layer, at MAX_DISTANCE

    def unmatched(self, layer: str) -> int:
        return self.read[layer] - self.joined[layer]


@functools.cache
def sample_truth() -> SampleTruth:
    data = ogr.Open(str(SAMPLE))
    links = _geometries(data.GetLayerByName(ROADS_LAYER))
    read, joined = {}, {}
    for source in SOURCES:
        layer = data.GetLayerByName(source.layer)
        read[source.layer] = layer.GetFeatureCount()
        joined[source.layer] = _joined(layer, source, links)
    return SampleTruth(len(links), block_count(links, MAX_LENGTH), read, joined)


def block_count(links, max_length: float) -> int:
    """Blocks cut from ``links``: one per part when ``max_length`` is 0."""
    parts = [p for g in links for p in shapely.get_parts(g)]
    if max_length <= 0:
        return len(parts)
    return sum(max(1, math.ceil(shapely.length(p) / max_length)) for p in parts)


def _geometries(layer) -> list:
    layer.ResetReading()
    out = []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        out.append(None if geometry is None else shapely.from_wkb(bytes(geometry.ExportToWkb())))
    return out


def _joined(layer, source, links) -> int:
    points = np.array(_geometries(layer), dtype=object)
    located = np.array([p is not None and not p.is_empty for p in points])
    near = np.zeros(len(points), dtype=bool)
    near[located] = _nearest_distance(points[located], links) <= MAX_DISTANCE
    layer.ResetReading()
    valid = np.array([_valid(feature, source) for feature in layer])
    return int((located & near & valid).sum())


def _nearest_distance(points: np.ndarray, links: list) -> np.ndarray:
    """Each point's distance to its nearest link: every link whose box lies within
    MAX_DISTANCE of the point is measured (boxes only skip links that are surely farther)."""
    links = np.array(links, dtype=object)
    xy = shapely.get_coordinates(points)
    box = shapely.bounds(links)
    dx = np.maximum(box[None, :, 0] - xy[:, None, 0], xy[:, None, 0] - box[None, :, 2])
    dy = np.maximum(box[None, :, 1] - xy[:, None, 1], xy[:, None, 1] - box[None, :, 3])
    point, link = np.nonzero(np.hypot(np.maximum(dx, 0), np.maximum(dy, 0)) <= MAX_DISTANCE)
    nearest = np.full(len(points), np.inf)
    np.minimum.at(nearest, point, shapely.distance(points[point], links[link]))
    return nearest


def _valid(feature, source) -> bool:
    start = _time(feature, source.time_field)
    if start is None or not EARLIEST <= start <= dt.datetime.now():
        return False
    if source.end_field and _present(feature, source.end_field):
        end = _time(feature, source.end_field)
        if end is None or end < start:
            return False
    if source.weight_field and _present(feature, source.weight_field):
        return feature.GetFieldAsDouble(source.weight_field) >= 0
    return True


def _present(feature, name: str) -> bool:
    return feature.IsFieldSetAndNotNull(feature.GetFieldIndex(name))


def _time(feature, name: str) -> dt.datetime | None:
    """The field's time, None when NULL or unreadable."""
    if not _present(feature, name):
        return None
    index = feature.GetFieldIndex(name)
    if feature.GetFieldDefnRef(index).GetType() == ogr.OFTDateTime:
        y, mo, d, h, mi, s, _ = feature.GetFieldAsDateTime(index)
        return dt.datetime(y, mo, d, h, mi, int(s))
    try:
        return dt.datetime.strptime(feature.GetFieldAsString(index).strip(), DAY_FIRST)
    except ValueError:
        return None
