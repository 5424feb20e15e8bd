"""The blocks step: road links to blocks, shared by hotblocking:buildblocks and the one-step
pipeline (hotblocking:pipeline).

Parameters are defined once here (:func:`add_block_parameters`), read once into
:class:`BlockOptions`, and :func:`build_blocks` turns a read road layer into
:class:`Blocks` (aligned arrays), which :func:`write_blocks` writes and :func:`blocks_frame`
hands to the next step in memory exactly as ``bridge.read_blocks`` would read them back.
Heavy libraries are imported inside the functions: QGIS loads this module at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from qgis.core import (
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterVectorDestination,
    QgsRectangle,
)

from ..hotblocking import schema
from ..hotblocking.fieldnames import detect_field
from .common import check_cancel, tr
from .units import (
    check_crs,
    default_mismatch,
    describe_crs,
    distance_in,
    given_distance,
    metre_distance,
    metres_per_unit,
)

MAX_LENGTH = "MAX_LENGTH"
NODE = "NODE"
GAP = "GAP"
ROADS_ONLY = "ROADS_ONLY"
ID_FIELD = "ID_FIELD"
NAME_FIELD = "NAME_FIELD"
CLASS_FIELD = "CLASS_FIELD"
EXCLUDE = "EXCLUDE"

DEFAULT_MAX_LENGTH_M = 100.0
DEFAULT_GAP_M = 1.0
TOUCH_M = 0.01  # ends this close meet; pieces shorter than this are never blocks
BESIDE_M = 20.0  # an unnamed path within this of a parallel named street takes its name
NEAR_M = 20.0  # cross streets for "between A and B" within this of a run's end
ISOLATED_WARNING_SHARE = 0.02
COUNT_OUTPUTS = (
    ("BLOCK_COUNT", "Blocks written"),
    ("LINK_COUNT", "Links read"),
    ("EXCLUDED_COUNT", "Links excluded (expression or OSM rules)"),
    ("SKIPPED_COUNT", "Links skipped (null, empty, zero or sub-centimetre length)"),
    ("JUNCTION_COUNT", "Junctions made by noding"),
    ("COMPONENT_COUNT", "Connected components of the blocks"),
    ("ISOLATED_COUNT", "Blocks touching no other block"),
)


# --- parameters ------------------------------------------------------------------------------


def add_links_input(algorithm, name: str) -> None:
    algorithm.add(
        QgsProcessingParameterFeatureSource(name, tr("Road links"), [QgsProcessing.TypeVectorLine]),
        "Road lines in any CRS: OS Open Roads RoadLink, MasterMap Highways RoadLink, an "
        "OSM extract (file.osm.pbf|layername=lines) or any line layer.",
    )


def add_blocks_destination(algorithm, name: str) -> None:
    algorithm.add(
        QgsProcessingParameterVectorDestination(name, tr("Blocks"), QgsProcessing.TypeVectorLine),
        "One line per block: block_id, link_id, part, name, description, road_class, "
        "length_m (true metres), from_node, to_node.",
    )


def add_block_parameters(algorithm, links: str) -> None:
    """buildblocks' options, linked to the road-links parameter ``links``."""
    algorithm.add(
        metre_distance(MAX_LENGTH, tr("Maximum block length"), DEFAULT_MAX_LENGTH_M, links),
        "Pieces longer than this are cut into equal parts no longer than it. In the "
        "layer's units (metres for a layer in degrees); without a value, 100 m. 0 keeps "
        "pieces whole.",
    )
    algorithm.add(
        QgsProcessingParameterBoolean(NODE, tr("Split links at junctions"), True),
        "Cut links where another link's end lies on them or where links share a vertex "
        "(OSM: a node), so T-junctions connect. Lines that only cross never connect.",
    )
    algorithm.add(
        metre_distance(GAP, tr("Join loose ends within"), DEFAULT_GAP_M, links),
        "A link end that touches nothing is joined to a link this close (not for OSM, "
        "whose ways connect only at shared nodes). In the layer's units; without a value, "
        "1 m. 0 = off.",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterBoolean(ROADS_ONLY, tr("OSM: keep only streets and paths"), True),
        "For an OpenStreetMap layer, keep only ways people walk or drive along (see the "
        "help for the list); off keeps every line.",
        advanced=True,
    )
    for param_id, label, role in (
        (ID_FIELD, tr("Link id field"), tr("the link's identifier (block ids build on it)")),
        (NAME_FIELD, tr("Street name field"), tr("the street name printed on maps and briefs")),
        (CLASS_FIELD, tr("Road class field"), tr("the road classification")),
    ):
        algorithm.add(
            QgsProcessingParameterField(
                param_id, label, parentLayerParameterName=links, optional=True
            ),
            tr(
                "Field holding {role}. Empty: detected from OS Open Roads, MasterMap "
                "Highways or OSM field names."
            ).format(role=role),
            advanced=True,
        )
    algorithm.add(
        QgsProcessingParameterExpression(
            EXCLUDE, tr("Exclude links where"), parentLayerParameterName=links, optional=True
        ),
        "Links for which this expression is true are left out, e.g. "
        "\"road_classification\" = 'Motorway'. Excluded links are counted in the log.",
    )


