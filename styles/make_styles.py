"""Regenerate the Hot Blocking layer styles (the .qml files next to this script).

Run from the checkout:  source scripts/env.sh && .venv/bin/python styles/make_styles.py

The .qml files are the source of truth at run time (processing/styling.py loads them);
this script is how they were made, so a change of colour or width is made here, the
styles regenerated and the new .qml committed. Each style is built with PyQGIS on an
empty memory layer shaped like the output it is for and saved with saveNamedStyle,
holding only the categories in _categories() (no fields, forms or custom
properties: those belong to the layer, not to the look).

Colours for hot blocks are ColorBrewer's OrRd ramp (Brewer & Harrower 2003); the class is
also carried by the line width, so a black-and-white print still ranks the blocks.
Label font: none named. The saved .qml files have no ``fontFamily`` attribute, so QGIS draws
labels in the default font of the machine that opens them, without a warning; see "Label
fonts" in processing/styling.py for what a named or an empty family does instead.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Same as processing/styling.py's without_font_families (this script runs outside the plugin).
FONT_FAMILY_ATTRIBUTE = re.compile(r'\sfontFamily="[^"]*"')
WINDOW_VARIABLE = "hotblocking_window"  # must match processing/styling.py
# A rule filter, not a subset string: see processing/styling.py for the why.
IN_WINDOW = f'(@{WINDOW_VARIABLE} IS NULL OR "window" = @{WINDOW_VARIABLE})'
HAS_RISK = '"risk" > 0'

# (label, filter, colour, width mm, drawing pass): top classes last = drawn on top.
HOT_CLASSES = [
    ("Top 1% of blocks", f'{HAS_RISK} AND "percentile" >= 99', "#7f0000", 2.2, 4),
    (
        "Top 5% (next 4%)",
        f'{HAS_RISK} AND "percentile" >= 95 AND "percentile" < 99',
        "#d7301f",
        1.5,
        3,
    ),
    (
        "Top 10% (next 5%)",
        f'{HAS_RISK} AND "percentile" >= 90 AND "percentile" < 95',
        "#fc8d59",
        1.0,
        2,
    ),
    ("Other blocks with risk", f'{HAS_RISK} AND "percentile" < 90', "#fdd49e", 0.3, 1),
    ("No risk", '"risk" = 0 OR "risk" IS NULL', "#d9d9d9", 0.2, 0),
]
# Emerging-hot-spot classes (hotblocking/emerging.py PATTERNS): (value, legend label, colour,
# width mm, drawing pass). Hot now: reds, widest; cooling: orange/blue; past only: grey-brown.
PATTERN_CLASSES = [
    ("intensifying", "Intensifying (hot, rising)", "#7f0000", 2.2, 7),
    ("persistent", "Persistent (hot throughout)", "#d7301f", 1.8, 6),
    ("new", "New (hot only in the last step)", "#ff00ff", 1.8, 6),
    ("consecutive", "Consecutive (hot in the last run of steps)", "#fc8d59", 1.5, 5),
    ("sporadic", "Sporadic (on and off hot)", "#6a3d9a", 1.2, 4),
    ("diminishing", "Diminishing (hot, falling)", "#2c7fb8", 1.2, 3),
    ("historical", "Historical (hot earlier, not now)", "#8c6d31", 0.8, 2),
    ("no pattern", "No pattern", "#bdbdbd", 0.3, 1),
]
TOO_FEW_LABEL = "Too few incidents for a trend"
# (category value, legend label, marker shape, colour); '' is "all other values".
SOURCE_CLASSES = [
    ("ambulance", "Ambulance", "triangle", "#009e73"),
    ("A&E", "A&E (ISTV)", "square", "#0072b2"),
    ("police", "Police", "diamond", "#6a3d9a"),
    ("", "Other sources", "circle", "#737373"),
]
# Common spellings of the three usual sources, folded onto the category values above.
SOURCE_EXPRESSION = (
    "CASE\n"
    " WHEN lower(\"source\") LIKE '%ambulance%'"
    " OR lower(\"source\") IN ('las', 'was', 'nwas', 'ems') THEN 'ambulance'\n"
    " WHEN lower(\"source\") IN ('a&e', 'ae', 'a+e', 'a & e', 'a and e', 'ed', 'istv')"
    " OR lower(\"source\") LIKE '%istv%' OR lower(\"source\") LIKE '%emergency dep%' THEN 'A&E'\n"
    " WHEN lower(\"source\") LIKE '%police%' OR lower(\"source\") LIKE '%crime%' THEN 'police'\n"
    " ELSE '' END"
)


def _categories():
    from qgis.core import QgsMapLayer

    return (
        QgsMapLayer.Symbology | QgsMapLayer.Labeling | QgsMapLayer.MapTips | QgsMapLayer.Rendering
    )


def text_format(size_pt: float, colour: str, buffer_mm: float, bold: bool):
    from qgis.core import QgsTextBufferSettings, QgsTextFormat, QgsUnitTypes
    from qgis.PyQt.QtGui import QColor, QFont

    font = QFont()  # the family is taken out of the saved file (see the module doc)
    font.setBold(bold)
    fmt = QgsTextFormat()
    fmt.setFont(font)
    fmt.setSize(size_pt)
    fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
    fmt.setColor(QColor(colour))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(buffer_mm)
    buffer.setSizeUnit(QgsUnitTypes.RenderMillimeters)
    buffer.setColor(QColor("white"))
    fmt.setBuffer(buffer)
    return fmt


def line_symbol(colour: str, width_mm: float, rendering_pass: int = 0):
    from qgis.core import QgsLineSymbol

    symbol = QgsLineSymbol.createSimple(
        {
            "line_color": colour,
            "line_width": str(width_mm),
            "line_width_unit": "MM",
            "capstyle": "round",
            "joinstyle": "round",
        }
    )
    symbol.symbolLayer(0).setRenderingPass(rendering_pass)
    return symbol


def style_blocks(layer) -> None:
    """Thin grey streets; street names along the line from 1:10,000 in."""
    from qgis.core import (
        QgsLabeling,
        QgsPalLayerSettings,
        QgsSingleSymbolRenderer,
        QgsVectorLayerSimpleLabeling,
    )

    layer.setRenderer(QgsSingleSymbolRenderer(line_symbol("#8c8c8c", 0.35)))
    settings = QgsPalLayerSettings()
    settings.fieldName = "name"
    settings.placement = QgsPalLayerSettings.Line
    line = settings.lineSettings()
    line.setPlacementFlags(QgsLabeling.OnLine)
    line.setMergeLines(True)  # one name per street, not one per 100 m block
    settings.setLineSettings(line)
    settings.setFormat(text_format(7.5, "#404040", 0.7, bold=False))
    settings.scaleVisibility = True
    settings.minimumScale = 10000  # shown from 1:10,000 in (larger scales)
    settings.maximumScale = 0
    settings.priority = 2  # below every hot-block rank
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)
    _describe(layer, 'block [% "block_id" %], [% round("length_m") %] m')


def _describe(layer, detail: str) -> None:
    """Map tips name a block by its description (buildblocks: "footway beside High St")."""
    words = 'coalesce("description", "name", \'(unnamed street)\')'
    layer.setMapTipTemplate(f"<b>[% {words} %]</b><br>{detail}")


def style_hot_blocks(layer) -> None:
    """Percentile classes by colour AND width, hot blocks on top, ranks of hot blocks labelled."""
    from qgis.core import (
        QgsPalLayerSettings,
        QgsProperty,
        QgsRuleBasedLabeling,
        QgsRuleBasedRenderer,
    )

    root = QgsRuleBasedRenderer.Rule(None)
    for label, condition, colour, width, rendering_pass in HOT_CLASSES:
        rule = QgsRuleBasedRenderer.Rule(
            line_symbol(colour, width, rendering_pass),
            0,
            0,
            f"{IN_WINDOW} AND ({condition})",
            label,
        )
        root.appendChild(rule)
    renderer = QgsRuleBasedRenderer(root)
    renderer.setUsingSymbolLevels(True)  # drawing passes above: the hottest drawn last
    layer.setRenderer(renderer)

    settings = QgsPalLayerSettings()
    settings.fieldName = "rank"
    settings.placement = QgsPalLayerSettings.Horizontal  # upright numbers read best
    settings.setFormat(text_format(10, "black", 1.0, bold=True))
    settings.priority = 10
    properties = settings.dataDefinedProperties()
    # Priority 0-10 (10 = highest): rank 1 wins a collision over rank 2 and so on down to
    # rank 6; every rank beats street names (2) so no hot block loses its number to a street.
    properties.setProperty(
        QgsPalLayerSettings.Priority, QgsProperty.fromExpression('max(5, 11 - "rank")')
    )
    settings.setDataDefinedProperties(properties)
    label_root = QgsRuleBasedLabeling.Rule(None)
    label_root.appendChild(
        QgsRuleBasedLabeling.Rule(settings, 0, 0, f'"hot" AND {IN_WINDOW}', "Hot block rank")
    )
    layer.setLabeling(QgsRuleBasedLabeling(label_root))
    layer.setLabelsEnabled(True)
    _describe(layer, '[% "window" %]: rank [% "rank" %], [% "incidents" %] incidents')


def style_hot_block_patterns(layer) -> None:
    """Emerging and persistent hot blocks: one colour and width per pattern class."""
    from qgis.core import QgsRuleBasedRenderer

    root = QgsRuleBasedRenderer.Rule(None)
    for value, label, colour, width, rendering_pass in PATTERN_CLASSES:
        condition = f"\"pattern\" = '{value}'"
        rule = QgsRuleBasedRenderer.Rule(
            line_symbol(colour, width, rendering_pass), 0, 0, f"{IN_WINDOW} AND {condition}", label
        )
        root.appendChild(rule)
    too_few = f'{IN_WINDOW} AND "pattern" IS NULL'
    root.appendChild(
        QgsRuleBasedRenderer.Rule(line_symbol("#e0e0e0", 0.2, 0), 0, 0, too_few, TOO_FEW_LABEL)
    )
    renderer = QgsRuleBasedRenderer(root)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    layer.setLabelsEnabled(False)
    _describe(
        layer,
        '[% "window" %]: [% coalesce("pattern", \'too few incidents\') %], trend '
        '[% coalesce("trend_word", \'not shown\') %], rank [% "rank" %]',
    )


def style_joined_incidents(layer) -> None:
    """2 mm filled markers, one shape and colour per usual source."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsMarkerSymbol,
        QgsRendererCategory,
    )

    categories = []
    for value, label, shape, colour in SOURCE_CLASSES:
        symbol = QgsMarkerSymbol.createSimple(
            {
                "name": shape,
                "color": colour,
                "size": "2",
                "size_unit": "MM",
                "outline_color": "white",
                "outline_width": "0.15",
                "outline_width_unit": "MM",
            }
        )
        categories.append(QgsRendererCategory(value, symbol, label))
    layer.setRenderer(QgsCategorizedSymbolRenderer(SOURCE_EXPRESSION, categories))
    layer.setMapTipTemplate(
        '<b>[% "incident_id" %]</b><br>[% "source" %], block [% "block_id" %]<br>'
        "[% format_date(\"time_start\", 'dd/MM/yyyy HH:mm') %]"
    )


