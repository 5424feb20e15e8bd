"""Styled outputs: every Hot Blocking layer loads styled and carries its style in its file.

The styles are the .qml files in ``styles/`` (made with PyQGIS by ``styles/make_styles.py``):
blocks, hot_blocks, joined_incidents and unmatched_incidents (the profiles table has none).
They reach a layer by two routes, both safe in ``processAlgorithm``, which runs on a worker
thread and so never touches iface, the project or a loaded layer's renderer:

- ``attach_style(context, uri, style)``: when Processing will load the output on completion
  (``context.willLoadLayerOnCompletion``), a ``QgsProcessingLayerPostProcessorInterface`` is
  set on its ``LayerDetails``. QGIS calls it on the main thread once the layer is in the
  project, after Processing's own default styles, so ours wins. ``LayerDetails`` keeps a bare
  pointer, so the Python object is kept alive here until it has run (QuickOSM keeps its
  post-processors referenced for the same reason).
- ``save_default_style(uri, style)``: for a GeoPackage output, the style goes into the file's
  ``layer_styles`` table as the layer's default (``saveStyleToDatabase``), through a
  ``QgsVectorLayer`` opened on the file inside the algorithm: no project involved, and the
  file opens styled anywhere (dragged into another project, sent to a colleague).

``style_output(context, uri, style, feedback)`` does both: the one call an algorithm makes per
output, just before returning.

Which window a hot-blocks map shows (decision)
----------------------------------------------
computerisk writes one row per block per window into one layer. The hot-blocks style shows ONE
window, by a rule filter on every renderer rule and on the label rule::

    (@hotblocking_window IS NULL OR "window" = @hotblocking_window)

and applying the style sets the layer variable ``hotblocking_window`` to the layer's first
window (the window of its first row: computerisk writes the windows in the order given, so
rows 1..n are the first window). A layer variable is a custom property of the layer, so it is
saved with the style in the GeoPackage and in the project. Not a subset string: a subset hides
the other windows from the attribute table, identify and every tool run on the layer later (a
chart or a second algorithm would silently see one window), and it is not part of a style, so
the file's default style could not carry it. To map another window: Layer Properties >
Variables > ``hotblocking_window`` (e.g. ``Lunch``); removing the variable draws every window
(overlaid). Restyling (``hotblocking:stylehotblocks``) resets it to the first window.

Label fonts (decision)
----------------------
The styles name no font family: their text formats have no ``fontFamily`` attribute, and QGIS
then uses the default font of whichever machine opens them, without a warning (3.22's
QgsTextFormat::readXml defaults the family to the application font). Measured on QGIS 3.22:

- a NAMED family a machine lacks ("Arial" on Debian) warns "Font ... not available" and is
  replaced by that machine's default, and the substitute is what QGIS saves back: headless
  runs wrote "DejaVu LGC Sans" (Qt's offscreen default, installed almost nowhere) into
  GeoPackage default styles and projects, and every other machine then warned;
- an EMPTY family (``fontFamily=""``) raises no warning, but Qt matches "" to the first family
  in its database: labels came out in the TeX math font cmex10.

No family is on every platform (QGIS bundles none), so ``without_font_families`` takes the
attribute out of what Hot Blocking saves: the GeoPackage default styles here, the .qml files
(styles/make_styles.py) and the demo project (scripts/demo.py).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from qgis.core import (
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsProcessingLayerPostProcessorInterface,
    QgsProviderRegistry,
    QgsVectorLayer,
)

from ..hotblocking import schema
from .common import (
    _OGR_DEST,  # the "Save to GeoPackage" destination form, ogr:dbname='...' table="..."
    tr,
)

STYLES_DIR = Path(__file__).resolve().parents[1] / "styles"
WINDOW_VARIABLE = "hotblocking_window"
# style name -> label (also the name of its layer_styles row: at most 30 characters)
STYLES = {
    "blocks": "Blocks",
    "hot_blocks": "Hot blocks",
    "joined_incidents": "Joined incidents",
    "unmatched_incidents": "Unmatched incidents",
    # Last: the STYLE enum of stylehotblocks counts in this order (saved models keep indices).
    "hot_block_patterns": "Emerging and persistent hot blocks (pattern)",
}


_FONT_FAMILY = re.compile(r'\sfontFamily="[^"]*"')  # QML text formats
_SLD_FONT_FAMILY = re.compile(r'\s*<se:SvgParameter name="font-family">[^<]*</se:SvgParameter>')


def without_font_families(xml: str) -> str:
    """Style XML (QML, or SLD) without font family names: the opening machine's default font."""
    return _SLD_FONT_FAMILY.sub("", _FONT_FAMILY.sub("", xml))