@dataclass(frozen=True)
class BlockOptions:
    """buildblocks' options as given (distances in the road layer's units; None: default)."""

    max_length: float | None = None
    gap: float | None = None
    node: bool = True
    roads_only: bool = True
    fields: dict = field(default_factory=dict)  # id/name/class: a field name or None
    exclude: str = ""


def block_options(algorithm, parameters, context) -> BlockOptions:
    def first(param_id):
        return (algorithm.parameterAsFields(parameters, param_id, context) or [None])[0]

    return BlockOptions(
        max_length=given_distance(algorithm, parameters, MAX_LENGTH, context),
        gap=given_distance(algorithm, parameters, GAP, context),
        node=algorithm.parameterAsBool(parameters, NODE, context),
        roads_only=algorithm.parameterAsBool(parameters, ROADS_ONLY, context),
        fields={"id": first(ID_FIELD), "name": first(NAME_FIELD), "class": first(CLASS_FIELD)},
        exclude=algorithm.parameterAsExpression(parameters, EXCLUDE, context),
    )


# --- the step --------------------------------------------------------------------------------


@dataclass
class Blocks:
    """Blocks as aligned arrays, in ``crs`` (a CRS giving true metres where they are)."""

    geometry: object  # shapely lines
    crs: object  # QgsCoordinateReferenceSystem of the blocks
    layer_crs: object  # the road layer's own CRS (distances given are in its units)
    per_unit: float  # metres a CRS unit
    values: dict  # schema.BLOCKS field name -> array
    counts: dict  # the COUNT_OUTPUTS

    def __len__(self) -> int:
        return len(self.geometry)


