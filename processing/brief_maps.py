"""The brief's map layers (in a private QgsProject) and map items, styled for B&W print.

Layers, bottom to top:
* CONTEXT layers: clones of the user's layers (the originals are left untouched), restyled
  in neutral greys (vectors) or greyscale at 60% opacity (rasters) so the brief prints the
  same in black and white;
* all blocks of the window: mid-grey lines (named copy: street names along lines, merged
  per street, on the block pages);
* the top blocks: thick dark red lines (prints dark grey), each with its rank in a white
  badge beside the line's midpoint, joined to it by a short leader (QGIS labelling picks
  the badge's side so badges do not collide; all badges are always drawn);
* on a block page, the block itself: a thick black line with a white halo.
"""

from __future__ import annotations

import numpy as np
import shapely
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFillSymbol,
    QgsGeometry,
    QgsHueSaturationFilter,
    QgsLabeling,
    QgsLabelObstacleSettings,
    QgsLayoutItem,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutMeasurement,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsPathResolver,
    QgsRasterLayer,
    QgsRectangle,
    QgsScaleBarSettings,
    QgsSimpleLineCallout,
    QgsSingleSymbolRenderer,
    QgsSymbolLayerUtils,
    QgsTextBackgroundSettings,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QSizeF, QVariant
from qgis.PyQt.QtGui import QColor

from .brief_items import font, text_format

GREY_CONTEXT = "#c9c9c9"
GREY_BLOCKS = "#8c8c8c"
HOT = "#a50f15"
NORTH_ARROW = "arrows/NorthArrow_02.svg"  # in QGIS's own SVG library, on every platform
MM = QgsUnitTypes.LayoutMillimeters


def _text_format(size: float, color: str = "#000000", bold: bool = False) -> QgsTextFormat:
    return text_format(font(size, bold), color)


def memory_layer(name: str, geometry_type: str, crs: QgsCoordinateReferenceSystem, fields, rows):
    """A memory layer from ``rows`` of (shapely geometry, [values]); ``fields`` (name, QVariant)."""
    layer = QgsVectorLayer(geometry_type, name, "memory")
    layer.setCrs(crs)
    provider = layer.dataProvider()
    provider.addAttributes([QgsField(n, t) for n, t in fields])
    layer.updateFields()
    features = []
    for geometry, values in rows:
        feature = QgsFeature(layer.fields())
        qgs = QgsGeometry()
        qgs.fromWkb(shapely.to_wkb(geometry))
        feature.setGeometry(qgs)
        feature.setAttributes(list(values))
        features.append(feature)
    provider.addFeatures(features)
    layer.updateExtents()
    return layer


def _line(layer, layers_spec):
    """Single-symbol line renderer from [(color, width mm), ...] bottom to top."""
    first, *rest = layers_spec
    symbol = QgsLineSymbol.createSimple(
        {
            "line_color": first[0],
            "line_width": str(first[1]),
            "capstyle": "round",
            "joinstyle": "round",
        }
    )
    for color, width in rest:
        extra = QgsLineSymbol.createSimple(
            {
                "line_color": color,
                "line_width": str(width),
                "capstyle": "round",
                "joinstyle": "round",
            }
        )
        symbol.appendSymbolLayer(extra.symbolLayer(0).clone())
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))


def _grey_context(layer):
    """A clone of a context layer, restyled neutral grey (vector) or greyscale (raster)."""
    clone = layer.clone()
    if isinstance(clone, QgsVectorLayer):
        kind = clone.geometryType()
        if kind == QgsWkbTypes.LineGeometry:
            symbol = QgsLineSymbol.createSimple({"line_color": GREY_CONTEXT, "line_width": "0.25"})
        elif kind == QgsWkbTypes.PolygonGeometry:
            symbol = QgsFillSymbol.createSimple(
                {"color": "#f0f0f0", "outline_color": "#d4d4d4", "outline_width": "0.15"}
            )
        else:
            symbol = QgsMarkerSymbol.createSimple(
                {"color": "#b0b0b0", "outline_style": "no", "size": "0.8"}
            )
        clone.setRenderer(QgsSingleSymbolRenderer(symbol))
        clone.setLabelsEnabled(False)
    elif isinstance(clone, QgsRasterLayer):
        grey = QgsHueSaturationFilter()
        grey.setGrayscaleMode(QgsHueSaturationFilter.GrayscaleLuminosity)
        clone.pipe().set(grey)
        clone.renderer().setOpacity(0.6)
    return clone


