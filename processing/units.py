"""True metres whatever the layer's CRS.

- Unit factors: a layer in US survey feet (e.g. EPSG:2227) has lengths in feet; outputs in
  metres are converted with QGIS's own unit factors.
- Scale error where the data is: a projected CRS distorts lengths away from its home
  (Web Mercator by 1/cos(latitude): x1.61 in London; the British National Grid by x1.026 in
  Helsinki). It is measured at nine points of the data's extent as planar length over
  ellipsoidal (WGS 84) length of a 100 m step east and north (QgsDistanceArea).
  Above 1% the CRS is not used for lengths: Build blocks reprojects the roads to a CRS
  suited to the place; the other algorithms refuse it and name such a CRS.
- A CRS suited to the place: the national grid where one is known (GB, Ireland, France,
  Belgium, the Netherlands, Switzerland, Sweden, Finland, New Zealand) and its scale error
  over the data stays under 1%, else the WGS 84 UTM zone of the data's centre.
- Distance parameters follow QGIS's convention: a value is in the layer's units. When the
  key is absent (processing.run, qgis_process) the documented metre default is converted
  to the layer's units, so a feet network run with defaults behaves like a metre one.
  :func:`metre_distance` makes every such parameter; in the algorithm dialog its widget
  (ui/distance_widget.py) shows the default in metres and converts it, as QGIS >= 3.24 does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsDistanceArea,
    QgsPointXY,
    QgsProcessingParameterDistance,
    QgsRectangle,
    QgsUnitTypes,
)

from .common import tr, value_given

MAX_SCALE_ERROR = 0.01
"""Largest relative length error accepted from a CRS at the data's location."""

NATIONAL_GRIDS = (
    # authid, name, lon min, lat min, lon max, lat max (where the grid is the usual choice)
    ("EPSG:2157", "Irish Transverse Mercator", -10.7, 51.3, -5.4, 55.45),
    ("EPSG:27700", "British National Grid", -9.0, 49.7, 2.1, 61.0),
    ("EPSG:2056", "Swiss CH1903+ / LV95", 5.9, 45.8, 10.6, 47.9),
    ("EPSG:31370", "Belgian Lambert 72", 2.5, 49.4, 6.5, 51.6),
    ("EPSG:28992", "Amersfoort / RD New", 3.2, 50.7, 7.3, 53.7),
    ("EPSG:2154", "RGF93 / Lambert-93", -5.2, 41.3, 9.6, 51.2),
    ("EPSG:3067", "ETRS89 / TM35FIN", 19.0, 59.3, 31.6, 70.1),
    ("EPSG:3006", "SWEREF99 TM", 10.5, 55.2, 24.2, 69.1),
    ("EPSG:2193", "NZGD2000 / NZTM", 166.0, -47.5, 179.0, -34.0),
)

_WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
_STEP_M = 100.0


DISTANCE_WIDGET = f"{__package__.rpartition('.')[0]}.ui.distance_widget.MetreDefaultDistanceWrapper"
"""The dialog's widget for a distance with a metre default, by dotted path (QGIS's Python
dialogs import it when they open; the plugin's folder name is whatever it was installed as)."""


def metre_distance(
    name: str, description: str, default_m: float, layer: str, min_value: float = 0.0
) -> QgsProcessingParameterDistance:
    """A distance in the units of the layer parameter ``layer`` whose documented default is
    ``default_m`` metres (converted by :func:`distance_in` when no value is given; shown in
    metres by the dialog's widget, :data:`DISTANCE_WIDGET`)."""
    parameter = QgsProcessingParameterDistance(
        name, description, default_m, layer, minValue=min_value
    )
    return metre_widget(parameter)


def metre_widget(parameter: QgsProcessingParameterDistance) -> QgsProcessingParameterDistance:
    """``parameter``'s default is in metres and the dialog shows it so (DISTANCE_WIDGET)."""
    parameter.setDefaultUnit(QgsUnitTypes.DistanceMeters)
    metadata = parameter.metadata()
    metadata["widget_wrapper"] = {"class": DISTANCE_WIDGET}
    parameter.setMetadata(metadata)
    return parameter


def metres_per_unit(crs: QgsCoordinateReferenceSystem) -> float | None:
    """Metres in one map unit of ``crs`` (nominal), or None for degrees and unknown units."""
    if not crs.isValid() or crs.isGeographic():
        return None
    unit = crs.mapUnits()
    if QgsUnitTypes.unitType(unit) != QgsUnitTypes.Standard:
        return None
    return QgsUnitTypes.fromUnitToUnitFactor(unit, QgsUnitTypes.DistanceMeters)


def unit_name(crs: QgsCoordinateReferenceSystem) -> str:
    """Abbreviated unit of ``crs`` for messages ("m", "ft", "ft (US survey)"...)."""
    return QgsUnitTypes.toAbbreviatedString(crs.mapUnits()) or "units"