def build_blocks(links_input, options: BlockOptions, context, feedback, steps) -> Blocks:
    """Read the road links and cut them into blocks (buildblocks' method; see its help).
    Uses ``steps`` (a 4-step feedback) for its first three steps; logs its choices."""
    import numpy as np

    from ..hotblocking.blocks import block_ids, chain_nodes, renumber_parts, split_links
    from ..hotblocking.clock import DEFAULT_TIMEZONE
    from ..hotblocking.describe import describe_blocks
    from ..hotblocking.network import connectivity
    from ..hotblocking.noding import node_network
    from ..hotblocking.osm import is_osm_layer
    from .bridge import plain_values, read_layer

    source, layer = links_input.source, links_input.layer
    field_names = source.fields().names()
    uri = layer.source() if layer is not None else ""
    osm = is_osm_layer(field_names, uri)
    chosen = _fields(options, field_names, osm)
    feedback.pushInfo(
        tr("Fields used: link id = {id}, name = {name}, class = {cls}{more}").format(
            id=chosen["id"] or "(feature id)",
            name=chosen["name"] or "(none)",
            cls=chosen["class"] or "(none)",
            more=_more_fields(chosen),
        )
    )
    links = read_layer(
        links_input, sorted({f for f in chosen.values() if f}), tz=DEFAULT_TIMEZONE, feedback=steps
    )
    n_links = len(links)
    layer_crs = source.sourceCrs()
    geoms, crs = _metric(links.geometries, layer_crs, context, feedback)
    steps.setCurrentStep(1)
    check_cancel(feedback)

    max_length = distance_in(options.max_length, DEFAULT_MAX_LENGTH_M, layer_crs, crs)
    gap = distance_in(options.gap, DEFAULT_GAP_M, layer_crs, crs)
    for key, distance, default in (
        (MAX_LENGTH, max_length, DEFAULT_MAX_LENGTH_M),
        (GAP, gap, DEFAULT_GAP_M),
    ):
        warning = default_mismatch(distance, key, default, layer_crs)
        if warning:
            feedback.pushWarning(warning)
    per_unit = metres_per_unit(crs) or 1.0
    mode = ("shared_vertex" if osm else "touch") if options.node else "none"
    feedback.pushInfo(
        tr("Maximum block length {length}; noding: {mode}{gap}.").format(
            length=max_length.text,
            mode={
                "shared_vertex": "OSM ways connect where they share a node",
                "touch": "links cut where another link's end or vertex touches them",
                "none": "off",
            }[mode],
            gap=tr("; loose ends joined within {gap}").format(gap=gap.text)
            if mode == "touch"
            else "",
        )
    )

    keep = _keep(options, source, links, chosen, osm, feedback)
    n_excluded = int((~keep).sum())
    kept = np.flatnonzero(keep)
    levels = {
        role: plain_values(links.attributes[chosen[role]]).astype(float)[kept]
        if chosen.get(role)
        else None
        for role in ("start_level", "end_level")
    }
    tiny = TOUCH_M / per_unit
    net = node_network(
        geoms[kept],
        mode=mode,
        gap=gap.value if mode == "touch" else 0.0,
        start_level=levels["start_level"],
        end_level=levels["end_level"],
        tolerance=tiny,
        min_length=tiny,
    )
    # The links' and the pieces' geometries are done with once the blocks are cut: at
    # national scale (4M links) they hold about 3 GB.
    links.geometries = geoms = None
    check_cancel(feedback)
    before = _connectivity_whole(net, max_length.value) if mode != "none" else None
    split = split_links(net.geometry, max_length.value)
    net = replace(net, geometry=None)
    block_start, block_end = chain_nodes(split, net.start_node, net.end_node, net.node_count)
    source_rows = kept[net.link_index[split.link_index]]
    part = renumber_parts(source_rows)
    link_ids = _link_ids(links, chosen["id"], feedback)
    ids = block_ids(link_ids[source_rows], part, source_rows)
    _log_skipped(feedback, net)
    steps.setCurrentStep(2)
    check_cancel(feedback)

    names = _names(links, chosen, source_rows)
    classes = _text(links, chosen["class"], source_rows)
    kinds, path_like = _kinds(classes, osm)
    described = describe_blocks(
        split.geometry,
        names,
        kinds,
        path_like,
        block_start,
        block_end,
        beside=BESIDE_M / per_unit,
        near=NEAR_M / per_unit,
        step=1.0 / per_unit,
    )
    after = connectivity(block_start, block_end)
    _log_network(feedback, before, after, net, described, len(ids))
    steps.setCurrentStep(3)
    check_cancel(feedback)

    skipped = len(net.rejected_index)
    feedback.pushInfo(
        tr(
            "{blocks} blocks from {used} links ({read} read, {excluded} excluded, "
            "{skipped} skipped)."
        ).format(
            blocks=len(ids),
            used=n_links - n_excluded - skipped,
            read=n_links,
            excluded=n_excluded,
            skipped=skipped,
        )
    )
    values = {
        schema.BLOCK_ID: ids,
        schema.LINK_ID: link_ids[source_rows],
        schema.PART: part,
        schema.NAME: described.name,
        schema.DESCRIPTION: described.description,
        schema.ROAD_CLASS: classes,
        schema.LENGTH_M: split.length * per_unit,
        schema.FROM_NODE: block_start,
        schema.TO_NODE: block_end,
    }
    counts = {
        "BLOCK_COUNT": len(ids),
        "LINK_COUNT": n_links,
        "EXCLUDED_COUNT": n_excluded,
        "SKIPPED_COUNT": skipped,
        "JUNCTION_COUNT": net.cuts,
        "COMPONENT_COUNT": after.components,
        "ISOLATED_COUNT": after.isolated,
    }
    return Blocks(split.geometry, crs, layer_crs, per_unit, values, counts)


