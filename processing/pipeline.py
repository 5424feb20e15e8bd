"""hotblocking:pipeline - roads and incident layers to blocks, hot blocks and a brief, in one
step: buildblocks, joinincidents (once per layer), computerisk and taskingbrief, with the
data kept in memory between them."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..hotblocking import schema
from . import blocks_step, brief_step, join_step, risk_step
from .common import HotBlockingAlgorithm, add_timezone_parameter, tr
from .destinations import OutputSpec

EARLIEST_DATE = "EARLIEST_DATE"


class PipelineAlgorithm(HotBlockingAlgorithm):
    ROADS = "ROADS"
    INCIDENTS = "INCIDENTS"
    SOURCE_FIELD = "SOURCE_FIELD"
    WEIGHT_FIELD = "WEIGHT_FIELD"
    TIME_FORMAT = "TIME_FORMAT"
    BLOCKS = "BLOCKS"
    OUTPUT = "OUTPUT"
    PDF = "PDF"
    JOINED = "JOINED"
    UNMATCHED = "UNMATCHED"
    PROFILES = "PROFILES"

    def name(self):
        return "pipeline"

    def displayName(self):
        return tr("Hot blocks: roads and incidents to brief")

    def shortDescription(self):
        return tr(
            "Blocks, joined incidents, risk by time window and the tasking brief in one step, "
            "with the data kept in memory between steps."
        )

    def tags(self):
        return tr(
            "pipeline,one step,blocks,join,risk,brief,hot block,ambulance,a&e,police,patrol"
        ).split(",")

    def flags(self):
        # The brief's print layout and private QgsProject are not thread-safe (as taskingbrief).
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def shortHelpString(self):
        return tr(
            "Runs 'Build blocks from road links', 'Join incidents to blocks' once per incident "
            "layer, 'Compute hot-block risk by time window' and 'Patrol tasking brief (PDF)' "
            "in one step, with the same methods and the same results as running them one "
            "after the other. Nothing is written between the steps: the blocks, the joined "
            "incidents and the hot blocks pass from one to the next in memory; the joined "
            "and unmatched incidents are written only when asked for.\n\n"
            "Incident layers: one or more point layers, each one source. A layer's source "
            "label is its name (a GeoPackage layer's table name); with a source field, each "
            "record's label is that field's value (the layer's name where it is empty). The "
            "time field, and an end field for from/to ranges, are detected in each layer as "
            "'Join incidents to blocks' does with an empty time field, and each layer's "
            "choice is logged; a layer with several candidate date-time fields is refused "
            "with the candidates named. A layer given twice is refused before any work; two "
            "layers holding the same records (half or more of the smaller one's records "
            "at the same place, to the millimetre, with the same times, whatever the files "
            "are called or their CRS) are refused before anything is written.\n\n"
            "Counts: READ_COUNT = MATCHED_COUNT + UNMATCHED_COUNT over all incident layers; "
            "every record not joined has its reason in UNMATCHED (when written) and the log.\n\n"
            "CRS and units: the blocks are in the road layer's CRS, or reprojected to a CRS "
            "giving true metres where the roads are (as 'Build blocks' does); incidents in "
            "any CRS are transformed to it. Distances (maximum block length, maximum "
            "distance to a block, smoothing bandwidth) are in the road layer's units (taken "
            "as metres for a layer in degrees); without a value, the documented metre "
            "defaults. Times are wall clock of the time zone.\n\n"
            "Outputs: BLOCKS (the blocks), OUTPUT (hot blocks: one row per block per window) "
            "and PDF (the brief of the hot blocks of the chosen windows) always; JOINED "
            "(all joined incidents, the layers' own fields matched by name), UNMATCHED and "
            "PROFILES when given a destination."
        )

    def initAlgorithm(self, config=None):
        blocks_step.add_links_input(self, self.ROADS)
        self.add(
            _at_least_one(
                QgsProcessingParameterMultipleLayers(
                    self.INCIDENTS,
                    tr("Incident layers (one per source)"),
                    QgsProcessing.TypeVectorPoint,
                )
            ),
            "Incident points, one layer per source (ambulance call-outs, geocoded A&E/ISTV "
            "records, police crimes...). Each layer's time fields are detected and logged.",
        )
        self.add(
            QgsProcessingParameterString(self.SOURCE_FIELD, tr("Source field"), optional=True),
            "Name of a field holding each record's source label (in the layers that have "
            "it). Empty: each layer's name is its records' label.",
        )
        self.add(
            QgsProcessingParameterString(self.WEIGHT_FIELD, tr("Harm weight field"), optional=True),
            tr("Name of a numeric field, in the layers that have it. {help}").format(
                help=tr(join_step.WEIGHT_HELP)
            ),
        )
        join_step.add_time_format_parameter(self, self.TIME_FORMAT)
        blocks_step.add_block_parameters(self, self.ROADS)
        self.add(join_step.max_distance_parameter(self.ROADS), join_step.MAX_DISTANCE_HELP)
        self.add(
            QgsProcessingParameterDateTime(
                EARLIEST_DATE,
                tr("Earliest plausible date"),
                QgsProcessingParameterDateTime.Date,
                join_step.DEFAULT_EARLIEST,
                optional=True,
            ),
            "Records dated before this are not joined (reason: time before the date): a date "
            "such as 1900-01-01 is usually a placeholder. Empty: 1990-01-01.",
            advanced=True,
        )
        risk_step.add_risk_parameters(self, self.ROADS)
        brief_step.add_window_choice(self)
        brief_step.add_brief_parameters(self)
        add_timezone_parameter(self)
        blocks_step.add_blocks_destination(self, self.BLOCKS)
        risk_step.add_risk_destinations(self, self.OUTPUT, self.PROFILES)
        brief_step.add_pdf_destination(self, self.PDF)
        for name, label, kind, help_text in (
            (
                self.JOINED,
                "Joined incidents",
                QgsProcessing.TypeVectorPoint,
                "Every joined incident of every layer (the layers' own fields matched by "
                "name), with incident_id, source, block_id, snap_dist (metres), time_start, "
                "time_end, weight. Empty: not written (kept in memory only).",
            ),
            (
                self.UNMATCHED,
                "Unmatched incidents",
                QgsProcessing.TypeVectorAnyGeometry,
                tr("{help} Empty: not written (the log counts the reasons).").format(
                    help=tr(join_step.UNMATCHED_HELP)
                ),
            ),
        ):
            self.add(
                QgsProcessingParameterVectorDestination(
                    name, tr(label), kind, optional=True, createByDefault=False
                ),
                help_text,
            )
        for output_id, label in join_step.COUNT_OUTPUTS + blocks_step.COUNT_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))
        risk_step.add_risk_outputs(self)
        self.addOutput(QgsProcessingOutputNumber("PAGE_COUNT", tr("Pages")))

    def output_specs(self):
        return [
            OutputSpec(self.BLOCKS, "Blocks"),
            OutputSpec(self.OUTPUT, "Hot blocks", long_text=(schema.PROFILE,)),
            OutputSpec(self.JOINED, "Joined incidents", optional=True),
            OutputSpec(
                self.UNMATCHED, "Unmatched incidents", rows_without_geometry=True, optional=True
            ),
            OutputSpec(self.PROFILES, "Hour-of-week profiles", geometry=False, optional=True),
        ]

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        return risk_step.check_risk_parameters(self, parameters, context)

    def processAlgorithm(self, parameters, context, feedback):
        from .pipeline_run import run_pipeline  # heavy: only once a run starts

        return run_pipeline(self, parameters, context, feedback)


def _at_least_one(parameter):
    parameter.setMinimumNumberInputs(1)
    return parameter
