"""The risk step: blocks and joined incidents to risk per block per time window, shared by
hotblocking:computerisk and the one-step pipeline (hotblocking:pipeline).

Parameters are defined once here (:func:`add_risk_parameters`), read into
:class:`RiskOptions`, and :func:`compute_risk_step` runs the core on frames in memory.
Heavy libraries are imported inside the functions: QGIS loads this module at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..hotblocking import schema
from ..hotblocking.constants import DEFAULT_WINDOWS
from ..hotblocking.options import HOT_RULE_DEFAULTS, OptionError, hot_rule_value
from .common import check_cancel, feedback_callbacks, timezone_of, tr, value_given
from .units import distance_in, given_distance, metre_distance

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


def add_risk_parameters(algorithm, blocks: str) -> None:
    """computerisk's options (TIMEZONE aside), distances in the units of layer ``blocks``."""
    algorithm.add(
        QgsProcessingParameterString(WINDOWS, tr("Time windows"), DEFAULT_WINDOWS),
        "Windows separated by ';': [LABEL=]DAYS HH:MM-HH:MM, e.g. "
        "'Fri/Sat nights=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00'.",
    )
    for param_id, label, help_text in (
        (PERIOD_START, "Study period start", "First day counted (empty: all data)."),
        (PERIOD_END, "Study period end", "Last day counted, inclusive (empty: all data)."),
    ):
        algorithm.add(
            QgsProcessingParameterDateTime(
                param_id, tr(label), QgsProcessingParameterDateTime.Date, optional=True
            ),
            help_text,
        )
    algorithm.add(
        QgsProcessingParameterString(SOURCE_WEIGHTS, tr("Source weights"), "", optional=True),
        "Weight per source label, e.g. 'ambulance=1; A&E=1; police=0.5'. Sources not "
        "listed weigh 1.",
    )
    algorithm.add(
        QgsProcessingParameterBoolean(USE_HARM, tr("Weight by harm"), False),
        "Multiply by each incident's harm weight (e.g. Cambridge Crime Harm Index days). "
        "A missing weight counts as 1.",
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            HALF_LIFE_DAYS,
            tr("Recency half-life (days)"),
            QgsProcessingParameterNumber.Double,
            0.0,
            minValue=0.0,
        ),
        "An incident this many days older than the latest counts half. 0 = no decay.",
        advanced=True,
    )
    algorithm.add(
        metre_distance(BANDWIDTH, tr("Network smoothing bandwidth"), 0.0, blocks),
        "Spread each block's risk over blocks within this network distance (blocks joined "
        "end to end), with a triangular kernel that conserves the total. In the blocks' "
        "units (e.g. feet for a feet CRS). 0 = off.",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterEnum(
            HOT_RULE, tr("Hot block rule"), [tr(label) for _, label in HOT_RULES], False, 0
        ),
        "How hot blocks are chosen in each window.",
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            HOT_VALUE,
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
    algorithm.add(
        QgsProcessingParameterNumber(
            MERGE_MINUTES,
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
    algorithm.add(
        QgsProcessingParameterBoolean(
            MERGE_REPEATS, tr("Also merge repeat records within a source"), True
        ),
        "Several calls about one fight: records of one source whose gaps are at most the "
        "merge minutes form a run, counted as one event per that many minutes from its "
        "first record.",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            MAX_SPAN_HOURS,
            tr("Longest from/to range counted (hours)"),
            QgsProcessingParameterNumber.Double,
            72.0,
            minValue=0.0,
        ),
        "Ranges longer than this are flagged in the log and left out of time-of-day "
        "windows (they still count in an 'all' window).",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterEnum(
            TREND_STEP, tr("Trend counted per"), [tr(s) for s in TREND_STEPS], False, 1
        ),
        "The time step of each block's trend test (Mann-Kendall) and emerging pattern: "
        "events per week or per month (by the evening a window occurrence starts).",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            TREND_MIN_COUNT,
            tr("Fewest events for a trend"),
            QgsProcessingParameterNumber.Double,
            DEFAULT_TREND_MIN_COUNT,
            minValue=0.0,
        ),
        "Below this many events in a window, a block gets no trend word and no pattern "
        "(too few to tell).",
        advanced=True,
    )


def add_risk_destinations(algorithm, hot_blocks: str, profiles: str) -> None:
    """The hot blocks (required) and the hour-of-week profiles (optional, off by default)."""
    algorithm.add(
        QgsProcessingParameterVectorDestination(
            hot_blocks, tr("Hot blocks"), QgsProcessing.TypeVectorLine
        ),
        "One line per block per window with counts, harm, risk, rank, significance, peak "
        "and hour-of-week profile.",
    )
    algorithm.add(
        QgsProcessingParameterVectorDestination(
            profiles,
            tr("Hour-of-week profiles"),
            QgsProcessing.TypeVector,
            optional=True,
            createByDefault=False,
        ),
        "Table: block_id, window, day, hour, value (non-zero cells only), for charts.",
    )


def add_risk_outputs(algorithm) -> None:
    for output_id, _, label in SUMMARY_OUTPUTS:
        algorithm.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))
    algorithm.addOutput(QgsProcessingOutputNumber("HOT_BLOCKS", tr("Hot blocks (all windows)")))