def write_blocks(destination, blocks: Blocks, context, feedback) -> str:
    """Write the blocks (schema.BLOCKS) to ``destination``; returns the output's URI."""
    from .bridge import Column, write_output

    columns = [Column(f.name, f.kind, blocks.values[f.name]) for f in schema.BLOCKS.fields]
    return write_output(
        destination,
        schema.BLOCKS.table,
        blocks.geometry,
        schema.BLOCKS.geometry,
        blocks.crs,
        columns,
        context=context,
        spatial_index="auto",
        feedback=feedback,
    )


def blocks_frame(blocks: Blocks):
    """(frame, 2D geometries) as ``bridge.read_blocks`` reads the written blocks back, for
    the next step in memory."""
    import numpy as np
    import pandas as pd
    import shapely

    from .bridge import as_text

    values = blocks.values
    frame = pd.DataFrame({schema.BLOCK_ID: as_text(values[schema.BLOCK_ID])})
    for name in (schema.LINK_ID, schema.NAME, schema.DESCRIPTION):
        frame[name] = as_text(values[name])
    for name in (schema.FROM_NODE, schema.TO_NODE):
        frame[name] = np.asarray(values[name]).astype(float)
    geometry = shapely.force_2d(blocks.geometry)
    frame[schema.LENGTH_M] = shapely.length(geometry) * blocks.per_unit
    return frame, geometry


# --- reading ---------------------------------------------------------------------------------


def _fields(options: BlockOptions, field_names, osm) -> dict:
    chosen = {
        role: options.fields.get(role) or detect_field(field_names, role)
        for role in ("id", "name", "class")
    }
    for role in ("number", "start_level", "end_level"):
        chosen[role] = detect_field(field_names, role)
    lower = {n.lower(): n for n in field_names}
    chosen["other_tags"] = lower.get("other_tags") if osm else None
    if osm and chosen["number"] == chosen["id"]:
        chosen["number"] = None
    return chosen


def _metric(geometries, layer_crs, context, feedback):
    """The geometries in a CRS whose lengths are true metres where the data is."""
    import numpy as np
    import shapely

    from .bridge import transform_geometries

    present = geometries[~shapely.is_missing(geometries)]  # (not != None: per feature)
    bounds = shapely.total_bounds(present) if present.size else np.full(4, np.nan)
    extent = QgsRectangle(*bounds) if np.isfinite(bounds).all() else None
    check = check_crs(layer_crs, extent, context.transformContext())
    if not layer_crs.isValid():
        raise QgsProcessingException(
            tr("The road links layer has no valid CRS: set its CRS first.")
        )
    if check.ok or extent is None:  # (an empty layer has nothing to measure)
        return geometries, layer_crs
    target = check.suggestion
    moved = transform_geometries(geometries, layer_crs, target, context.transformContext())
    present = moved[~shapely.is_missing(moved)]
    reached = check_crs(
        target, QgsRectangle(*shapely.total_bounds(present)), context.transformContext()
    )
    if not reached.ok:
        raise QgsProcessingException(
            tr(
                "The road links layer {problem}, and the area is too wide for one "
                "projected CRS (even {target} has a scale error of x{scale} there). Split "
                "the area or reproject it yourself."
            ).format(
                problem=check.problem(),
                target=describe_crs(target),
                scale=f"{reached.scale:.3g}",
            )
        )
    feedback.pushInfo(
        tr(
            "The road links layer {problem}: it is reprojected to {target} and the blocks "
            "are written in that CRS."
        ).format(problem=check.problem(), target=describe_crs(target))
    )
    return moved, target


