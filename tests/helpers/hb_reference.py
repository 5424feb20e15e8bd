"""What QGIS itself shows: a layer read through QGIS's own feature iteration, turned into plain
Python values independently of the plugin's readers (datetime + zoneinfo for time zones).

Used to check the plugin's readers on every store: same features, same ids, same values.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from qgis.core import NULL, QgsFeatureRequest
from qgis.PyQt.QtCore import QByteArray, QDate, QDateTime, Qt, QTime

LONDON = ZoneInfo("Europe/London")


def qgis_value(value, tz=LONDON):
    """One attribute as QGIS gives it, as a plain value: date-times with a time spec are
    instants shown on ``tz``'s wall clock; local ones are wall clock already."""
    if value is None or value == NULL:
        return None
    if isinstance(value, QDateTime):
        if not value.isValid():
            return None
        if value.timeSpec() == Qt.LocalTime:
            d, t = value.date(), value.time()
            return dt.datetime(
                d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second(), t.msec() * 1000
            )
        utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            milliseconds=value.toMSecsSinceEpoch()
        )
        return utc.astimezone(tz).replace(tzinfo=None)
    if isinstance(value, QDate):
        return dt.date(value.year(), value.month(), value.day()) if value.isValid() else None
    if isinstance(value, QTime):
        return value.toString("HH:mm:ss.zzz")
    if isinstance(value, QByteArray):
        return None if value.isNull() else bytes(value)
    if isinstance(value, list | dict):
        return json.loads(json.dumps(value, default=str))
    return value


def qgis_rows(source, names, tz=LONDON, request=None, zones=None, id_field=None):
    """[(fid, wkb or None, {name: value})] in QGIS's iteration order.

    ``zones``: {(fid, name): UTC offset in minutes} of date-times whose zone QGIS 3.22's OGR
    provider drops (it shows ``01:00Z`` as a local 01:00); those are taken as the instants
    the file states, on ``tz``'s wall clock (the plugin converts them: see
    :func:`ogr_zones`). ``id_field``: a PostGIS key whose values are the ids (QGIS 3.22
    numbers bigint-keyed rows in the order it meets them).
    """
    request = request or QgsFeatureRequest()
    zones = zones or {}
    rows = []
    for feature in source.getFeatures(request):
        geometry = feature.geometry()
        wkb = None if geometry.isNull() else bytes(geometry.asWkb())
        values = {n: qgis_value(feature[n], tz) for n in names}
        for name in names:
            offset = zones.get((feature.id(), name))
            if offset is not None and isinstance(values[name], dt.datetime):
                utc = values[name] - dt.timedelta(minutes=offset)
                values[name] = utc.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
        fid = feature.id() if id_field is None else feature[id_field]
        rows.append((fid, wkb, values))
    return rows


def ogr_zones(layer) -> dict:
    """{(fid, field): offset minutes} of the zoned date-times of an OGR layer, read with
    GDAL's own feature API (an independent reader: one OGRFeature at a time)."""
    from osgeo import ogr

    if layer.providerType() != "ogr":
        return {}
    parts = layer.source().split("|")
    ds = ogr.Open(parts[0])
    name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
    ogr_layer = ds.GetLayerByName(name) if name else ds.GetLayer(0)
    defn = ogr_layer.GetLayerDefn()
    fields = [
        defn.GetFieldDefn(i).GetName()
        for i in range(defn.GetFieldCount())
        if defn.GetFieldDefn(i).GetType() == ogr.OFTDateTime
    ]
    zones = {}
    for feature in ogr_layer:
        for field in fields:
            if not feature.IsFieldSetAndNotNull(field):
                continue
            flag = feature.GetFieldAsDateTime(field)[-1]
            if flag > 1:  # 0 unknown, 1 local, 100 UTC, 100 + n: UTC + n quarter hours
                zones[(feature.GetFID(), field)] = (flag - 100) * 15
    return zones


def our_value(values, row, kind):
    if np.ma.getmaskarray(values)[row]:
        return None
    value = np.ma.getdata(values)[row]
    if kind == "datetime":
        return value.astype("M8[ms]").astype(dt.datetime)
    if kind == "date":
        return value.astype("M8[D]").astype(dt.date)
    if kind == "json":
        return json.loads(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def our_rows(arrays, names):
    """The plugin's LayerArrays in the same form as :func:`qgis_rows`."""
    geometries = arrays.geometries
    rows = []
    for row, fid in enumerate(arrays.fids.tolist()):
        geometry = None if geometries is None else geometries[row]
        wkb = None if geometry is None else shapely.to_wkb(geometry)
        values = {n: our_value(arrays.attributes[n], row, arrays.kinds[n]) for n in names}
        rows.append((fid, wkb, values))
    return rows


def same_geometry(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    ga, gb = shapely.from_wkb(a), shapely.from_wkb(b)
    if shapely.equals_exact(ga, gb, 0) or (ga.is_empty and gb.is_empty):
        return True
    return bool(ga.equals(gb))  # a single part read as multi (QGIS for multi layers)


def assert_same_rows(ours, theirs, values_only=False, ordered=True):
    """Same features (in the same order unless ``ordered`` is False: QGIS serves a selection
    in its hash order), same ids, same geometries, same values (JSON compared parsed, reals
    exactly)."""
    if not ordered:
        ours, theirs = sorted(ours, key=lambda r: r[0]), sorted(theirs, key=lambda r: r[0])
    assert [r[0] for r in ours] == [r[0] for r in theirs], "feature ids or order differ"
    for (fid, wkb_a, values_a), (_, wkb_b, values_b) in zip(ours, theirs):
        if not values_only:
            assert same_geometry(wkb_a, wkb_b), f"geometry of feature {fid} differs"
        for name, expected in values_b.items():
            got = values_a[name]
            if isinstance(expected, str) and isinstance(got, dict | list):
                expected = json.loads(expected)
            assert got == expected, f"feature {fid}, field {name}: {got!r} != QGIS {expected!r}"
