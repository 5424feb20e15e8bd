"""Coordinate transforms go through QGIS's own PROJ, in bulk, as QGIS itself would do them."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsPointXY,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["hotblocking", "processing", "ui"]
# Wheels that bundle their own PROJ/GDAL: loaded into QGIS they clash with its libraries.
FORBIDDEN = {"pyproj", "fiona", "pyogrio", "geopandas", "rasterio"}


def _bridge(plugin):
    import importlib

    return importlib.import_module(type(plugin).__module__.rsplit(".", 1)[0] + ".processing.bridge")


def _per_point(xy, transform):
    out = []
    for x, y in xy:
        p = transform.transform(QgsPointXY(float(x), float(y)))
        out.append((p.x(), p.y()))
    return np.array(out)


@pytest.mark.parametrize("target", ["EPSG:27700", "EPSG:3067", "EPSG:32630"])
def test_bulk_transform_equals_qgis_per_point(plugin, target):
    bridge = _bridge(plugin)
    rng = np.random.default_rng(7)
    xy = np.column_stack([rng.uniform(-3.0, 1.0, 500), rng.uniform(50.5, 55.0, 500)])
    src, dst = QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem(target)
    context = QgsCoordinateTransformContext()
    got = bridge.transform_xy(xy, src, dst, context)
    expected = _per_point(xy, QgsCoordinateTransform(src, dst, context))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_context_operation_is_honoured(plugin):
    bridge = _bridge(plugin)
    src, dst = QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:27700")
    context = QgsCoordinateTransformContext()
    # A deliberately odd operation (shifted false origin): results must follow it.
    pipeline = (
        "+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg "
        "+xy_out=rad +step +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400100 "
        "+y_0=-100000 +ellps=airy"
    )
    assert context.addCoordinateOperation(src, dst, pipeline)
    xy = np.array([[-0.1, 51.5], [-2.0, 53.0]])
    got = bridge.transform_xy(xy, src, dst, context)
    expected = _per_point(xy, QgsCoordinateTransform(src, dst, context))
    np.testing.assert_allclose(got, expected, atol=1e-6)
    default = bridge.transform_xy(xy, src, dst, QgsCoordinateTransformContext())
    assert np.abs(got[:, 0] - default[:, 0]).min() > 50  # the odd origin moved every point


def test_missing_and_untransformable_points(plugin):
    bridge = _bridge(plugin)
    src, dst = QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:27700")
    xy = np.array([[np.nan, np.nan], [-0.1, 51.5], [0.0, 95.0]])
    got = bridge.transform_xy(xy, src, dst, QgsCoordinateTransformContext())
    assert np.isnan(got[0]).all()
    assert np.isfinite(got[1]).all()
    assert not np.isfinite(got[2]).all()
    one = bridge.transform_xy(xy[1:2], src, dst, QgsCoordinateTransformContext())
    np.testing.assert_allclose(one, got[1:2])


def test_no_module_bundling_its_own_proj_or_gdal_is_imported():
    offenders = []
    files = [p for d in SHIPPED for p in (ROOT / d).rglob("*.py")] + list(ROOT.glob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN
            ]
    assert not offenders