class StyleError(Exception):
    """A style could not be applied or saved (the message says which and why)."""


def style_path(style: str) -> str:
    if style not in STYLES:
        raise StyleError(
            tr("Unknown style '{style}': one of {styles}.").format(
                style=style, styles=", ".join(STYLES)
            )
        )
    return str(STYLES_DIR / f"{style}.qml")


def detect_style(field_names) -> str | None:
    """The style for a layer with these fields (Hot Blocking's own outputs), else None."""
    names = {n.lower() for n in field_names}
    if {schema.WINDOW, schema.RANK, schema.PERCENTILE} <= names:
        return "hot_blocks"
    if {schema.INCIDENT_ID, schema.REASON} <= names:
        return "unmatched_incidents"
    if {schema.INCIDENT_ID, schema.BLOCK_ID} <= names:
        return "joined_incidents"
    if schema.BLOCK_ID in names and names & {schema.LENGTH_M, schema.LINK_ID}:
        return "blocks"
    return None


def first_window(layer: QgsVectorLayer):
    """The ``window`` of the layer's first row (filters honoured), or None."""
    index = layer.fields().lookupField(schema.WINDOW)
    if index < 0:
        return None
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry)
    request.setSubsetOfAttributes([index]).setLimit(1)
    for feature in layer.getFeatures(request):
        value = feature.attribute(index)
        return None if value is None or str(value) == "NULL" else str(value)
    return None


def apply_style(layer: QgsVectorLayer, style: str) -> None:
    """Load the style onto the layer (and, for hot blocks, show its first window)."""
    message, ok = layer.loadNamedStyle(style_path(style))
    if not ok:
        raise StyleError(
            tr("Could not apply the {style} style: {message}").format(
                style=STYLES[style], message=message
            )
        )
    if style in ("hot_blocks", "hot_block_patterns"):
        QgsExpressionContextUtils.setLayerVariable(layer, WINDOW_VARIABLE, first_window(layer))


def save_default_style(uri: str, style: str) -> bool:
    """Write the style into a GeoPackage's layer_styles as the layer's default.

    Returns False (and writes nothing) when ``uri`` is not a GeoPackage layer. Safe on a
    worker thread: it opens its own layer on the file and never touches the project.
    """
    parts = QgsProviderRegistry.instance().decodeUri("ogr", uri)
    path = str(parts.get("path") or "")
    if not path.lower().endswith(".gpkg"):
        return False
    options = QgsVectorLayer.LayerOptions(False, False)  # no default style, no XML extent
    layer = QgsVectorLayer(uri, STYLES[style], "ogr", options)
    if not layer.isValid():
        raise StyleError(tr("Could not open {uri} to save its style.").format(uri=uri))
    apply_style(layer, style)
    # QGIS 3.22 asks "A style named ... already exists ... overwrite?" in a modal QMessageBox
    # when the name is taken (QgsOgrProviderMetadata::saveStyle): on a worker thread that
    # would hang or crash. Our own earlier row is removed first, so it never asks.
    _delete_style_row(path, parts.get("layerName") or _first_table(path), STYLES[style])
    error = layer.saveStyleToDatabase(
        STYLES[style],
        "Hot Blocking plugin default style (hotblocking:stylehotblocks re-applies it).",
        True,
        "",
    )
    del layer  # release the file
    if error:
        raise StyleError(
            tr("Could not save the {style} style into {uri}: {error}").format(
                style=STYLES[style], uri=uri, error=error
            )
        )
    _drop_font_families(path, parts.get("layerName") or _first_table(path), STYLES[style])
    return True