def _rank_labels(layer):
    settings = QgsPalLayerSettings()
    settings.fieldName = "label"
    settings.placement = QgsPalLayerSettings.OrderedPositionsAroundPoint
    settings.dist = 1.2
    settings.distUnits = QgsUnitTypes.RenderMillimeters
    settings.displayAll = True  # every badge is drawn, even if it must overlap
    settings.priority = 10
    settings.zIndex = 10
    fmt = _text_format(7.5, bold=True)
    background = QgsTextBackgroundSettings()
    background.setEnabled(True)
    background.setType(QgsTextBackgroundSettings.ShapeCircle)
    background.setSizeType(QgsTextBackgroundSettings.SizeBuffer)
    background.setSize(QSizeF(0.7, 0.7))
    background.setSizeUnit(QgsUnitTypes.RenderMillimeters)
    background.setFillColor(QColor("white"))
    background.setStrokeColor(QColor("black"))
    background.setStrokeWidth(0.35)
    background.setStrokeWidthUnit(QgsUnitTypes.RenderMillimeters)
    fmt.setBackground(background)
    settings.setFormat(fmt)
    callout = QgsSimpleLineCallout()
    callout.setEnabled(True)
    callout.setLineSymbol(
        QgsLineSymbol.createSimple({"line_color": "#000000", "line_width": "0.3"})
    )
    settings.setCallout(callout)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def _street_labels(layer):
    settings = QgsPalLayerSettings()
    settings.fieldName = "name"
    # parallel (not curved): each name stays one string in the PDF, so it can be searched
    settings.placement = QgsPalLayerSettings.Line
    settings.lineSettings().setMergeLines(True)
    # beside the line, not on it: names then never sit on a highlighted block
    settings.lineSettings().setPlacementFlags(
        QgsLabeling.LinePlacementFlags(
            QgsLabeling.AboveLine | QgsLabeling.BelowLine | QgsLabeling.MapOrientation
        )
    )
    settings.dist = 0.4
    settings.distUnits = QgsUnitTypes.RenderMillimeters
    settings.repeatDistance = 70
    settings.repeatDistanceUnit = QgsUnitTypes.RenderMillimeters
    settings.priority = 3
    fmt = _text_format(7, "#222222")
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setSizeUnit(QgsUnitTypes.RenderMillimeters)
    buffer.setColor(QColor("white"))
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    obstacle = QgsLabelObstacleSettings()
    obstacle.setIsObstacle(True)
    settings.setObstacleSettings(obstacle)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def _obstacle_only(layer):
    """Street names keep off this layer's lines (no labels of its own)."""
    settings = QgsPalLayerSettings()
    settings.fieldName = "block_id"
    settings.drawLabels = False
    obstacle = QgsLabelObstacleSettings()
    obstacle.setIsObstacle(True)
    obstacle.setFactor(2.0)
    settings.setObstacleSettings(obstacle)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)


def _rows(blocks, geometries, index=None):
    """(geometry, [block_id, name]) for the rows at ``index`` (all rows when None)."""
    index = np.arange(len(geometries)) if index is None else index
    ids, names = blocks["block_id"].to_numpy(), blocks["name"].to_numpy()
    return [(geometries[i], [ids[i], names[i]]) for i in index if geometries[i] is not None]


def _near_top(geometries, top_geometries, block_width: float) -> np.ndarray:
    """Rows whose geometry's bounding box reaches into any block page's map (with room for
    its shape). A bounds test per page, not an STRtree: building a tree over a national
    network's 4M blocks took ~20 s for a handful of queries."""
    bounds = shapely.bounds(np.asarray(geometries, dtype=object))  # NaN rows: no geometry
    near = np.zeros(len(bounds), dtype=bool)
    for geometry in top_geometries:
        extent = block_extent(geometry, block_width)
        grow = 0.6 * max(extent.width(), extent.height())
        c = extent.center()
        near |= (
            (bounds[:, 0] <= c.x() + grow)
            & (bounds[:, 2] >= c.x() - grow)
            & (bounds[:, 1] <= c.y() + grow)
            & (bounds[:, 3] >= c.y() - grow)
        )
    return np.flatnonzero(near)