def _keep(options: BlockOptions, source, links, chosen, osm, feedback):
    import numpy as np

    from ..hotblocking.osm import road_filter
    from .bridge import as_text

    keep = np.ones(len(links), dtype=bool)
    if options.exclude:
        excluded = np.isin(links.fids, _matching_fids(source, options.exclude))
        keep &= ~excluded
        if excluded.any():
            feedback.pushInfo(
                tr("{count} link(s) excluded by: {expression}").format(
                    count=int(excluded.sum()), expression=options.exclude
                )
            )
    if osm and options.roads_only:
        highway = as_text(links.attributes[chosen["class"]]) if chosen["class"] else None
        if highway is None:
            feedback.pushWarning(tr("OSM layer without a highway field: every line is kept."))
            return keep
        tags = as_text(links.attributes[chosen["other_tags"]]) if chosen["other_tags"] else None
        roads, rules = road_filter(highway[keep], None if tags is None else tags[keep])
        for rule, count in rules:
            feedback.pushInfo(
                tr("OSM: {count} feature(s) left out: {rule}").format(count=count, rule=rule)
            )
        keep[np.flatnonzero(keep)[~roads]] = False
    return keep


def _matching_fids(source, expression: str):
    import numpy as np

    # Filtering runs in C++; Python only sees the (few) excluded feature ids.
    request = QgsFeatureRequest().setFilterExpression(expression)
    request.setFlags(QgsFeatureRequest.NoGeometry)
    request.setNoAttributes()
    fids = [f.id() for f in source.getFeatures(request)]
    return np.asarray(fids, dtype=np.int64)


def _link_ids(links, id_field, feedback):
    from ..hotblocking.blocks import link_id_text
    from .bridge import plain_values

    if not id_field:
        return links.fids.astype(str).astype(object)
    ids, reason = link_id_text(plain_values(links.attributes[id_field]), links.fids)
    if reason:
        feedback.pushWarning(
            tr("Link ids: {field}: {reason}.").format(field=id_field, reason=reason)
        )
    return ids


def _text(links, field_name, rows):
    import numpy as np

    from .bridge import as_text

    if not field_name:
        return np.full(len(rows), None, dtype=object)
    return as_text(links.attributes[field_name])[rows]


def _names(links, chosen, rows):
    """Street name, else the road number (A40): a numbered road is named by it."""
    import numpy as np

    from ..hotblocking.describe import is_blank_name
    from ..hotblocking.osm import tag_values
    from .bridge import as_text

    names = _text(links, chosen["name"], rows)
    number = None
    if chosen.get("number"):
        number = _text(links, chosen["number"], rows)
    elif chosen.get("other_tags"):
        number = tag_values(as_text(links.attributes[chosen["other_tags"]]), "ref")[rows]
    if number is not None:
        blank = is_blank_name(names)
        names = np.where(blank & (number != None), number, names)  # noqa: E711
    return names


# --- logging -----------------------------------------------------------------------------------


def _log_skipped(feedback, net):
    import numpy as np

    from ..hotblocking.noding import TOO_SHORT

    for reason, count in zip(*np.unique(net.rejected_reason, return_counts=True)):
        text = "shorter than 1 cm" if reason == TOO_SHORT else reason
        feedback.reportError(
            tr("{count} link(s) skipped: {reason}").format(count=count, reason=text), False
        )
    if net.short_pieces:
        feedback.pushInfo(
            tr(
                "{count} zero-length or sub-centimetre piece(s) dropped (their ends "
                "joined, so they still connect what they touched)."
            ).format(count=net.short_pieces)
        )


