"""hotblocking:computerisk - risk per block per time window."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingMultiStepFeedback,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
)

from ..hotblocking import schema
from . import risk_step
from .common import HotBlockingAlgorithm, add_timezone_parameter, require_projected, tr
from .destinations import OutputSpec
from .risk_step import (
    add_risk_destinations,
    add_risk_outputs,
    add_risk_parameters,
    check_risk_parameters,
)
from .styling import style_output
from .units import metres_per_unit


class ComputeRiskAlgorithm(HotBlockingAlgorithm):
    BLOCKS = "BLOCKS"
    INCIDENTS = "INCIDENTS"
    WINDOWS = risk_step.WINDOWS
    PERIOD_START = risk_step.PERIOD_START
    PERIOD_END = risk_step.PERIOD_END
    SOURCE_WEIGHTS = risk_step.SOURCE_WEIGHTS
    USE_HARM = risk_step.USE_HARM
    HALF_LIFE_DAYS = risk_step.HALF_LIFE_DAYS
    BANDWIDTH = risk_step.BANDWIDTH
    HOT_RULE = risk_step.HOT_RULE
    HOT_VALUE = risk_step.HOT_VALUE
    MERGE_MINUTES = risk_step.MERGE_MINUTES
    MERGE_REPEATS = risk_step.MERGE_REPEATS
    MAX_SPAN_HOURS = risk_step.MAX_SPAN_HOURS
    TREND_STEP = risk_step.TREND_STEP
    TREND_MIN_COUNT = risk_step.TREND_MIN_COUNT
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
        add_risk_parameters(self, self.BLOCKS)
        add_timezone_parameter(self)
        add_risk_destinations(self, self.OUTPUT, self.PROFILES)
        add_risk_outputs(self)

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        return check_risk_parameters(self, parameters, context)

    def output_specs(self):
        return [
            OutputSpec(self.OUTPUT, "Hot blocks", long_text=(schema.PROFILE,)),
            OutputSpec(self.PROFILES, "Hour-of-week profiles", geometry=False, optional=True),
        ]

    def processAlgorithm(self, parameters, context, feedback):
        # The core loads numpy, pandas, scipy and shapely: only once a run starts.
        from .bridge import input_layer, layer_input, read_blocks, read_joined_incidents

        steps = QgsProcessingMultiStepFeedback(4, feedback)
        options = risk_step.risk_options(self, parameters, context)
        destinations = self.destinations(parameters, context)
        blocks_input = input_layer(self, parameters, self.BLOCKS, context)
        blocks_source = blocks_input.source
        crs = blocks_source.sourceCrs()
        require_projected(
            crs, tr("The blocks layer"), blocks_source.sourceExtent(), context.transformContext()
        )
        blocks = read_blocks(blocks_input, metres_per_unit(crs) or 1.0, options.tz)
        incidents = read_joined_incidents(
            [
                layer_input(layer, context)
                for layer in self.parameterAsLayerList(parameters, self.INCIDENTS, context)
            ],
            feedback,
            options.tz,
        )
        steps.setCurrentStep(1)
        result = risk_step.compute_risk_step(blocks, incidents, options, crs, crs, feedback, steps)
        steps.setCurrentStep(2)
        out = risk_step.write_hot_blocks(
            destinations[self.OUTPUT], result, blocks, crs, context, steps
        )
        outputs = {self.OUTPUT: out}
        steps.setCurrentStep(3)
        # Left out (createByDefault=False): no value at all, so nothing is offered for loading.
        if destinations[self.PROFILES].kind != "none":
            outputs[self.PROFILES] = risk_step.write_profiles(
                destinations[self.PROFILES], result, context, steps
            )
        outputs.update(risk_step.summary_outputs(result))
        style_output(context, out, "hot_blocks", feedback)
        return outputs


def _at_least_one(parameter):
    parameter.setMinimumNumberInputs(1)  # an empty list would silently give an all-zero map
    return parameter