class BriefMapLayers:
    """Builds and owns (through ``project``) the layers the brief's maps draw."""

    def __init__(
        self,
        project,
        crs,
        blocks,
        geometries,
        top,
        context_layers=(),
        window_layer=None,
        block_width: float = 420.0,
    ):
        """``blocks``: the window's rows (block_id, name) aligned with ``geometries``;
        ``top``: [(order, label, block_id, name, geometry)] for the top blocks, where
        label is the rank as printed ("3", or "14a" for a tied rank); ``window_layer``: the
        hot-block layer filtered to the window, taken over (its labels are switched off);
        ``block_width``: the least width of a block page's map, in map units (420 m
        converted)."""
        self.project = project
        self.crs = crs
        self.block_width = block_width
        self.context = [_grey_context(layer) for layer in context_layers]
        fields = [("block_id", QVariant.String), ("name", QVariant.String)]
        if window_layer is not None:  # the input filtered to the window: no copy per block
            # taken as is (a clone made for these maps): cloning it again re-reads the file,
            # ~20 s for a 12M-row hot-block GeoPackage
            self.blocks = window_layer
            self.blocks.setLabeling(None)  # drop the input's own (rank) labels
            self.blocks.setLabelsEnabled(False)
        else:
            self.blocks = memory_layer(
                "Blocks", "LineString", crs, fields, _rows(blocks, geometries)
            )
        # Street-level pages only need the blocks around the top blocks: a small copy draws
        # fast even when the network has 500k blocks.
        near = _near_top(geometries, [g for *_, g in top], block_width)
        self.named_blocks = memory_layer(
            "Blocks (named)", "LineString", crs, fields, _rows(blocks, geometries, near)
        )
        _line(self.blocks, [(GREY_BLOCKS, 0.35)])
        _line(self.named_blocks, [(GREY_BLOCKS, 0.45)])
        _street_labels(self.named_blocks)
        top_fields = [
            ("order", QVariant.Int),
            ("label", QVariant.String),
            ("block_id", QVariant.String),
        ]
        self.top = memory_layer(
            "Top blocks",
            "LineString",
            crs,
            top_fields,
            [(g, [o, r, b]) for o, r, b, _, g in top],
        )
        _line(self.top, [("#ffffff", 1.9), (HOT, 1.2)])
        _obstacle_only(self.top)
        self.badges = memory_layer(
            "Top block ranks",
            "Point",
            crs,
            top_fields,
            [
                (shapely.line_interpolate_point(g, 0.5, normalized=True), [o, r, b])
                for o, r, b, _, g in top
            ],
        )
        self.badges.setRenderer(
            QgsSingleSymbolRenderer(
                QgsMarkerSymbol.createSimple(
                    {"name": "circle", "color": "#000000", "outline_style": "no", "size": "1.1"}
                )
            )
        )
        _rank_labels(self.badges)
        self._top_geometries = {order: geometry for order, _, _, _, geometry in top}
        self._bounds = shapely.total_bounds(np.asarray(geometries, dtype=object))
        self.highlights = {}
        for order, rank, block_id, _, geometry in top:
            layer = memory_layer(
                f"Block {order}",
                "LineString",
                crs,
                top_fields,
                [(geometry, [order, rank, block_id])],
            )
            _line(layer, [("#ffffff", 3.2), ("#000000", 1.7)])
            _obstacle_only(layer)
            self.highlights[order] = layer
        project.addMapLayers(
            self.context
            + [self.blocks, self.named_blocks, self.top, self.badges, *self.highlights.values()]
        )

    def overview_layers(self):
        """Top of the drawing order first, as QgsLayoutItemMap.setLayers expects."""
        return [self.badges, self.top, self.blocks, *reversed(self.context)]

    def block_layers(self, order):
        return [
            self.badges,
            self.highlights[order],
            self.top,
            self.named_blocks,
            *reversed(self.context),
        ]

    def locator_layers(self):
        return [self.top, self.blocks, *reversed(self.context)]

    def extent(self) -> QgsRectangle:
        """The window's blocks' extent, from their geometries: a layer filtered to the
        window would scan its whole file for it (~20 s for 12M hot-block rows)."""
        if np.isnan(self._bounds).any():  # no geometry at all
            return self.blocks.extent()
        return QgsRectangle(*(float(v) for v in self._bounds))

    def top_extent(self, min_margin: float = 150.0) -> QgsRectangle:
        """The top blocks' extent with room around them (40% of its size, >= min_margin)."""
        bounds = shapely.bounds(shapely.GeometryCollection(list(self._top_geometries.values())))
        x0, y0, x1, y1 = (float(v) for v in bounds)
        pad = max(0.4 * max(x1 - x0, y1 - y0), min_margin)
        return QgsRectangle(x0 - pad, y0 - pad, x1 + pad, y1 + pad)

    def top_geometry(self, order):
        return self._top_geometries[order]


