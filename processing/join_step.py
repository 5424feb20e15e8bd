"""The join step: one source's incidents to their nearest block, shared by
hotblocking:joinincidents and the one-step pipeline (hotblocking:pipeline).

:func:`join_source` takes a read incident layer, the blocks (:class:`BlockTargets`) and
resolved :class:`JoinOptions`, and returns a :class:`JoinedSource`; from it,
:func:`joined_columns` / :func:`unmatched_columns` make the outputs and :func:`joined_frame`
gives computerisk's input in memory, as ``bridge.read_joined_incidents`` would read it back.
Heavy libraries are imported inside the functions: QGIS loads this module at start-up.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterDistance,
    QgsProcessingParameterString,
)

from ..hotblocking import schema
from ..hotblocking.errors import AmbiguousFieldError
from ..hotblocking.timefields import detect_time_fields
from .common import check_cancel, feedback_callbacks, tr
from .units import metre_distance

MAX_DISTANCE = "MAX_DISTANCE"
DEFAULT_MAX_DISTANCE_M = 50.0
DEFAULT_EARLIEST = "1990-01-01"
ADDED_FIELDS = tuple(f.name for f in schema.JOINED_INCIDENTS.fields)
UNMATCHED_FIELDS = tuple(f.name for f in schema.UNMATCHED_INCIDENTS.fields)
_TIME_KINDS = {"datetime": "datetime", "date": "date", "text": "text"}
COUNT_OUTPUTS = (
    ("READ_COUNT", "Incidents read"),
    ("MATCHED_COUNT", "Incidents joined"),
    ("UNMATCHED_COUNT", "Incidents not joined"),
)


def max_distance_parameter(blocks: str) -> QgsProcessingParameterDistance:
    """MAX_DISTANCE, in the units of the layer parameter ``blocks``."""
    return metre_distance(
        MAX_DISTANCE, tr("Maximum distance to a block"), DEFAULT_MAX_DISTANCE_M, blocks
    )


def add_time_format_parameter(algorithm, name: str) -> None:
    algorithm.add(
        QgsProcessingParameterString(name, tr("Time text format"), optional=True),
        "strftime format for text times that are not ISO or UK day-first, e.g. "
        "%Y%m%d %H%M. Empty: detected.",
        advanced=True,
    )


WEIGHT_HELP = (
    "Harm weight per incident, e.g. Cambridge Crime Harm Index days. NULL stays missing "
    "(not 0); negative values are rejected."
)
UNMATCHED_HELP = "Every incident not joined, attributes kept, with the reason."
MAX_DISTANCE_HELP = (
    "Incidents farther than this from every block are not joined (reason: beyond max "
    "distance). In the blocks' CRS units; without a value, 50 m. 0 = no limit."
)


@dataclass(frozen=True)
class BlockTargets:
    """What a join needs of the blocks: lines, their ids (text) and their CRS."""

    geometries: object
    block_ids: object
    crs: object
    per_unit: float  # metres a CRS unit


@dataclass(frozen=True)
class JoinOptions:
    label: str  # the source label written with every record
    max_distance: float  # in the blocks' CRS units; 0 = no limit
    time_field: str | None = None
    end_field: str | None = None
    weight_field: str | None = None
    time_format: str | None = None
    tz: str = "Europe/London"
    earliest: str = DEFAULT_EARLIEST


@dataclass
class JoinedSource:
    """One source joined: the incidents as read and the core's result, aligned."""

    label: str
    incidents: object  # bridge.LayerArrays
    points: object  # as read, in the blocks' CRS: (n, 2) coordinates or geometries
    result: object  # hotblocking.join.IncidentJoin
    block_ids: object  # per row, the joined block's id (None where not joined)
    sources: object = None  # per row, the source label (SOURCE_FIELD); None: ``label``
    id_prefix: str = ""  # incident_id is this, a colon and the feature id ('': ``label``)
    field_names: tuple = ()  # the layer's fields in its order (the outputs keep it)

    @property
    def matched(self):
        return self.result.matched

    @property
    def prefix(self) -> str:
        return f"{self.id_prefix or self.label}:"

    def source_column(self, rows):
        """The source label of the records ``rows`` selects."""
        from .bridge import Column

        if self.sources is None:
            return Column.constant("source", self.label, int(rows.sum()))
        return Column("source", "text", self.sources[rows])

    def counts(self) -> dict:
        n_matched = int(self.matched.sum())
        return {
            "READ_COUNT": len(self.incidents),
            "MATCHED_COUNT": n_matched,
            "UNMATCHED_COUNT": len(self.incidents) - n_matched,
        }