def scale_factor(crs, extent: QgsRectangle, transform_context) -> float:
    """The planar-over-true length ratio farthest from 1 over the extent (1.0 when unknown)."""
    per_unit = metres_per_unit(crs)
    if per_unit is None or extent is None or extent.isNull():
        return 1.0
    area = QgsDistanceArea()
    area.setSourceCrs(crs, transform_context)
    area.setEllipsoid("EPSG:7030")  # WGS 84: within 1e-4 of any national ellipsoid
    step = _STEP_M / per_unit
    worst = 1.0
    for fx in (0.0, 0.5, 1.0):
        for fy in (0.0, 0.5, 1.0):
            x = extent.xMinimum() + fx * extent.width()
            y = extent.yMinimum() + fy * extent.height()
            for dx, dy in ((step, 0.0), (0.0, step)):
                try:
                    true_m = area.measureLine(QgsPointXY(x, y), QgsPointXY(x + dx, y + dy))
                except QgsCsException:
                    continue
                if true_m > 0 and math.isfinite(true_m):
                    k = _STEP_M / true_m
                    if abs(k - 1.0) > abs(worst - 1.0):
                        worst = k
    return worst


def lonlat_extent(crs, extent: QgsRectangle, transform_context) -> QgsRectangle | None:
    """The extent in longitude/latitude (None when it cannot be transformed)."""
    if extent is None or extent.isNull() or not crs.isValid():
        return None
    if crs == _WGS84:
        return QgsRectangle(extent)
    try:
        transform = QgsCoordinateTransform(crs, _WGS84, transform_context)
        return transform.transformBoundingBox(extent)
    except QgsCsException:
        return None


def utm_crs(lon: float, lat: float) -> QgsCoordinateReferenceSystem:
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return QgsCoordinateReferenceSystem(f"EPSG:{(32600 if lat >= 0 else 32700) + zone}")


def suggested_crs(crs, extent: QgsRectangle, transform_context) -> QgsCoordinateReferenceSystem:
    """A projected metre CRS suited to where the data is (module doc), or an invalid CRS."""
    box = lonlat_extent(crs, extent, transform_context)
    if box is None:
        return QgsCoordinateReferenceSystem()
    lon, lat = box.center().x(), box.center().y()
    for authid, _, x0, y0, x1, y1 in NATIONAL_GRIDS:
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            grid = QgsCoordinateReferenceSystem(authid)
            if abs(_scale_over(grid, box, transform_context) - 1.0) <= MAX_SCALE_ERROR:
                return grid
    return utm_crs(lon, lat)


def _scale_over(target, lonlat_box: QgsRectangle, transform_context) -> float:
    try:
        transform = QgsCoordinateTransform(_WGS84, target, transform_context)
        return scale_factor(target, transform.transformBoundingBox(lonlat_box), transform_context)
    except QgsCsException:
        return math.inf


def describe_crs(crs: QgsCoordinateReferenceSystem) -> str:
    return f"{crs.authid()} {crs.description()}".strip() if crs.isValid() else "(none)"


@dataclass(frozen=True)
class CrsCheck:
    """Whether a layer's CRS gives lengths in true metres where its data is."""

    crs: QgsCoordinateReferenceSystem
    scale: float
    """Planar over true length, farthest from 1 over the extent (1.0 for degrees)."""
    suggestion: QgsCoordinateReferenceSystem

    @property
    def geographic(self) -> bool:
        return self.crs.isGeographic()

    @property
    def ok(self) -> bool:
        return (
            self.crs.isValid()
            and not self.geographic
            and metres_per_unit(self.crs) is not None
            and abs(self.scale - 1.0) <= MAX_SCALE_ERROR
        )

    def problem(self) -> str:
        """Why lengths in this CRS are not true metres ("" when they are)."""
        if not self.crs.isValid():
            return tr("has no valid CRS")
        if self.geographic:
            return tr("is in a geographic CRS ({crs}, degrees)").format(crs=describe_crs(self.crs))
        if metres_per_unit(self.crs) is None:
            return tr("is in {crs}, whose units are not a length").format(
                crs=describe_crs(self.crs)
            )
        if abs(self.scale - 1.0) > MAX_SCALE_ERROR:
            template = (
                tr(
                    "is in {crs}, whose scale error where the data is reaches x{scale} "
                    "(lengths {percent}% too long)"
                )
                if self.scale > 1
                else tr(
                    "is in {crs}, whose scale error where the data is reaches x{scale} "
                    "(lengths {percent}% too short)"
                )
            )
            return template.format(
                crs=describe_crs(self.crs),
                scale=f"{self.scale:.3g}",
                percent=f"{100 * abs(self.scale - 1):.1f}",
            )
        return ""

    def advice(self) -> str:
        if not self.crs.isValid():
            return tr("Set the layer's CRS (Layer Properties > Source)")
        if self.suggestion.isValid():
            return tr("Reproject it to {crs} (e.g. with 'Reproject layer')").format(
                crs=describe_crs(self.suggestion)
            )
        return tr("Reproject it to a projected CRS in metres suited to the area")