def add_map(layout, page: int, x, y, w, h, layers, extent: QgsRectangle, crs, *, item_id=""):
    """A framed map item at (x, y) mm on ``page`` showing ``extent`` (grown to the item's
    shape). Scale bar and north arrow go under it (:func:`add_scale_bar`): inside, they
    would hide labels and rank badges."""
    item = QgsLayoutItemMap(layout)
    item.setId(item_id)
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(x, y, MM), True, False, page)
    item.attemptResize(QgsLayoutSize(w, h, MM))
    item.setCrs(crs)
    item.setLayers(layers)
    item.setKeepLayerSet(True)
    item.setFrameEnabled(True)
    item.setFrameStrokeWidth(QgsLayoutMeasurement(0.3))
    item.setBackgroundColor(QColor("white"))
    ratio = w / h
    grown = QgsRectangle(extent)
    if grown.width() / max(grown.height(), 1e-9) > ratio:
        extra = grown.width() / ratio - grown.height()
        grown.setYMinimum(grown.yMinimum() - extra / 2)
        grown.setYMaximum(grown.yMaximum() + extra / 2)
    else:
        extra = grown.height() * ratio - grown.width()
        grown.setXMinimum(grown.xMinimum() - extra / 2)
        grown.setXMaximum(grown.xMaximum() + extra / 2)
    item.setExtent(grown)  # (zoomToExtent leaves a freshly moved item empty in 3.22)
    return item


def add_scale_bar(layout, page: int, right, top, linked_map):
    """A north arrow at (right, top) mm (its upper right corner) and a scale bar in metres
    to its left: they sit in the key line under their map."""
    arrow = QgsLayoutItemPicture(layout)
    layout.addLayoutItem(arrow)
    arrow.setPicturePath(QgsSymbolLayerUtils.svgSymbolNameToPath(NORTH_ARROW, QgsPathResolver()))
    arrow.attemptMove(QgsLayoutPoint(right - 4.0, top - 0.3, MM), True, False, page)
    arrow.attemptResize(QgsLayoutSize(4.0, 6.2, MM))
    right -= 7.0
    bar = QgsLayoutItemScaleBar(layout)
    layout.addLayoutItem(bar)
    bar.setLinkedMap(linked_map)
    bar.setStyle("Single Box")
    bar.setUnits(QgsUnitTypes.DistanceMeters)
    bar.setUnitLabel("m")
    bar.setNumberOfSegmentsLeft(0)
    bar.setNumberOfSegments(2)
    bar.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeFitWidth)
    bar.setMinimumBarWidth(18)
    bar.setMaximumBarWidth(34)
    bar.setHeight(1.3)
    bar.setLabelBarSpace(0.8)
    bar.setBoxContentSpace(0.4)
    bar.setTextFormat(_text_format(6.5))
    bar.setBackgroundEnabled(False)
    bar.update()
    bar.setReferencePoint(QgsLayoutItem.UpperRight)
    bar.attemptMove(QgsLayoutPoint(right, top, MM), True, False, page)
    return bar


def add_locator(layout, page: int, x, y, w, h, layers, extent: QgsRectangle, crs, linked_map):
    """A small framed map of the whole area with the main map's extent as a box."""
    item = add_map(layout, page, x, y, w, h, layers, extent, crs, item_id="locator")
    item.setFrameStrokeWidth(QgsLayoutMeasurement(0.4))
    overview = item.overview()
    overview.setLinkedMap(linked_map)
    overview.setFrameSymbol(
        QgsFillSymbol.createSimple(
            {"color": "0,0,0,40", "outline_color": "#000000", "outline_width": "0.5"}
        )
    )
    overview.setEnabled(True)
    return item


def block_extent(geometry, min_width: float = 420.0) -> QgsRectangle:
    """A square-ish extent around a block: at least ``min_width`` map units across, and
    at least twice the block's own size, so the streets around it are shown."""
    x0, y0, x1, y1 = shapely.bounds(geometry)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(min_width, 2.2 * max(x1 - x0, y1 - y0)) / 2
    return QgsRectangle(cx - half, cy - half, cx + half, cy + half)
