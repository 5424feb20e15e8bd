"""hotblocking:pipeline's run: the four steps' own functions, chained in memory.

Nothing is written until every refusal has had its say (same layer twice: before any work;
same records through two files: after the join); then the outputs are written and the brief
is laid out from the hot blocks in memory (its maps draw the written hot-blocks layer,
filtered per window, rather than copying rows).
"""

from __future__ import annotations

import pandas as pd
from qgis.core import (
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingUtils,
    QgsRectangle,
    QgsVectorLayer,
)

from ..hotblocking import schema
from . import blocks_step, brief_step, join_step, risk_step
from .bridge import (
    as_text,
    field_kind,
    geometry_type_of,
    input_layer,
    layer_input,
    read_layer,
    write_output,
)
from .common import check_cancel, tr
from .pipeline import EARLIEST_DATE
from .pipeline_incidents import (
    id_prefixes,
    per_record_sources,
    refuse_same_content,
    refuse_same_layer_twice,
    stacked_columns,
    stacked_points,
)
from .styling import style_output
from .units import default_mismatch, distance_in, given_distance, true_metres_per_unit

STEPS = 5  # blocks, join, risk, write, brief
NUMERIC_KINDS = ("int", "real", "bool")


def run_pipeline(algorithm, parameters, context, feedback) -> dict:
    steps = QgsProcessingMultiStepFeedback(STEPS, feedback)
    clock = _StepClock(feedback)
    destinations = algorithm.destinations(parameters, context)
    pdf = algorithm.parameterAsFileOutput(parameters, algorithm.PDF, context)
    layers = algorithm.parameterAsLayerList(parameters, algorithm.INCIDENTS, context) or []
    if not layers:
        raise QgsProcessingException(tr("Give at least one incident layer."))
    refuse_same_layer_twice(layers)
    block_options = blocks_step.block_options(algorithm, parameters, context)
    risk_options = risk_step.risk_options(algorithm, parameters, context)
    brief_options = brief_step.brief_options(algorithm, parameters, context)
    wanted_windows = algorithm.parameterAsString(parameters, brief_step.WINDOW, context)
    brief_step.chosen_labels(wanted_windows, [w.label for w in risk_options.windows])
    roads = input_layer(algorithm, parameters, algorithm.ROADS, context)

    blocks = blocks_step.build_blocks(
        roads, block_options, context, feedback, QgsProcessingMultiStepFeedback(4, steps)
    )
    clock.done(tr("blocks"))
    steps.setCurrentStep(1)
    check_cancel(feedback)

    joined = _join_all(
        algorithm,
        parameters,
        context,
        feedback,
        steps,
        layers,
        blocks,
        risk_options.tz,
        keep_attributes=any(
            destinations[name].kind != "none" for name in (algorithm.JOINED, algorithm.UNMATCHED)
        ),
    )
    counts = {key: sum(j.counts()[key] for j in joined) for key, _ in join_step.COUNT_OUTPUTS}
    if len(joined) > 1:
        feedback.pushInfo(
            tr("All layers: {joined} joined + {unmatched} unmatched = {read} read.").format(
                joined=counts["MATCHED_COUNT"],
                unmatched=counts["UNMATCHED_COUNT"],
                read=counts["READ_COUNT"],
            )
        )
    clock.done(tr("reading and joining incidents"))
    steps.setCurrentStep(2)
    check_cancel(feedback)

    frame = blocks_step.blocks_frame(blocks)
    incidents = pd.concat([join_step.joined_frame(j) for j in joined], ignore_index=True)
    result = risk_step.compute_risk_step(
        frame, incidents, risk_options, blocks.crs, blocks.layer_crs, feedback, steps
    )
    clock.done(tr("risk"))
    steps.setCurrentStep(3)
    check_cancel(feedback)

    del incidents  # written from ``joined``; the brief needs neither (~0.3 GB at 2M)
    outputs = _write(destinations, algorithm, context, steps, blocks, frame, joined, result)
    blocks.values = None
    clock.done(tr("writing the outputs"))
    steps.setCurrentStep(4)
    check_cancel(feedback)

    whole = brief_step.hot_blocks_frame(result.table)
    geometries = risk_step.hot_block_geometries(result, frame)
    outputs.update(risk_step.summary_outputs(result))
    del result  # the brief reads ``whole``: the risk table held ~2.5 GB more at 4M blocks
    windows = brief_step.choose_windows(whole, wanted_windows, "")
    map_layer = _layer(outputs[algorithm.OUTPUT], context)
    extent = map_layer.extent() if map_layer is not None else _extent(blocks.geometry)
    metres = true_metres_per_unit(blocks.crs, extent, context.transformContext())
    pages = brief_step.make_brief(
        whole,
        geometries,
        windows,
        brief_options,
        blocks.crs,
        metres,
        algorithm.parameterAsLayerList(parameters, brief_step.CONTEXT, context) or [],
        map_layer,
        pdf,
        feedback,
    )
    if feedback.isCanceled():
        return {}
    clock.done(tr("the brief"))
    outputs[algorithm.PDF] = pdf
    outputs["PAGE_COUNT"] = pages
    outputs.update(counts)
    outputs.update(blocks.counts)
    return outputs


