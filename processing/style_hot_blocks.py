"""hotblocking:stylehotblocks - re-apply the Hot Blocking style to a layer made earlier.

Threading follows QGIS's own "Set layer style" (native:setlayerstyle,
src/analysis/processing/qgsalgorithmapplylayerstyle.cpp): the style is loaded onto the layer
in ``prepareAlgorithm``, which Processing always runs on the main thread, and
``processAlgorithm`` only returns the layer id. (The deprecated Python
qgis:setstyleforvectorlayer, processing/algs/qgis/SetVectorStyle.py, instead sets
FlagNoThreading and styles in processAlgorithm.)
Two additions: a layer that is not in the project (given as a file) is loaded on completion
with a post-processor applying the same style (processing/styling.py), and with
SAVE_AS_DEFAULT the style is written into a GeoPackage's layer_styles from
``processAlgorithm`` through a layer of its own, never the project's.
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterVectorLayer,
)

from .common import HotBlockingAlgorithm, tr
from .styling import (
    STYLES,
    StyleError,
    apply_style,
    attach_style,
    detect_style,
    save_default_style,
)

# Enum order of the STYLE parameter: 0 = detect from the fields, then the styles by name.
STYLE_CHOICES = [(None, "Auto-detect from the fields")] + [
    (name, label) for name, label in STYLES.items()
]


class StyleHotBlocksAlgorithm(HotBlockingAlgorithm):
    INPUT = "INPUT"
    STYLE = "STYLE"
    SAVE_AS_DEFAULT = "SAVE_AS_DEFAULT"
    OUTPUT = "OUTPUT"

    def __init__(self):
        super().__init__()
        self._layer_id = self._source = self._provider = self._style = None

    def name(self):
        return "stylehotblocks"

    def displayName(self):
        return tr("Style Hot Blocking layers")

    def shortDescription(self):
        return tr(
            "Re-applies the Hot Blocking style to blocks, hot blocks or incidents made earlier."
        )

    def tags(self):
        return tr("style,symbology,qml,labels,legend,hot block,restyle,default style").split(",")

    def shortHelpString(self):
        return tr(
            "Applies the Hot Blocking style to a layer made earlier (or restyled by hand), "
            "the same style every Hot Blocking output loads with.\n\n"
            "Styles: blocks = thin grey lines (0.35 mm) with street names along the line from "
            "1:10,000 in. Hot blocks = lines by percentile of risk within the window, colour "
            "AND width (top 1% dark red 2.2 mm, top 5% 1.5 mm, top 10% 1.0 mm, other blocks "
            "with risk pale 0.3 mm, no risk light grey), hottest drawn on top, hot blocks "
            "labelled with their rank; readable in black and white. Joined incidents = 2 mm "
            "markers, one shape per source (ambulance triangle, A&E square, police diamond, "
            "others circle). Unmatched incidents = hollow red circles, reason in the map tip. "
            "Emerging and persistent hot blocks (chosen by hand, not auto-detected) = hot "
            "blocks by their pattern field: intensifying dark red 2.2 mm, persistent red and "
            "new magenta 1.8 mm, consecutive orange 1.5 mm, sporadic purple and diminishing "
            "blue 1.2 mm, historical brown 0.8 mm, no pattern grey 0.3 mm, too few incidents "
            "for a trend pale 0.2 mm.\n\n"
            "Hot blocks hold every window: the style shows one, chosen by the layer variable "
            "hotblocking_window (set here to the layer's first window; change it in Layer "
            "Properties > Variables to map another window). No subset filter is set, so the "
            "attribute table and later tools still see every window.\n\n"
            "Auto-detect picks the style from the fields Hot Blocking writes (window + rank + "
            "percentile: hot blocks; incident_id + reason: unmatched; incident_id + block_id: "
            "joined; block_id + length_m or link_id: blocks).\n\n"
            "A layer in the project is restyled in place on the main thread (as QGIS's 'Set "
            "layer style' does); a layer given as a file is loaded styled. With 'Save as "
            "default style', the style is also written into a GeoPackage as the layer's "
            "default (its layer_styles table), replacing an earlier Hot Blocking style of the "
            "same name, so the file opens styled in any project."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterVectorLayer(
                self.INPUT, tr("Layer"), [QgsProcessing.TypeVectorAnyGeometry]
            ),
            "A layer made by Hot Blocking (blocks, hot blocks, joined or unmatched incidents), "
            "in the project or as a file.",
        )
        self.add(
            QgsProcessingParameterEnum(
                self.STYLE, tr("Style"), [tr(label) for _, label in STYLE_CHOICES], False, 0
            ),
            "Which style to apply. Auto-detect chooses from the layer's fields and fails "
            "clearly when they are not Hot Blocking's.",
        )
        self.add(
            QgsProcessingParameterBoolean(
                self.SAVE_AS_DEFAULT, tr("Save as default style in the GeoPackage"), True
            ),
            "Also write the style into the GeoPackage (layer_styles table) as the layer's "
            "default, so it opens styled anywhere. Ignored for other formats.",
        )
        self.addOutput(QgsProcessingOutputVectorLayer(self.OUTPUT, tr("Styled layer")))

    def prepareAlgorithm(self, parameters, context, feedback):
        # Main thread (as native:setlayerstyle): safe to restyle a project layer here.
        # A failure is reported and returns False, as QgsProcessingAlgorithm::prepare does
        # with a C++ exception (a Python exception raised here made a QGIS 3.22 process
        # segfault at exit, measured).
        try:
            return self._prepare(parameters, context, feedback)
        except QgsProcessingException as error:
            feedback.reportError(str(error), True)
            return False

    def _prepare(self, parameters, context, feedback):
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        style = STYLE_CHOICES[self.parameterAsEnum(parameters, self.STYLE, context)][0]
        if style is None:
            style = detect_style(layer.fields().names())
            if style is None:
                names = layer.fields().names()
                shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
                raise QgsProcessingException(
                    tr(
                        "'{layer}' does not have the fields of a Hot Blocking output ({fields}): "
                        "choose the style."
                    ).format(layer=layer.name(), fields=shown)
                )
            feedback.pushInfo(tr("Detected style: {style}").format(style=STYLES[style]))
        try:
            apply_style(layer, style)
        except StyleError as error:
            raise QgsProcessingException(str(error)) from error
        layer.triggerRepaint()
        project = context.project()
        if project is not None and project.mapLayer(layer.id()) is None:
            # Given as a file: load it on completion, styled by a post-processor.
            context.addLayerToLoadOnCompletion(
                layer.id(),
                QgsProcessingContext.LayerDetails(layer.name(), project, self.OUTPUT),
            )
            attach_style(context, layer.id(), style)
        self._layer_id, self._style = layer.id(), style
        self._source, self._provider = layer.source(), layer.providerType()
        return True

    def processAlgorithm(self, parameters, context, feedback):
        if self.parameterAsBool(parameters, self.SAVE_AS_DEFAULT, context):
            saved = False
            if self._provider == "ogr":
                try:
                    saved = save_default_style(self._source, self._style)
                except StyleError as error:
                    raise QgsProcessingException(str(error)) from error
            if saved:
                feedback.pushInfo(
                    tr("Saved as the default style of {layer}").format(layer=self._source)
                )
            else:
                feedback.pushInfo(tr("Not a GeoPackage layer: the style was not saved into it."))
        return {self.OUTPUT: self._layer_id}