def _first_table(path: str) -> str:
    """The table QGIS opens for a GeoPackage path without a layer name (the first one)."""
    from osgeo import ogr

    dataset = ogr.Open(path)
    try:
        return dataset.GetLayer(0).GetName()
    finally:
        dataset = None


def _drop_font_families(path: str, table: str, name: str) -> None:
    """QGIS saved the font it substituted on this machine: take the family names out."""
    with closing(sqlite3.connect(path)) as db:
        where = "f_table_name = ? AND styleName = ?"
        for row_id, qml, sld in db.execute(
            f"SELECT id, styleQML, styleSLD FROM layer_styles WHERE {where}", (table, name)
        ).fetchall():
            db.execute(
                "UPDATE layer_styles SET styleQML = ?, styleSLD = ? WHERE id = ?",
                (without_font_families(qml or ""), without_font_families(sld or ""), row_id),
            )
        db.commit()


def _delete_style_row(path: str, table: str, name: str) -> None:
    with closing(sqlite3.connect(path)) as db:
        if db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
        ).fetchone():
            db.execute(
                "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?", (table, name)
            )
            db.commit()


class StyleOnLoad(QgsProcessingLayerPostProcessorInterface):
    """Applies a Hot Blocking style to an output once QGIS has loaded it (main thread)."""

    def __init__(self, style: str):
        super().__init__()
        self.style = style
        self.done = False

    def postProcessLayer(self, layer, context, feedback):
        self.done = True
        if not isinstance(layer, QgsVectorLayer):
            return
        try:
            apply_style(layer, self.style)
        except StyleError as error:
            if feedback is not None:
                feedback.reportError(str(error), False)
            return
        layer.triggerRepaint()


# LayerDetails holds a bare pointer to its post-processor: keep each one referenced until it
# has run (ones already run are dropped when the next is added).
_ALIVE: list[StyleOnLoad] = []
_ALIVE_LOCK = threading.Lock()


def load_key(context, uri: str) -> str | None:
    """The key under which ``context`` will load ``uri`` on completion, if it will.

    Algorithms return ``path|layername=table`` while Processing registered the destination
    as given: a plain path, or ``ogr:dbname='path' table="table"`` (Save to GeoPackage).
    """
    if context.willLoadLayerOnCompletion(uri):
        return uri
    parts = QgsProviderRegistry.instance().decodeUri("ogr", uri)
    path, table = parts.get("path"), parts.get("layerName")
    if not path:
        return None
    for key in context.layersToLoadOnCompletion():
        if key == path:
            return key
        match = _OGR_DEST.match(key)
        if match and match.group("path") == path and (not table or match.group("table") == table):
            return key
    return None


def attach_style(context, uri: str, style: str) -> bool:
    """Style ``uri`` when Processing loads it on completion; False if it will not load it."""
    style_path(style)  # fail early on a wrong name
    key = load_key(context, uri)
    if key is None:
        return False
    processor = StyleOnLoad(style)
    with _ALIVE_LOCK:
        _ALIVE[:] = [p for p in _ALIVE if not p.done]
        _ALIVE.append(processor)
    context.layerToLoadOnCompletionDetails(key).setPostProcessor(processor)
    return True


def style_output(context, uri: str, style: str, feedback=None) -> None:
    """Both routes for one output: default style in its GeoPackage, styled when loaded.

    A style that cannot be saved into the file is a warning, never a failed run.
    """
    try:
        save_default_style(uri, style)
    except StyleError as error:
        if feedback is not None:
            feedback.pushWarning(str(error))
    attach_style(context, uri, style)