def time_fields(kinds: dict, start: str | None, end: str | None, feedback, layer: str = ""):
    """(start, end) fields: as given, or detected (a from/to pair is a range) and logged."""
    if start:
        return start, end
    try:
        detected = detect_time_fields([(n, _TIME_KINDS.get(k, "other")) for n, k in kinds.items()])
    except AmbiguousFieldError as error:
        raise QgsProcessingException(
            tr("Choose the time field{layer}: {error}").format(
                layer=tr(" of '{name}'").format(name=layer) if layer else "", error=error
            )
        ) from error
    if detected.start:
        feedback.pushInfo(
            tr("Time field detected{layer}: {reason}.").format(
                layer=tr(" in '{name}'").format(name=layer) if layer else "",
                reason=detected.reason,
            )
        )
    return detected.start, end or detected.end


def join_source(
    incidents, field_names, blocks: BlockTargets, options: JoinOptions, context, feedback, steps
):
    """Join one read incident layer (``bridge.LayerArrays``, with the layer's ``field_names``
    in their order) to the blocks (joinincidents' method; see its help). Uses ``steps``'
    current step for the nearest search."""
    from ..hotblocking.errors import Cancelled
    from ..hotblocking.join import join_incidents
    from .bridge import transform_geometries, transform_xy

    if incidents.xy is not None:  # plain points: coordinates, no object per incident
        points = transform_xy(incidents.xy, incidents.crs, blocks.crs, context.transformContext())
    else:
        points = transform_geometries(
            incidents.geometries, incidents.crs, blocks.crs, context.transformContext()
        )
    if not options.time_field:
        feedback.pushWarning(
            tr(
                "No time field{layer}: incidents are joined without times. They count in "
                "totals but in no time window; choose TIME_FIELD if the layer has one."
            ).format(layer=tr(" in '{name}'").format(name=options.label))
        )
    check_cancel(feedback)
    start = _times(incidents, options.time_field, options)
    check_cancel(feedback)
    end = _times(incidents, options.end_field, options)
    check_cancel(feedback)
    weights = _values(incidents, options.weight_field)
    progress, cancelled = feedback_callbacks(steps)
    try:
        result = join_incidents(
            points,
            blocks.geometries,
            options.max_distance,
            start=start,
            end=end,
            weights=weights,
            now=datetime.datetime.now(ZoneInfo(options.tz)),
            earliest=options.earliest,
            tz=options.tz,
            progress=progress,
            cancelled=cancelled,
        )
    except Cancelled:
        check_cancel(feedback)
        raise
    check_cancel(feedback)
    _warn_if_misplaced(feedback, result, blocks.geometries)
    import numpy as np

    matched = result.matched
    ids = np.full(len(matched), None, dtype=object)  # (no block at all: none is joined)
    ids[matched] = np.asarray(blocks.block_ids, dtype=object)[result.block_index[matched]]
    return JoinedSource(
        options.label, incidents, points, result, ids, field_names=tuple(field_names)
    )


def joined_columns(joined: JoinedSource, per_unit: float) -> list:
    """The joined records' columns: their own attributes, then schema.JOINED_INCIDENTS."""
    from .bridge import Column

    matched = joined.matched
    result = joined.result
    return [c.subset(matched) for c in passthrough_columns(joined)] + [
        Column("incident_id", "text", joined.incidents.fids[matched], prefix=joined.prefix),
        joined.source_column(matched),
        Column("block_id", "text", joined.block_ids[matched]),
        Column("snap_dist", "real", result.distance[matched] * per_unit),
        Column("time_start", "datetime", result.time_start[matched]),
        Column("time_end", "datetime", result.time_end[matched]),
        Column("weight", "real", result.weight[matched]),
        Column("time_precision", "text", result.precision[matched]),
    ]


