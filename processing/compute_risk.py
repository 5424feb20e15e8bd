"""hotblocking:computerisk - risk per block per time window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDistance,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsUnitTypes,
)

from ..hotblocking import schema
from ..hotblocking.constants import DEFAULT_WINDOWS
from ..hotblocking.options import HOT_RULE_DEFAULTS, OptionError, hot_rule_value
from .common import (
    HotBlockingAlgorithm,
    add_timezone_parameter,
    check_cancel,
    feedback_callbacks,
    require_projected,
    timezone_of,
    tr,
    value_given,
)
from .destinations import OutputSpec
from .styling import style_output
from .units import metres_per_unit, resolve_distance

if TYPE_CHECKING:  # heavy: imported when an algorithm runs, not when QGIS starts
    pass

# (kind, label): the order is the HOT_RULE enum's (0, 1, 2), used by saved models and scripts.
HOT_RULES = [
    ("top_n", "Top N blocks per window"),
    ("top_length_share", "Top share of network length per window"),
    ("significance", "Significant (Benjamini-Hochberg q below the value)"),
]
DEFAULT_MERGE_MINUTES = 30.0  # the null simulation: 1 false hot block in 5 runs (28 unmerged)
DEFAULT_TREND_MIN_COUNT = 10.0
TREND_STEPS = ("week", "month")
TOUCH_M = 0.01  # block ends this close meet (layers without from_node/to_node)
ISOLATED_WARNING_SHARE = 0.02
SUMMARY_OUTPUTS = [
    ("INCIDENTS_USED", "incidents_used", "Incidents used"),
    ("BLOCKS_WITH_ANY", "blocks_with_any", "Blocks with any incident"),
    ("INCIDENTS_WITHOUT_TIME", "incidents_without_time", "Incidents without a time (totals only)"),
    (
        "INCIDENTS_UNKNOWN_BLOCK",
        "incidents_unknown_block",
        "Incidents whose block_id is not in BLOCKS",
    ),
    ("INCIDENTS_OUTSIDE_PERIOD", "incidents_outside_period", "Incidents outside the study period"),
    ("SPANS_FLAGGED", "spans_flagged", "From/to ranges longer than the limit"),
    ("MERGED_DUPLICATES", "merged_duplicates", "Records merged into events"),
    ("EVENTS", "events", "Events (records of one event merged)"),
    (
        "INCIDENTS_WITHOUT_TIME_OF_DAY",
        "incidents_without_time_of_day",
        "Incidents without a time of day (a date or month only: whole-period windows only)",
    ),
    ("SHARE_TOP1_BLOCKS", "share_top_1pct_blocks", "Share of incidents on the top 1% of blocks"),
    ("SHARE_TOP5_BLOCKS", "share_top_5pct_blocks", "Share of incidents on the top 5% of blocks"),
    (
        "SHARE_TOP1_LENGTH",
        "share_top_1pct_length",
        "Share of incidents on the top 1% of network length",
    ),
    (
        "SHARE_TOP5_LENGTH",
        "share_top_5pct_length",
        "Share of incidents on the top 5% of network length",
    ),
]


class ComputeRiskAlgorithm(HotBlockingAlgorithm):
    BLOCKS = "BLOCKS"
    INCIDENTS = "INCIDENTS"
    WINDOWS = "WINDOWS"
    PERIOD_START = "PERIOD_START"
    PERIOD_END = "PERIOD_END"
    SOURCE_WEIGHTS = "SOURCE_WEIGHTS"
    USE_HARM = "USE_HARM"
    HALF_LIFE_DAYS = "HALF_LIFE_DAYS"
    BANDWIDTH = "BANDWIDTH"
    HOT_RULE = "HOT_RULE"
    HOT_VALUE = "HOT_VALUE"
    MERGE_MINUTES = "MERGE_MINUTES"
    MERGE_REPEATS = "MERGE_REPEATS"
    MAX_SPAN_HOURS = "MAX_SPAN_HOURS"
    TREND_STEP = "TREND_STEP"
    TREND_MIN_COUNT = "TREND_MIN_COUNT"
    OUTPUT = "OUTPUT"
    PROFILES = "PROFILES"

    def name(self):
        return "computerisk"

    def displayName(self):
        return tr("Compute hot-block risk by time window")

    def shortDescription(self):
        return tr("Ranks blocks by violence risk in each time window, with harm and significance.")

    def tags(self):
        return tr("risk,hot spot,hot block,time window,aoristic,harm,poisson,rank,night").split(",")

    def shortHelpString(self):
        return tr(
            "For every block and every time window: how much violence happened there, how "
            "much harm, whether it is a real hot block, and when in the week it peaks.\n\n"
            "Windows: 'LABEL=DAYS HH:MM-HH:MM' separated by ';', e.g. "
            "'Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00'. DAYS is a day "
            "(Mon..Sun), a range (Fri-Sat), a list (Fri,Sat), daily, weekdays or weekends. A "
            "window ending at or before its start ends the next day: a night belongs to the "
            "evening it starts. 'LABEL=all' is the whole study period at any time of day: "
            "every joined incident counts in it, also those known only by day or month "
            "(data.police.uk), which count in no time-of-day window.\n\n"
            "Counting (aoristic, Ratcliffe 2002): an incident with one time counts 1 in a "
            "window containing it; a from/to range is spread uniformly over its real elapsed "
            "time and counts the share inside the window. Times are wall clock of the time "
            "zone (default Europe/London) as recorded; durations are real time. A window is "
            "a set of wall-clock readings: on the autumn night both passes of 01:00-02:00 are "
            "in a 01:00-02:00 window; an autumn time recorded once means its first occurrence; "
            "a time in the spring-forward gap counts from 02:00. Ranges longer than the span "
            "limit (default 72 h) are flagged and left out of time-of-day windows. A study "
            "period selects nights by the evening they start and clips ranges to it.\n\n"
            "Events: records on the same or adjacent blocks within the merge minutes "
            "(default 30) are one event: an assault recorded by ambulance, A&E and police, or "
            "several calls about one fight. Without this, one assault recorded three times "
            "looks like a cluster and false hot blocks appear. Events are what risk, ranks, "
            "significance and hot count; incidents, the source counts and harm still count "
            "every record.\n\n"
            "Risk = source weight x (harm weight if used, else 1) x recency decay "
            "0.5^(age days / half-life), summed per block over events, then optionally "
            "smoothed along the network (triangular kernel over network distance up to the "
            "bandwidth; the total is conserved). Blocks are neighbours (for smoothing and "
            "events on adjacent blocks) where buildblocks' from_node/to_node say they meet, so "
            "noding and grade separation are honoured; else where their ends meet within 1 "
            "cm. Significance: each block's events against the "
            "number its share of network length predicts (Poisson upper tail), with "
            "Benjamini-Hochberg q values. Hot blocks per window: top N, top share of network "
            "length, or q below a threshold. Trend: a Mann-Kendall test of each block's events "
            "per week or month, with an emerging-hot-spot pattern (new, consecutive, "
            "intensifying, persistent, diminishing, sporadic, historical), both withheld below "
            "the minimum count.\n\n"
            "OUTPUT has one row per block per window (zeros included): incidents, events, one "
            "count column per source (n_ and the source label, e.g. n_police), harm, risk, "
            "risk_per_km, rank (1 = highest; ties share the lower rank), percentile, expected, "
            "p_value, q_value, hot, peak, profile (the whole week's 168 hourly values from "
            "Monday 00:00), first_seen, last_seen, trend (rate in the last third of the period "
            "/ rate before), trend_tau, trend_p, trend_word, pattern, window_spec and sources.\n\n"
            "Units: length_m and risk_per_km are true metres and kilometres, converted from "
            "the blocks' CRS units (e.g. US survey feet). The bandwidth is in the blocks' "
            "units, as in QGIS's own tools; the log gives it in metres too. A geographic CRS, "
            "or one whose scale error where the blocks are exceeds 1% (Web Mercator), is "
            "refused with a suitable CRS named."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.BLOCKS, tr("Blocks"), [QgsProcessing.TypeVectorLine]
            ),
            "The blocks layer (from 'Build blocks from road links'): block_id, link_id, name, "
            "description, from_node, to_node. Every block appears in the output, with zeros "
            "where nothing happened.",
        )
        self.add(
            _at_least_one(
                QgsProcessingParameterMultipleLayers(
                    self.INCIDENTS,
                    tr("Joined incidents (one layer per source)"),
                    QgsProcessing.TypeVectorPoint,
                )
            ),
            "One or more outputs of 'Join incidents to blocks' (ambulance, A&E, police...), "
            "all joined to the same blocks.",
        )
        self.add(
            QgsProcessingParameterString(self.WINDOWS, tr("Time windows"), DEFAULT_WINDOWS),
            "Windows separated by ';': [LABEL=]DAYS HH:MM-HH:MM, e.g. "
            "'Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00'.",
        )
        for param_id, label, help_text in (
            (self.PERIOD_START, "Study period start", "First day counted (empty: all data)."),
            (self.PERIOD_END, "Study period end", "Last day counted, inclusive (empty: all data)."),
        ):
            self.add(
                QgsProcessingParameterDateTime(
                    param_id, tr(label), QgsProcessingParameterDateTime.Date, optional=True
                ),
                help_text,
            )
        self.add(
            QgsProcessingParameterString(
                self.SOURCE_WEIGHTS, tr("Source weights"), "", optional=True
            ),
            "Weight per source label, e.g. 'ambulance=1; A&E=1; police=0.5'. Sources not "
            "listed weigh 1.",
        )
        self.add(
            QgsProcessingParameterBoolean(self.USE_HARM, tr("Weight by harm"), False),
            "Multiply by each incident's harm weight (e.g. Cambridge Crime Harm Index days). "
            "A missing weight counts as 1.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.HALF_LIFE_DAYS,
                tr("Recency half-life (days)"),
                QgsProcessingParameterNumber.Double,
                0.0,
                minValue=0.0,
            ),
            "An incident this many days older than the latest counts half. 0 = no decay.",
            advanced=True,
        )
        bandwidth = QgsProcessingParameterDistance(
            self.BANDWIDTH, tr("Network smoothing bandwidth"), 0.0, self.BLOCKS, minValue=0.0
        )
        bandwidth.setDefaultUnit(QgsUnitTypes.DistanceMeters)
        self.add(
            bandwidth,
            "Spread each block's risk over blocks within this network distance (blocks joined "
            "end to end), with a triangular kernel that conserves the total. In the blocks' "
            "units (e.g. feet for a feet CRS). 0 = off.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterEnum(
                self.HOT_RULE, tr("Hot block rule"), [tr(label) for _, label in HOT_RULES], False, 0
            ),
            "How hot blocks are chosen in each window.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.HOT_VALUE,
                tr("Hot block rule value (empty: the rule's default)"),
                QgsProcessingParameterNumber.Double,
                None,
                optional=True,
                minValue=0.0,
            ),
            tr(
                "Top N: a whole number of blocks, 1 or more (empty: {top_n:g}). Top share: a "
                "share of network length from 0 to 1 (empty: {share:g}). Significance: a q "
                "threshold above 0 and below 1 (empty: {q:g}). A value that does not fit the "
                "chosen rule is refused before the run."
            ).format(
                top_n=HOT_RULE_DEFAULTS["top_n"],
                share=HOT_RULE_DEFAULTS["top_length_share"],
                q=HOT_RULE_DEFAULTS["significance"],
            ),
        )
        self.add(
            QgsProcessingParameterNumber(
                self.MERGE_MINUTES,
                tr("Merge records of one event within (minutes)"),
                QgsProcessingParameterNumber.Double,
                DEFAULT_MERGE_MINUTES,
                minValue=0.0,
            ),
            "Records on the same or adjacent blocks within this many minutes are one event "
            "(an ambulance call and a police crime for one assault: each record with its "
            "nearest in time of each other source). Events are what risk, ranks, significance "
            "and hot count; incidents and the source counts still count every record. Without "
            "merging, one assault recorded three times looks like a cluster. 0 = off.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterBoolean(
                self.MERGE_REPEATS, tr("Also merge repeat records within a source"), True
            ),
            "Several calls about one fight: records of one source whose gaps are at most the "
            "merge minutes form a run, counted as one event per that many minutes from its "
            "first record.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                self.MAX_SPAN_HOURS,
                tr("Longest from/to range counted (hours)"),
                QgsProcessingParameterNumber.Double,
                72.0,
                minValue=0.0,
            ),
            "Ranges longer than this are flagged in the log and left out of time-of-day "
            "windows (they still count in an 'all' window).",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterEnum(
                self.TREND_STEP, tr("Trend counted per"), [tr(s) for s in TREND_STEPS], False, 1
            ),
            "The time step of each block's trend test (Mann-Kendall) and emerging pattern: "
            "events per week or per month (by the evening a window occurrence starts).",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                self.TREND_MIN_COUNT,
                tr("Fewest events for a trend"),
                QgsProcessingParameterNumber.Double,
                DEFAULT_TREND_MIN_COUNT,
                minValue=0.0,
            ),
            "Below this many events in a window, a block gets no trend word and no pattern "
            "(too few to tell).",
            advanced=True,
        )
        add_timezone_parameter(self)
        self.add(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, tr("Hot blocks"), QgsProcessing.TypeVectorLine
            ),
            "One line per block per window with counts, harm, risk, rank, significance, peak "
            "and hour-of-week profile.",
        )
        self.add(
            QgsProcessingParameterVectorDestination(
                self.PROFILES,
                tr("Hour-of-week profiles"),
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=False,
            ),
            "Table: block_id, window, day, hour, value (non-zero cells only), for charts.",
        )
        for output_id, _, label in SUMMARY_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))
        self.addOutput(QgsProcessingOutputNumber("HOT_BLOCKS", tr("Hot blocks (all windows)")))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            self._hot_rule(parameters, context)
            timezone_of(self, parameters, context)
        except QgsProcessingException as error:
            return False, str(error)
        return True, ""

    def _hot_rule(self, parameters, context) -> tuple[str, float]:
        """The hot rule's kind and value; an empty value is that rule's own default."""
        kind = HOT_RULES[self.parameterAsEnum(parameters, self.HOT_RULE, context)][0]
        given = (
            self.parameterAsDouble(parameters, self.HOT_VALUE, context)
            if value_given(parameters, self.HOT_VALUE)
            else None
        )
        try:
            return kind, hot_rule_value(kind, given)
        except OptionError as error:
            raise QgsProcessingException(
                tr("Hot block rule value: {problem}.").format(problem=error)
            ) from error

    def output_specs(self):
        return [
            OutputSpec(self.OUTPUT, "Hot blocks", long_text=(schema.PROFILE,)),
            OutputSpec(self.PROFILES, "Hour-of-week profiles", geometry=False, optional=True),
        ]

    def processAlgorithm(self, parameters, context, feedback):
        # The core loads numpy, pandas, scipy and shapely: only once a run starts.
        import pandas as pd

        from ..hotblocking.errors import Cancelled
        from ..hotblocking.options import parse_source_weights
        from ..hotblocking.risk import HotRule, compute_risk
        from ..hotblocking.windows import WindowSpecError, parse_windows
        from .bridge import (
            frame_columns,
            input_layer,
            layer_input,
            read_blocks,
            read_joined_incidents,
            write_output,
        )

        steps = QgsProcessingMultiStepFeedback(4, feedback)
        try:
            windows = parse_windows(self.parameterAsString(parameters, self.WINDOWS, context))
            weights = parse_source_weights(
                self.parameterAsString(parameters, self.SOURCE_WEIGHTS, context)
            )
        except (WindowSpecError, OptionError) as error:
            raise QgsProcessingException(str(error)) from error
        rule_kind, rule_value = self._hot_rule(parameters, context)  # as checked beforehand
        hot_rule = HotRule(rule_kind, rule_value)
        feedback.pushInfo(
            tr("Hot block rule: {rule}, value {value:g}.").format(
                rule=tr(dict(HOT_RULES)[rule_kind]), value=rule_value
            )
        )
        destinations = self.destinations(parameters, context)
        tz = timezone_of(self, parameters, context)
        blocks_input = input_layer(self, parameters, self.BLOCKS, context)
        blocks_source = blocks_input.source
        crs = blocks_source.sourceCrs()
        require_projected(
            crs, tr("The blocks layer"), blocks_source.sourceExtent(), context.transformContext()
        )
        per_unit = metres_per_unit(crs) or 1.0
        bandwidth = resolve_distance(self, parameters, self.BANDWIDTH, context, 0.0, crs, crs)
        merge_minutes = self.parameterAsDouble(parameters, self.MERGE_MINUTES, context)
        blocks = read_blocks(blocks_input, per_unit, tz)
        network = None
        if bandwidth.metres > 0 or merge_minutes > 0:
            network = _network(blocks, per_unit, bandwidth, feedback)
        incidents = read_joined_incidents(
            [
                layer_input(layer, context)
                for layer in self.parameterAsLayerList(parameters, self.INCIDENTS, context)
            ],
            feedback,
            tz,
        )
        feedback.pushInfo(
            tr("{incidents} joined incidents on {blocks} blocks, {windows} window(s).").format(
                incidents=len(incidents), blocks=len(blocks[0]), windows=len(windows)
            )
        )
        steps.setCurrentStep(1)
        progress, cancelled = feedback_callbacks(steps)
        try:
            result = compute_risk(
                incidents,
                blocks[0],
                blocks[1],
                windows,
                hot_rule=hot_rule,
                source_weights=weights or None,
                use_harm=self.parameterAsBool(parameters, self.USE_HARM, context),
                half_life_days=self.parameterAsDouble(parameters, self.HALF_LIFE_DAYS, context),
                bandwidth_m=bandwidth.metres,
                merge_minutes=merge_minutes,
                merge_repeats=self.parameterAsBool(parameters, self.MERGE_REPEATS, context),
                trend_step=TREND_STEPS[self.parameterAsEnum(parameters, self.TREND_STEP, context)],
                trend_min_count=self.parameterAsDouble(parameters, self.TREND_MIN_COUNT, context),
                tz=tz,
                max_span_hours=self.parameterAsDouble(parameters, self.MAX_SPAN_HOURS, context)
                or None,
                period_start=self._date(parameters, self.PERIOD_START, context),
                period_end=self._date(parameters, self.PERIOD_END, context),
                progress=progress,
                cancelled=cancelled,
                network=network,
            )
        except Cancelled:
            check_cancel(feedback)
            raise
        steps.setCurrentStep(2)
        table = result.table
        block_row = pd.Index(blocks[0][schema.BLOCK_ID]).get_indexer(table[schema.BLOCK_ID])
        geometries = blocks[1][block_row]
        out = write_output(
            destinations[self.OUTPUT],
            schema.HOT_BLOCKS.table,
            geometries,
            schema.HOT_BLOCKS.geometry,
            blocks_source.sourceCrs(),
            frame_columns(table),
            context=context,
            spatial_index="auto",
            feedback=steps,
        )
        outputs = {self.OUTPUT: out}
        steps.setCurrentStep(3)
        # Left out (createByDefault=False): no value at all, so nothing is offered for loading.
        if destinations[self.PROFILES].kind != "none":
            outputs[self.PROFILES] = write_output(
                destinations[self.PROFILES],
                schema.PROFILES.table,
                None,
                None,
                None,
                frame_columns(result.profiles),
                context=context,
                feedback=steps,
            )
        summary = result.summary
        self._log_summary(feedback, summary)
        for output_id, key, _ in SUMMARY_OUTPUTS:
            outputs[output_id] = summary.get(key)
        outputs["HOT_BLOCKS"] = int(table[schema.HOT].sum())
        style_output(context, out, "hot_blocks", feedback)
        return outputs

    def _date(self, parameters, name, context):
        import numpy as np

        value = self.parameterAsDateTime(parameters, name, context)
        if value is None or not value.isValid():
            return None
        return np.datetime64(value.date().toString("yyyy-MM-dd"), "D")

    @staticmethod
    def _log_summary(feedback, summary):
        for _, key, label in SUMMARY_OUTPUTS:
            value = summary.get(key)
            text = f"{100 * value:.1f}%" if key.startswith("share") and value == value else value
            feedback.pushInfo(tr("{label}: {value}").format(label=tr(label), value=text))
        for window, count in summary.get("hot_blocks", {}).items():
            feedback.pushInfo(
                tr("Hot blocks in '{window}': {count}").format(window=window, count=count)
            )
        for key, template in (
            ("incidents_unknown_block", tr("{count} incident(s) have a block_id not in BLOCKS.")),
            (
                "spans_flagged",
                tr("{count} incident(s) are ranges longer than the limit (not in windows)."),
            ),
            ("incidents_outside_period", tr("{count} incident(s) are outside the study period.")),
            (
                "incidents_without_time_of_day",
                tr(
                    "{count} incident(s) have a date or a month but no time of day: they count "
                    "in totals and in 'all' windows, never in a time-of-day window."
                ),
            ),
        ):
            if summary.get(key):
                feedback.pushWarning(template.format(count=summary[key]))
        ambiguous = summary.get("clock_change_ambiguous", 0)
        skipped = summary.get("clock_change_nonexistent", 0)
        if ambiguous or skipped:
            feedback.pushInfo(
                tr(
                    "Clock changes: {ambiguous} time(s) in an autumn hour that happens twice "
                    "(read as its first occurrence), {skipped} in a spring-forward gap (kept as "
                    "recorded, counted from the end of the gap)."
                ).format(ambiguous=ambiguous, skipped=skipped)
            )


def _network(blocks, per_unit: float, bandwidth, feedback):
    """Block adjacency: buildblocks' node ids when the layer has them (noding and grade
    separation honoured), else block ends meeting within 1 cm; connectivity is logged."""
    import numpy as np

    from ..hotblocking.network import build_network, connectivity, network_from_nodes

    frame, geometries = blocks
    nodes = frame[["from_node", "to_node"]].to_numpy()
    if np.isfinite(nodes).all() and len(frame):
        network = network_from_nodes(
            nodes[:, 0].astype(np.int64), nodes[:, 1].astype(np.int64), frame["length_m"]
        )
        how = tr("from_node/to_node")
    else:
        network = build_network(geometries, frame["length_m"].to_numpy(), TOUCH_M / per_unit)
        how = tr("block ends meeting within 1 cm")
    joined = connectivity(network.start_node, network.end_node)
    if bandwidth.metres > 0:
        feedback.pushInfo(
            tr(
                "Smoothing bandwidth {bandwidth}; blocks joined by {how}: {components} "
                "components, {isolated} isolated blocks."
            ).format(
                bandwidth=bandwidth.text,
                how=how,
                components=joined.components,
                isolated=joined.isolated,
            )
        )
        if len(frame) and joined.isolated > ISOLATED_WARNING_SHARE * len(frame):
            feedback.pushWarning(
                tr(
                    "{isolated} of {blocks} blocks touch no other block: smoothing cannot "
                    "spread their risk, so isolated fragments keep all of it and may outrank "
                    "busy streets. Rebuild the blocks with 'Split links at junctions' on."
                ).format(isolated=joined.isolated, blocks=len(frame))
            )
    return network


def _at_least_one(parameter):
    parameter.setMinimumNumberInputs(1)  # an empty list would silently give an all-zero map
    return parameter