class _StepClock:
    """Logs each step's wall time ("Step time: risk 6.2 s"): where a run's time goes."""

    def __init__(self, feedback):
        import time

        self.feedback, self.now = feedback, time.perf_counter
        self.started = self.now()

    def done(self, step: str) -> None:
        now = self.now()
        self.feedback.pushInfo(
            tr("Step time: {step} {seconds:.1f} s.").format(step=step, seconds=now - self.started)
        )
        self.started = now


def _join_all(
    algorithm, parameters, context, feedback, steps, layers, blocks, tz, keep_attributes
) -> list:
    """Each incident layer read and joined to the blocks, then refused if two hold the same
    records. ``keep_attributes``: read every field (the joined or unmatched output is
    written), else only those the join uses."""
    options = _join_options(algorithm, parameters, context, blocks, tz, feedback)
    source_field = algorithm.parameterAsString(parameters, algorithm.SOURCE_FIELD, context).strip()
    weight_field = algorithm.parameterAsString(parameters, algorithm.WEIGHT_FIELD, context).strip()
    _refuse_unknown_fields(layers, source_field, weight_field)
    targets = join_step.BlockTargets(
        blocks.geometry, as_text(blocks.values[schema.BLOCK_ID]), blocks.crs, blocks.per_unit
    )
    inputs = [layer_input(layer, context) for layer in layers]
    labels = [inp.name for inp in inputs]
    joined = []
    per_layer = QgsProcessingMultiStepFeedback(len(inputs), steps)
    for number, (inp, label, prefix) in enumerate(zip(inputs, labels, id_prefixes(labels))):
        per_layer.setCurrentStep(number)
        kinds = {f.name(): field_kind(f) for f in inp.source.fields()}
        start, end = join_step.time_fields(kinds, None, None, feedback, layer=label)
        layer_weight = weight_field if weight_field in kinds else None
        if layer_weight and kinds[layer_weight] not in NUMERIC_KINDS:
            raise QgsProcessingException(
                tr("The harm weight field '{field}' of '{layer}' is not numeric.").format(
                    field=layer_weight, layer=label
                )
            )
        layer_source = source_field if source_field in kinds else None
        wanted = (
            None if keep_attributes else [f for f in (start, end, layer_weight, layer_source) if f]
        )
        incidents = read_layer(inp, wanted, points_as_xy=True, tz=options.tz)
        feedback.pushInfo(
            tr("'{layer}': {count} incidents read ({route}).").format(
                layer=label, count=len(incidents), route=incidents.route
            )
        )
        layer_options = _replace(
            options, label=label, time_field=start, end_field=end, weight_field=layer_weight
        )
        one = join_step.join_source(
            incidents, list(kinds), targets, layer_options, context, feedback, per_layer
        )
        one.id_prefix = prefix
        if layer_source:
            one.sources = per_record_sources(incidents, layer_source, label)
        join_step.log_counts(feedback, one)
        joined.append(one)
        check_cancel(feedback)
    refuse_same_content(joined, [_described(layer) for layer in layers], feedback)
    return joined