def unmatched_columns(joined: JoinedSource) -> list:
    """The other records' columns: their own attributes, then incident_id, source, reason."""
    from .bridge import Column

    rejected = ~joined.matched
    return [c.subset(rejected) for c in passthrough_columns(joined)] + [
        Column("incident_id", "text", joined.incidents.fids[rejected], prefix=joined.prefix),
        joined.source_column(rejected),
        Column("reason", "text", joined.result.reason[rejected]),
    ]


def unmatched_points(joined: JoinedSource):
    """The rejected records' geometries as read (transformed): multipoints stay whole."""
    return joined.points[~joined.matched]


def joined_frame(joined: JoinedSource):
    """The joined records as ``bridge.read_joined_incidents`` reads a joinincidents output
    back: computerisk's input without a write and a read."""
    import numpy as np
    import pandas as pd

    matched = joined.matched
    result = joined.result
    n = int(matched.sum())
    frame = pd.DataFrame(
        {
            schema.BLOCK_ID: np.asarray(joined.block_ids[matched], dtype=object),
            schema.SOURCE: np.full(n, joined.label, dtype=object)
            if joined.sources is None
            else np.asarray(joined.sources[matched], dtype=object),
            schema.TIME_START: result.time_start[matched].astype("datetime64[ms]"),
            schema.TIME_END: result.time_end[matched].astype("datetime64[ms]"),
            schema.WEIGHT: np.asarray(result.weight[matched], dtype=float),
            schema.TIME_PRECISION: np.asarray(result.precision[matched], dtype=object),
        }
    )
    return frame


def log_counts(feedback, joined: JoinedSource) -> None:
    """The reasons records were not joined, and joined + unmatched = read."""
    import numpy as np

    counts = joined.counts()
    reasons = joined.result.reason[~joined.matched]
    if len(reasons):
        kinds, numbers = np.unique(reasons.astype(str), return_counts=True)
        for kind, count in sorted(zip(kinds, numbers), key=lambda kc: -kc[1])[:20]:
            feedback.pushWarning(tr("{count} unmatched: {reason}").format(count=count, reason=kind))
    feedback.pushInfo(
        tr("{joined} joined + {unmatched} unmatched = {read} read.").format(
            joined=counts["MATCHED_COUNT"],
            unmatched=counts["UNMATCHED_COUNT"],
            read=counts["READ_COUNT"],
        )
    )


def passthrough_columns(joined: JoinedSource) -> list:
    """The incidents' own attributes in the layer's field order, renamed with '_in' where
    they clash with ours."""
    from .bridge import Column

    incidents = joined.incidents
    taken = {n.lower() for n in ADDED_FIELDS + UNMATCHED_FIELDS} | {"fid", "geom"}
    columns = []
    for name in (n for n in joined.field_names if n in incidents.attributes):
        out_name = name
        while out_name.lower() in taken:
            out_name += "_in"
        taken.add(out_name.lower())
        columns.append(Column(out_name, incidents.kinds[name], incidents.attributes[name]))
    return columns


def _warn_if_misplaced(feedback, result, block_geometries):
    import shapely

    from ..hotblocking.join import location_hint

    beyond = result.beyond
    located = beyond | result.matched
    if not located.any():
        return
    bounds = shapely.total_bounds(block_geometries)
    hint = location_hint(result.points[located], tuple(bounds), beyond[located].mean())
    if hint:
        feedback.reportError(
            tr("{count} incidents are beyond the maximum distance: {hint}.").format(
                count=int(beyond.sum()), hint=hint
            ),
            False,
        )


def _values(incidents, field_name):
    from .bridge import plain_values

    return plain_values(incidents.attributes[field_name]) if field_name else None


def _times(incidents, field_name, options: JoinOptions):
    from ..hotblocking.timeparse import parse_times
    from .bridge import plain_values

    if not field_name:
        return None
    return parse_times(
        plain_values(incidents.attributes[field_name]), fmt=options.time_format, tz=options.tz
    )