def check_crs(crs, extent: QgsRectangle | None, transform_context) -> CrsCheck:
    """Measure ``crs`` over ``extent`` and find a suitable CRS for the place."""
    scale = (
        1.0
        if not crs.isValid() or crs.isGeographic()
        else scale_factor(crs, extent, transform_context)
    )
    suggestion = QgsCoordinateReferenceSystem()
    if crs.isValid() and extent is not None and not extent.isNull():
        ok = not crs.isGeographic() and abs(scale - 1.0) <= MAX_SCALE_ERROR
        suggestion = crs if ok else suggested_crs(crs, extent, transform_context)
    return CrsCheck(crs, scale, suggestion)


@dataclass(frozen=True)
class Distance:
    """A distance parameter resolved to the working CRS."""

    value: float
    """In the working CRS's units."""
    metres: float
    given: bool
    """False when the documented metre default was used (key absent)."""
    text: str
    """"100 ft (30.5 m)" or "100 m", for the log."""


def resolve_distance(
    algorithm, parameters, key, context, default_m: float, layer_crs, working_crs
) -> Distance:
    """A distance parameter in the working CRS's units (module doc)."""
    return distance_in(
        given_distance(algorithm, parameters, key, context), default_m, layer_crs, working_crs
    )


def given_distance(algorithm, parameters, key, context) -> float | None:
    """The value given for a distance parameter, in its layer's units; None when left empty
    (the documented metre default then applies, converted once the working CRS is known)."""
    given = value_given(parameters, key)
    return algorithm.parameterAsDouble(parameters, key, context) if given else None


def distance_in(given: float | None, default_m: float, layer_crs, working_crs) -> Distance:
    """A distance in the working CRS's units.

    A value given is in the layer's units (QGIS's convention), converted to metres with the
    CRS's unit factor; on a layer in degrees it is taken as metres, since such a layer is
    reprojected to a metre CRS before any distance is used. No value: ``default_m`` metres.
    """
    if given is not None:
        metres = given * (metres_per_unit(layer_crs) or 1.0)
    else:
        metres = float(default_m)
    per_unit = metres_per_unit(working_crs) or 1.0
    value = metres / per_unit
    return Distance(value, metres, given is not None, distance_text(value, metres, working_crs))


def distance_text(value: float, metres: float, crs) -> str:
    unit = unit_name(crs)
    if metres_per_unit(crs) == 1.0:
        return f"{value:.6g} {unit}"
    return f"{value:.6g} {unit} ({metres:.6g} m)"


def default_mismatch(distance: Distance, key: str, default_m: float, layer_crs) -> str | None:
    """A warning when a value equal to the metre default was given in other units.

    QGIS 3.22's own distance widget shows a default in the layer's units (100 ft on a feet
    layer), and the modeller and batch table still use it; the user may have meant 100 m.
    """
    per_unit = metres_per_unit(layer_crs)
    if not distance.given or per_unit in (None, 1.0):
        return None
    if not math.isclose(distance.metres / per_unit, default_m, rel_tol=1e-9):
        return None
    unit = unit_name(layer_crs)
    return tr(
        "{key} is {value:g} {unit} ({metres:.4g} m) in the layer's units; the documented "
        "default is {value:g} m ({converted:.5g} {unit}). Enter {converted:.5g} if you meant "
        "metres."
    ).format(
        key=key,
        value=default_m,
        unit=unit,
        metres=distance.metres,
        converted=default_m / per_unit,
    )


def true_metres_per_unit(crs, extent: QgsRectangle, transform_context) -> float:
    """True (ellipsoidal) metres in one map unit at the centre of ``extent``, measured east;
    works for degrees too. Falls back to the nominal factor (or 1) when it cannot measure."""
    nominal = metres_per_unit(crs) or 1.0
    if extent is None or extent.isNull() or not crs.isValid():
        return nominal
    area = QgsDistanceArea()
    area.setSourceCrs(crs, transform_context)
    area.setEllipsoid("EPSG:7030")
    centre = extent.center()
    step = 1e-3 if crs.isGeographic() else _STEP_M / nominal
    try:
        true_m = area.measureLine(centre, QgsPointXY(centre.x() + step, centre.y()))
    except QgsCsException:
        return nominal
    return true_m / step if true_m > 0 and math.isfinite(true_m) else nominal
