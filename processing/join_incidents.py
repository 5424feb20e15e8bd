"""hotblocking:joinincidents - incidents of one source to their nearest block."""

from __future__ import annotations

import datetime

from qgis.core import (
    QgsExpression,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from .common import (
    EARLIEST_DATE,
    TIMEZONE,
    HotBlockingAlgorithm,
    add_timezone_parameter,
    check_cancel,
    require_projected,
    timezone_of,
    tr,
)
from .destinations import OutputSpec
from .join_step import (
    COUNT_OUTPUTS,
    DEFAULT_EARLIEST,
    DEFAULT_MAX_DISTANCE_M,
    MAX_DISTANCE_HELP,
    UNMATCHED_HELP,
    WEIGHT_HELP,
    BlockTargets,
    JoinOptions,
    add_time_format_parameter,
    join_source,
    joined_columns,
    log_counts,
    max_distance_parameter,
    time_fields,
    unmatched_columns,
    unmatched_points,
)
from .styling import style_output
from .units import default_mismatch, metres_per_unit, resolve_distance


class JoinIncidentsAlgorithm(HotBlockingAlgorithm):
    INCIDENTS = "INCIDENTS"
    SOURCE = "SOURCE"
    BLOCKS = "BLOCKS"
    MAX_DISTANCE = "MAX_DISTANCE"
    TIME_FIELD = "TIME_FIELD"
    END_TIME_FIELD = "END_TIME_FIELD"
    TIME_FORMAT = "TIME_FORMAT"
    WEIGHT_FIELD = "WEIGHT_FIELD"
    FILTER = "FILTER"
    TIMEZONE = TIMEZONE
    EARLIEST_DATE = EARLIEST_DATE
    OUTPUT = "OUTPUT"
    UNMATCHED = "UNMATCHED"

    def name(self):
        return "joinincidents"

    def displayName(self):
        return tr("Join incidents to blocks")

    def shortDescription(self):
        return tr("Links each incident to its nearest block; every record is accounted for.")

    def tags(self):
        return tr("nearest,snap,join,ambulance,a&e,istv,police,crime,incident,street").split(",")

    def shortHelpString(self):
        return tr(
            "Links each incident point of one source (ambulance, A&E, police...) to its nearest "
            "block.\n\n"
            "Method: exact nearest by true distance from the point to the line geometry (not "
            "by bounding box), within the maximum distance (inclusive). Ties go to the block "
            "that comes first "
            "in the blocks layer, so each incident gives exactly one row (QGIS's 'Join by "
            "nearest' repeats rows on ties). Incidents in another CRS are transformed with "
            "the project's transform settings.\n\n"
            "Units: the maximum distance is in the blocks' CRS units, as in QGIS's own tools "
            "(feet for a feet CRS); without a value, 50 m converted to those units. snap_dist "
            "is in true metres. The blocks' CRS must be projected, with a scale error under 1% "
            "where the blocks are (not Web Mercator); otherwise a suitable CRS is named.\n\n"
            "Times: DateTime, Date or text fields; text as ISO 8601 or UK day-first "
            "('21/11/2026 23:15', '21-11-2026 23:15:00'), never month-first, or an explicit "
            "format. Times are wall clock of the time zone (TIMEZONE, default Europe/London) "
            "as recorded; ISO times with an offset or Z are converted to it, and 'now' (for "
            "times in the future) and the earliest date are read in it. A date without a "
            "time covers that whole day, a month (2018-07) that whole month. An end time "
            "makes a from/to range (aoristic); an end equal to the start is an instant. "
            "Records before the earliest date (default 1990-01-01) are rejected.\n\n"
            'Filter: an optional expression on the incidents (e.g. "Crime type" = '
            "'Violence and sexual offences'); records it is not true for are not read at all "
            "and the log says how many were left out.\n\n"
            "Outputs: OUTPUT holds joined incidents (original point, own attributes, renamed "
            "with '_in' on name clashes) with incident_id, source, block_id, snap_dist, "
            "time_start, time_end and weight. UNMATCHED holds every other incident with its "
            "reason: no geometry, beyond max distance, missing or unreadable time, time in the "
            "future or before the earliest date, end before start, negative weight... Joined "
            "+ unmatched = read, always (records the filter leaves out are not read)."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.INCIDENTS, tr("Incidents"), [QgsProcessing.TypeVectorPoint]
            ),
            "Incident points of one source (e.g. ambulance call-outs for assault, geocoded "
            "A&E/ISTV records, police crimes). Selections and filters are honoured.",
        )
        self.add(
            QgsProcessingParameterString(self.SOURCE, tr("Source label"), optional=True),
            "Name of this source in the outputs (e.g. ambulance, A&E, police). Empty: the "
            "layer's name (a GeoPackage layer's table name).",
        )
        self.add(
            QgsProcessingParameterFeatureSource(
                self.BLOCKS, tr("Blocks"), [QgsProcessing.TypeVectorLine]
            ),
            "Street blocks (from 'Build blocks from road links') or any line layer in a "
            "projected CRS. Its block_id field is used when present, else the feature id.",
        )
        self.add(
            QgsProcessingParameterExpression(
                self.FILTER,
                tr("Only incidents where"),
                parentLayerParameterName=self.INCIDENTS,
                optional=True,
            ),
            "A QGIS expression; only the incidents for which it is true are read, e.g. "
            "\"Crime type\" = 'Violence and sexual offences' for a data.police.uk file. The "
            "others are not records of this analysis: the log says how many were left out. "
            "Applied on top of the layer's own filter and 'selected features only'. Empty: "
            "every incident.",
        )
        self.add(max_distance_parameter(self.BLOCKS), MAX_DISTANCE_HELP)
        self.add(
            QgsProcessingParameterField(
                self.TIME_FIELD,
                tr("Time (or start time) field"),
                parentLayerParameterName=self.INCIDENTS,
                optional=True,
            ),
            "When the incident happened (DateTime, Date or text). Empty: the layer's single "
            "date-time field is used if there is one.",
        )
        self.add(
            QgsProcessingParameterField(
                self.END_TIME_FIELD,
                tr("End time field"),
                parentLayerParameterName=self.INCIDENTS,
                optional=True,
            ),
            "For crimes recorded as a from/to range (e.g. committed_to). NULL or equal to the "
            "start = an instant; before the start = rejected.",
        )
        add_time_format_parameter(self, self.TIME_FORMAT)
        add_timezone_parameter(self)
        self.add(
            QgsProcessingParameterString(
                self.EARLIEST_DATE,
                tr("Earliest plausible date"),
                DEFAULT_EARLIEST,
                optional=True,
            ),
            "Records whose time is before this date (YYYY-MM-DD, midnight in the time zone) "
            "are not joined (reason: time before the date): typing slips such as 1900 or "
            "0025. Set an earlier date to analyse historic or long-running cases. Empty: "
            "1990-01-01.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterField(
                self.WEIGHT_FIELD,
                tr("Harm weight field"),
                parentLayerParameterName=self.INCIDENTS,
                type=QgsProcessingParameterField.Numeric,
                optional=True,
            ),
            WEIGHT_HELP,
        )
        self.add(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, tr("Joined incidents"), QgsProcessing.TypeVectorPoint
            ),
            "Incidents joined to a block, with incident_id, source, block_id, snap_dist (metres), "
            "time_start, time_end, weight.",
        )
        self.add(
            QgsProcessingParameterVectorDestination(
                self.UNMATCHED, tr("Unmatched incidents"), QgsProcessing.TypeVectorAnyGeometry
            ),
            UNMATCHED_HELP,
        )
        for output_id, label in COUNT_OUTPUTS + (
            ("FILTERED_OUT_COUNT", "Incidents left out by the filter"),
        ):
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            timezone_of(self, parameters, context)
            self._earliest(parameters, context)
            self._check_filter_syntax(parameters, context)
        except QgsProcessingException as error:
            return False, str(error)
        return True, ""

    def _earliest(self, parameters, context) -> str:
        """The EARLIEST_DATE value as YYYY-MM-DD, checked (empty: 1990-01-01)."""
        text = self.parameterAsString(parameters, self.EARLIEST_DATE, context).strip()
        try:
            return datetime.date.fromisoformat(text or DEFAULT_EARLIEST).isoformat()
        except ValueError as error:
            raise QgsProcessingException(
                tr(
                    "Earliest date '{text}' is not a date: give it as YYYY-MM-DD, e.g. 1990-01-01."
                ).format(text=text)
            ) from error

    def _check_filter_syntax(self, parameters, context) -> None:
        text = self._filter(parameters, context)
        if text and QgsExpression(text).hasParserError():
            raise QgsProcessingException(
                tr("The filter expression cannot be read: {error}").format(
                    error=QgsExpression(text).parserErrorString()
                )
            )

    def _filter(self, parameters, context) -> str | None:
        # parameterAsExpression gives '' for an expression with a syntax error, which would
        # silently read every record: the text is taken as given and checked when read.
        return self.parameterAsString(parameters, self.FILTER, context).strip() or None

    def output_specs(self):
        return [
            OutputSpec(self.OUTPUT, "Joined incidents"),
            OutputSpec(self.UNMATCHED, "Unmatched incidents", rows_without_geometry=True),
        ]

    def processAlgorithm(self, parameters, context, feedback):
        # The core and the readers load numpy, pandas and shapely: only once a run starts.
        from .bridge import field_kind, geometry_type_of, input_layer, read_layer, write_output

        steps = QgsProcessingMultiStepFeedback(5, feedback)
        destinations = self.destinations(parameters, context)
        tz = timezone_of(self, parameters, context)
        earliest = self._earliest(parameters, context)
        record_filter = self._filter(parameters, context)
        feedback.pushInfo(
            tr("Times read as wall clock of {tz}; records before {earliest} are rejected.").format(
                tz=tz, earliest=earliest
            )
        )
        incidents_input = input_layer(self, parameters, self.INCIDENTS, context)
        blocks_input = input_layer(self, parameters, self.BLOCKS, context)
        blocks_source = blocks_input.source
        blocks_crs = blocks_source.sourceCrs()
        require_projected(
            blocks_crs,
            tr("The blocks layer"),
            blocks_source.sourceExtent(),
            context.transformContext(),
        )
        distance = resolve_distance(
            self,
            parameters,
            self.MAX_DISTANCE,
            context,
            DEFAULT_MAX_DISTANCE_M,
            blocks_crs,
            blocks_crs,
        )
        warning = default_mismatch(distance, self.MAX_DISTANCE, DEFAULT_MAX_DISTANCE_M, blocks_crs)
        if warning:
            feedback.pushWarning(warning)
        feedback.pushInfo(tr("Maximum distance to a block: {d}.").format(d=distance.text))
        kinds = {f.name(): field_kind(f) for f in incidents_input.source.fields()}
        time_field, end_field = time_fields(
            kinds,
            self._field(parameters, self.TIME_FIELD, context),
            self._field(parameters, self.END_TIME_FIELD, context),
            feedback,
        )

        incidents = read_layer(
            incidents_input,
            points_as_xy=True,
            tz=tz,
            feedback=steps,
            filter_expression=record_filter,
        )
        if record_filter:
            feedback.pushInfo(
                tr(
                    "Filter {expression}: {kept} incidents kept, {left} left out (not read)."
                ).format(expression=record_filter, kept=len(incidents), left=incidents.filtered_out)
            )
        label = self.parameterAsString(parameters, self.SOURCE, context).strip()
        options = JoinOptions(
            label=label or incidents.table_name or "incidents",
            max_distance=distance.value,
            time_field=time_field,
            end_field=end_field,
            weight_field=self._field(parameters, self.WEIGHT_FIELD, context),
            time_format=self.parameterAsString(parameters, self.TIME_FORMAT, context).strip()
            or None,
            tz=tz,
            earliest=earliest,
        )
        blocks, route = self._blocks(blocks_input, blocks_crs, tz, feedback)
        feedback.pushInfo(
            tr("Read {incidents} incidents ({source}) and {blocks} blocks.").format(
                incidents=len(incidents), source=options.label, blocks=len(blocks.geometries)
            )
        )
        feedback.pushInfo(
            tr("Read route: incidents {incidents}; blocks {blocks}.").format(
                incidents=incidents.route, blocks=route
            )
        )
        steps.setCurrentStep(1)
        check_cancel(feedback)
        steps.setCurrentStep(2)
        joined = join_source(incidents, list(kinds), blocks, options, context, feedback, steps)
        steps.setCurrentStep(3)
        out = write_output(
            destinations[self.OUTPUT],
            "joined_incidents",
            joined.result.points[joined.matched],
            "Point",
            blocks_crs,
            joined_columns(joined, blocks.per_unit),
            context=context,
            spatial_index=False,
            feedback=steps,
        )
        steps.setCurrentStep(4)
        unmatched_geoms = unmatched_points(joined)
        unmatched = write_output(
            destinations[self.UNMATCHED],
            "unmatched_incidents",
            unmatched_geoms,
            geometry_type_of(unmatched_geoms),
            blocks_crs,
            unmatched_columns(joined),
            context=context,
            spatial_index=False,
            feedback=steps,
        )
        check_cancel(feedback)
        log_counts(feedback, joined)
        style_output(context, out, "joined_incidents", feedback)
        style_output(context, unmatched, "unmatched_incidents", feedback)
        return {
            self.OUTPUT: out,
            self.UNMATCHED: unmatched,
            "FILTERED_OUT_COUNT": incidents.filtered_out,
            **joined.counts(),
        }

    @staticmethod
    def _blocks(blocks_input, blocks_crs, tz, feedback) -> tuple[BlockTargets, str]:
        from .bridge import as_text, read_layer

        names = blocks_input.source.fields().names()
        block_id_field = next((n for n in names if n.lower() == "block_id"), None)
        blocks = read_layer(blocks_input, [block_id_field] if block_id_field else [], tz=tz)
        if not block_id_field:
            feedback.pushWarning(
                tr("The blocks layer has no block_id field: feature ids are used.")
            )
        ids = (
            as_text(blocks.attributes[block_id_field])
            if block_id_field
            else blocks.fids.astype(str).astype(object)
        )
        per_unit = metres_per_unit(blocks_crs) or 1.0
        return BlockTargets(blocks.geometries, ids, blocks_crs, per_unit), blocks.route

    def _field(self, parameters, name, context):
        chosen = self.parameterAsFields(parameters, name, context)
        return chosen[0] if chosen else None