def hot_rule_of(algorithm, parameters, context) -> tuple[str, float]:
    """The hot rule's kind and value; an empty value is that rule's own default."""
    kind = HOT_RULES[algorithm.parameterAsEnum(parameters, HOT_RULE, context)][0]
    given = (
        algorithm.parameterAsDouble(parameters, HOT_VALUE, context)
        if value_given(parameters, HOT_VALUE)
        else None
    )
    try:
        return kind, hot_rule_value(kind, given)
    except OptionError as error:
        raise QgsProcessingException(
            tr("Hot block rule value: {problem}.").format(problem=error)
        ) from error


def check_risk_parameters(algorithm, parameters, context) -> tuple[bool, str]:
    """The checks before a run: the hot rule's value fits the rule; the time zone exists."""
    try:
        hot_rule_of(algorithm, parameters, context)
        timezone_of(algorithm, parameters, context)
    except QgsProcessingException as error:
        return False, str(error)
    return True, ""


@dataclass(frozen=True)
class RiskOptions:
    """computerisk's options, read and checked (the bandwidth as given, in the blocks
    layer's units; None: 0)."""

    windows: list
    source_weights: dict
    hot_rule: tuple  # (kind, value)
    use_harm: bool
    half_life_days: float
    bandwidth: float | None
    merge_minutes: float
    merge_repeats: bool
    trend_step: str
    trend_min_count: float
    tz: str
    max_span_hours: float | None
    period_start: object  # numpy datetime64[D] or None
    period_end: object


def risk_options(algorithm, parameters, context) -> RiskOptions:
    from ..hotblocking.options import parse_source_weights
    from ..hotblocking.windows import WindowSpecError, parse_windows

    try:
        windows = parse_windows(algorithm.parameterAsString(parameters, WINDOWS, context))
        weights = parse_source_weights(
            algorithm.parameterAsString(parameters, SOURCE_WEIGHTS, context)
        )
    except (WindowSpecError, OptionError) as error:
        raise QgsProcessingException(str(error)) from error
    return RiskOptions(
        windows=windows,
        source_weights=weights,
        hot_rule=hot_rule_of(algorithm, parameters, context),
        use_harm=algorithm.parameterAsBool(parameters, USE_HARM, context),
        half_life_days=algorithm.parameterAsDouble(parameters, HALF_LIFE_DAYS, context),
        bandwidth=given_distance(algorithm, parameters, BANDWIDTH, context),
        merge_minutes=algorithm.parameterAsDouble(parameters, MERGE_MINUTES, context),
        merge_repeats=algorithm.parameterAsBool(parameters, MERGE_REPEATS, context),
        trend_step=TREND_STEPS[algorithm.parameterAsEnum(parameters, TREND_STEP, context)],
        trend_min_count=algorithm.parameterAsDouble(parameters, TREND_MIN_COUNT, context),
        tz=timezone_of(algorithm, parameters, context),
        max_span_hours=algorithm.parameterAsDouble(parameters, MAX_SPAN_HOURS, context) or None,
        period_start=_date(algorithm, parameters, PERIOD_START, context),
        period_end=_date(algorithm, parameters, PERIOD_END, context),
    )