def style_unmatched_incidents(layer) -> None:
    """Small hollow red circles; the reason in the map tip."""
    from qgis.core import QgsMarkerSymbol, QgsSingleSymbolRenderer

    symbol = QgsMarkerSymbol.createSimple(
        {
            "name": "circle",
            "color": "0,0,0,0",
            "size": "2",
            "size_unit": "MM",
            "outline_color": "#e31a1c",
            "outline_width": "0.4",
            "outline_width_unit": "MM",
        }
    )
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    layer.setMapTipTemplate('<b>[% "incident_id" %]</b> (not joined)<br>Reason: [% "reason" %]')


LAYERS = {  # style name -> (memory layer definition, builder)
    "blocks": ("LineString?field=block_id:string&field=name:string", style_blocks),
    "hot_blocks": (
        (
            "LineString?field=block_id:string&field=name:string&field=window:string"
            "&field=risk:double&field=rank:integer&field=percentile:double&field=hot:boolean"
        ),
        style_hot_blocks,
    ),
    "hot_block_patterns": (
        (
            "LineString?field=block_id:string&field=name:string&field=window:string"
            "&field=rank:integer&field=pattern:string&field=trend_word:string"
        ),
        style_hot_block_patterns,
    ),
    "joined_incidents": (
        (
            "Point?field=incident_id:string&field=source:string&field=block_id:string"
            "&field=time_start:datetime"
        ),
        style_joined_incidents,
    ),
    "unmatched_incidents": (
        "Point?field=incident_id:string&field=source:string&field=reason:string",
        style_unmatched_incidents,
    ),
}


def build(name: str):
    """A memory layer carrying style ``name`` (for saving, or for tests)."""
    from qgis.core import QgsVectorLayer

    definition, builder = LAYERS[name]
    layer = QgsVectorLayer(f"{definition}&crs=EPSG:27700", name, "memory")
    builder(layer)
    return layer


def save_all(folder: Path = HERE) -> list[Path]:
    written = []
    for name in LAYERS:
        path = folder / f"{name}.qml"
        message, ok = build(name).saveNamedStyle(str(path), _categories())
        if not ok:
            raise RuntimeError(f"{name}: {message}")
        text = path.read_text(encoding="utf-8")
        path.write_text(FONT_FAMILY_ATTRIBUTE.sub("", text), encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    for path in save_all():
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # QGIS 3.22 may crash on interpreter exit