def _join_options(algorithm, parameters, context, blocks, tz, feedback) -> join_step.JoinOptions:
    distance = distance_in(
        given_distance(algorithm, parameters, join_step.MAX_DISTANCE, context),
        join_step.DEFAULT_MAX_DISTANCE_M,
        blocks.layer_crs,
        blocks.crs,
    )
    warning = default_mismatch(
        distance, join_step.MAX_DISTANCE, join_step.DEFAULT_MAX_DISTANCE_M, blocks.layer_crs
    )
    if warning:
        feedback.pushWarning(warning)
    feedback.pushInfo(tr("Maximum distance to a block: {d}.").format(d=distance.text))
    earliest = algorithm.parameterAsDateTime(parameters, EARLIEST_DATE, context)
    time_format = algorithm.parameterAsString(parameters, algorithm.TIME_FORMAT, context).strip()
    return join_step.JoinOptions(
        label="",
        max_distance=distance.value,
        time_format=time_format or None,
        tz=tz,
        earliest=earliest.date().toString("yyyy-MM-dd")
        if earliest is not None and earliest.isValid()
        else join_step.DEFAULT_EARLIEST,
    )


def _write(destinations, algorithm, context, steps, blocks, frame, joined, result) -> dict:
    """Every output asked for, written after all refusals; styled when loaded. Empties
    ``joined`` once the incident outputs are written."""
    outputs = {}
    out = blocks_step.write_blocks(destinations[algorithm.BLOCKS], blocks, context, steps)
    style_output(context, out, "blocks", steps)
    outputs[algorithm.BLOCKS] = out
    if destinations[algorithm.JOINED].kind != "none":
        out = write_output(
            destinations[algorithm.JOINED],
            "joined_incidents",
            stacked_points([j.result.points[j.matched] for j in joined]),
            "Point",
            blocks.crs,
            stacked_columns([join_step.joined_columns(j, blocks.per_unit) for j in joined]),
            context=context,
            spatial_index=False,
            feedback=steps,
        )
        style_output(context, out, "joined_incidents", steps)
        outputs[algorithm.JOINED] = out
    if destinations[algorithm.UNMATCHED].kind != "none":
        points = stacked_points([join_step.unmatched_points(j) for j in joined])
        out = write_output(
            destinations[algorithm.UNMATCHED],
            "unmatched_incidents",
            points,
            geometry_type_of(points),
            blocks.crs,
            stacked_columns([join_step.unmatched_columns(j) for j in joined]),
            context=context,
            spatial_index=False,
            feedback=steps,
        )
        style_output(context, out, "unmatched_incidents", steps)
        outputs[algorithm.UNMATCHED] = out
    joined.clear()  # the incidents are written: ~0.4 GB at 2M freed before the largest write
    out = risk_step.write_hot_blocks(
        destinations[algorithm.OUTPUT], result, frame, blocks.crs, context, steps
    )
    style_output(context, out, "hot_blocks", steps)
    outputs[algorithm.OUTPUT] = out
    if destinations[algorithm.PROFILES].kind != "none":
        outputs[algorithm.PROFILES] = risk_step.write_profiles(
            destinations[algorithm.PROFILES], result, context, steps
        )
    return outputs


def _refuse_unknown_fields(layers, source_field: str, weight_field: str) -> None:
    """A field named but in none of the layers is a typing error, not a choice."""
    for key, name in (("SOURCE_FIELD", source_field), ("WEIGHT_FIELD", weight_field)):
        if name and not any(name in layer.fields().names() for layer in layers):
            raise QgsProcessingException(
                tr("{key}: no incident layer has a field '{field}'.").format(key=key, field=name)
            )


def _replace(options, **changes):
    from dataclasses import replace

    return replace(options, **changes)


def _described(layer) -> str:
    return tr("{name} ({source})").format(name=layer.name(), source=layer.source())


def _layer(uri: str, context):
    """The written hot blocks as a layer, for the brief's maps (None if QGIS cannot load it:
    the maps then copy each window's rows)."""
    layer = QgsProcessingUtils.mapLayerFromString(uri, context)
    return layer if isinstance(layer, QgsVectorLayer) and layer.isValid() else None


def _extent(geometries) -> QgsRectangle:
    import shapely

    return QgsRectangle(*shapely.total_bounds(geometries))