def compute_risk_step(blocks, incidents, options: RiskOptions, crs, layer_crs, feedback, steps):
    """Risk per block per window (computerisk's method; see its help) from the blocks'
    (frame, geometries) in ``crs`` and the joined incidents' frame. ``layer_crs``: the CRS
    whose units the bandwidth was given in. Uses ``steps``' current step."""
    from ..hotblocking.errors import Cancelled
    from ..hotblocking.risk import HotRule, compute_risk
    from .units import metres_per_unit

    rule_kind, rule_value = options.hot_rule
    feedback.pushInfo(
        tr("Hot block rule: {rule}, value {value:g}.").format(
            rule=tr(dict(HOT_RULES)[rule_kind]), value=rule_value
        )
    )
    per_unit = metres_per_unit(crs) or 1.0
    bandwidth = distance_in(options.bandwidth, 0.0, layer_crs, crs)
    network = None
    if bandwidth.metres > 0 or options.merge_minutes > 0:
        network = block_network(blocks, per_unit, bandwidth, feedback)
    feedback.pushInfo(
        tr("{incidents} joined incidents on {blocks} blocks, {windows} window(s).").format(
            incidents=len(incidents), blocks=len(blocks[0]), windows=len(options.windows)
        )
    )
    progress, cancelled = feedback_callbacks(steps)
    try:
        result = compute_risk(
            incidents,
            blocks[0],
            blocks[1],
            options.windows,
            hot_rule=HotRule(rule_kind, rule_value),
            source_weights=options.source_weights or None,
            use_harm=options.use_harm,
            half_life_days=options.half_life_days,
            bandwidth_m=bandwidth.metres,
            merge_minutes=options.merge_minutes,
            merge_repeats=options.merge_repeats,
            trend_step=options.trend_step,
            trend_min_count=options.trend_min_count,
            tz=options.tz,
            max_span_hours=options.max_span_hours,
            period_start=options.period_start,
            period_end=options.period_end,
            progress=progress,
            cancelled=cancelled,
            network=network,
        )
    except Cancelled:
        check_cancel(feedback)
        raise
    log_summary(feedback, result.summary)
    return result


def hot_block_geometries(result, blocks):
    """Each hot-blocks row's block geometry."""
    import pandas as pd

    block_row = pd.Index(blocks[0][schema.BLOCK_ID]).get_indexer(result.table[schema.BLOCK_ID])
    return blocks[1][block_row]


def write_hot_blocks(destination, result, blocks, crs, context, feedback) -> str:
    from .bridge import frame_columns, write_output

    return write_output(
        destination,
        schema.HOT_BLOCKS.table,
        hot_block_geometries(result, blocks),
        schema.HOT_BLOCKS.geometry,
        crs,
        frame_columns(result.table),
        context=context,
        spatial_index="auto",
        feedback=feedback,
    )


def write_profiles(destination, result, context, feedback) -> str:
    from .bridge import frame_columns, write_output

    return write_output(
        destination,
        schema.PROFILES.table,
        None,
        None,
        None,
        frame_columns(result.profiles),
        context=context,
        feedback=feedback,
    )


def summary_outputs(result) -> dict:
    """SUMMARY_OUTPUTS and HOT_BLOCKS, the algorithm's number outputs."""
    outputs = {output_id: result.summary.get(key) for output_id, key, _ in SUMMARY_OUTPUTS}
    outputs["HOT_BLOCKS"] = int(result.table[schema.HOT].sum())
    return outputs


def _date(algorithm, parameters, name, context):
    import numpy as np

    value = algorithm.parameterAsDateTime(parameters, name, context)
    if value is None or not value.isValid():
        return None
    return np.datetime64(value.date().toString("yyyy-MM-dd"), "D")


def log_summary(feedback, summary):
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


def block_network(blocks, per_unit: float, bandwidth, feedback):
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
