"""Small hand-made layers for the algorithm tests (written as GeoPackages or memory layers)."""

from __future__ import annotations

from osgeo import ogr, osr

_TYPES = {
    "str": ogr.OFTString,
    "int": ogr.OFTInteger64,
    "real": ogr.OFTReal,
    "datetime": ogr.OFTDateTime,
    "date": ogr.OFTDate,
}


def write_gpkg(path, layer_name, geometry_type, features, fields=(), epsg=27700):
    """features: list of (wkt or None, {field: value}); fields: [(name, type)]."""
    exists = __import__("os").path.exists(path)
    ds = (
        ogr.Open(str(path), 1)
        if exists
        else ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    )
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    layer = ds.CreateLayer(layer_name, srs, geometry_type)
    for name, kind in fields:
        definition = ogr.FieldDefn(name, ogr.OFTInteger if kind == "bool" else _TYPES[kind])
        if kind == "bool":  # as computerisk writes hot: an integer of subtype boolean
            definition.SetSubType(ogr.OFSTBoolean)
        layer.CreateField(definition)
    for wkt, attributes in features:
        feature = ogr.Feature(layer.GetLayerDefn())
        for key, value in attributes.items():
            if value is not None:
                feature.SetField(key, value)
        if wkt is not None:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    return f"{path}|layername={layer_name}"