def _log_network(feedback, before, after, net, described, n_blocks):
    if before is not None:
        feedback.pushInfo(
            tr(
                "Before noding: {components} components, {isolated} isolated blocks. "
                "Noding made {cuts} junctions{joined}."
            ).format(
                components=before.components,
                isolated=before.isolated,
                cuts=net.cuts,
                joined=tr(" and joined {count} loose ends").format(count=net.joined_ends)
                if net.joined_ends
                else "",
            )
        )
    feedback.pushInfo(
        tr(
            "Network: {components} components (largest {largest} of {blocks} blocks), "
            "{isolated} isolated blocks (touching no other block)."
        ).format(
            components=after.components,
            largest=after.largest,
            blocks=n_blocks,
            isolated=after.isolated,
        )
    )
    if n_blocks and after.isolated > ISOLATED_WARNING_SHARE * n_blocks:
        feedback.pushWarning(
            tr(
                "{isolated} of {blocks} blocks ({share:.1f}%) touch no other block: network "
                "smoothing and duplicate merging cannot spread across them, so an isolated "
                "fragment keeps all its risk. Check the network is noded (Split links at "
                "junctions) or leave smoothing off."
            ).format(
                isolated=after.isolated,
                blocks=n_blocks,
                share=100.0 * after.isolated / n_blocks,
            )
        )
    if described.beside.any() or described.with_ends:
        feedback.pushInfo(
            tr(
                "Names: {beside} unnamed path block(s) took the name of the street beside; "
                "{ends} block descriptions name the streets at their ends."
            ).format(beside=int(described.beside.sum()), ends=described.with_ends)
        )


def _more_fields(chosen) -> str:
    extra = [
        f"{label} = {chosen[role]}"
        for role, label in (
            ("number", "road number"),
            ("start_level", "start level"),
            ("end_level", "end level"),
            ("other_tags", "OSM tags"),
        )
        if chosen.get(role)
    ]
    return ", " + ", ".join(extra) if extra else ""


def _kinds(classes, osm: bool):
    """A word per block for unnamed descriptions, and whether it may take a street's name
    (OSM path values). The words are looked up per distinct class, not per block."""
    import numpy as np

    from ..hotblocking.osm import KIND_WORDS, PATH_KINDS

    n = classes.shape[0]
    if not osm or n == 0:
        return np.full(n, "road", dtype=object), np.zeros(n, dtype=bool)
    present = classes != None  # noqa: E711 (element-wise)
    low = np.full(n, "", dtype=object)
    low[present] = np.char.lower(np.char.strip(classes[present].astype(str))).astype(object)
    values, inverse = np.unique(low.astype(str), return_inverse=True)
    words = np.array([KIND_WORDS.get(v, "road") for v in values], dtype=object)
    return words[inverse.ravel()], np.isin(values, list(PATH_KINDS))[inverse.ravel()]


def _connectivity_whole(net, max_length):
    """Components and isolated blocks the network would have without noding.

    The network as given is its line parts meeting end to end; pieces of a part are chained,
    so only a part cut into one block can be isolated.
    """
    from dataclasses import replace

    import numpy as np

    from ..hotblocking.network import connectivity

    stats = connectivity(net.before_start, net.before_end)
    if max_length > 0:
        single = np.ceil(net.before_length / max_length * (1 - 1e-9)) <= 1
        isolated = _isolated(net.before_start, net.before_end)
        return replace(stats, isolated=int((isolated & single).sum()))
    return stats


def _isolated(start, end):
    import numpy as np

    degree = np.bincount(np.concatenate([start, end]))
    loop = (start == end).astype(np.int64)
    return (degree[start] - 1 - loop + degree[end] - 1 - loop) == 0
