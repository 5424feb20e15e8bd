"""hotblocking:buildblocks - road links to street sections ("blocks")."""

from __future__ import annotations

from qgis.core import (
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDistance,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterVectorDestination,
    QgsRectangle,
    QgsUnitTypes,
)

from ..hotblocking import schema
from ..hotblocking.fieldnames import detect_field
from .common import HotBlockingAlgorithm, check_cancel, tr
from .destinations import OutputSpec
from .styling import style_output
from .units import (
    check_crs,
    default_mismatch,
    describe_crs,
    metres_per_unit,
    resolve_distance,
)

DEFAULT_MAX_LENGTH_M = 100.0
DEFAULT_GAP_M = 1.0
TOUCH_M = 0.01  # ends this close meet; pieces shorter than this are never blocks
BESIDE_M = 20.0  # an unnamed path within this of a parallel named street takes its name
NEAR_M = 20.0  # cross streets for "between A and B" within this of a run's end
ISOLATED_WARNING_SHARE = 0.02


class BuildBlocksAlgorithm(HotBlockingAlgorithm):
    INPUT = "INPUT"
    MAX_LENGTH = "MAX_LENGTH"
    NODE = "NODE"
    GAP = "GAP"
    ROADS_ONLY = "ROADS_ONLY"
    ID_FIELD = "ID_FIELD"
    NAME_FIELD = "NAME_FIELD"
    CLASS_FIELD = "CLASS_FIELD"
    EXCLUDE = "EXCLUDE"
    OUTPUT = "OUTPUT"

    def name(self):
        return "buildblocks"

    def displayName(self):
        return tr("Build blocks from road links")

    def shortDescription(self):
        return tr("Cuts road links into street sections of equal length, at most a set length.")

    def tags(self):
        return tr(
            "street,segment,road,link,open roads,mastermap,osm,openstreetmap,hot routes,split,"
            "node,junction"
        ).split(",")

    def shortHelpString(self):
        return tr(
            "Turns road links (OS Open Roads, OS MasterMap Highways RoadLink, an OpenStreetMap "
            "extract such as file.osm.pbf|layername=lines, or any line layer) into blocks: "
            "street sections that incidents are counted on. No preparation is needed.\n\n"
            "CRS and units: lengths are true metres (length_m). A layer in degrees (OSM) or in "
            "a CRS whose scale error where the data is exceeds 1% (Web Mercator: x1.6 in "
            "London) is reprojected to a CRS suited to the place (its national grid, else its "
            "UTM zone), and the blocks are written in that CRS. Distances are in the layer's "
            "units, as in QGIS's own tools (taken as metres for a layer in degrees); without a "
            "value the documented metre default is converted (100 m = 328.1 ft).\n\n"
            "OpenStreetMap (highway and osm_id fields, or an .osm/.osm.pbf file): only ways "
            "people walk or drive along are kept (highway = motorway, trunk, primary, "
            "secondary, tertiary, unclassified, residential, the _link roads, living_street, "
            "service, road, busway, track, pedestrian, footway, path, steps, cycleway, "
            "bridleway); buildings, railways, barriers, platforms and highway areas are left "
            "out, each rule counted in the log.\n\n"
            "Noding (on by default): links are cut where another link's end lies on them or "
            "where two links share a vertex, so T-junctions connect; lines that only cross "
            "(bridges, tunnels) do not. OSM ways connect exactly where they share a node. "
            "OS MasterMap grade separation (startGradeSeparation/endGradeSeparation) keeps "
            "levels apart. Loose ends within the gap (1 m) of another link are joined to it "
            "(not for OSM). Zero-length and sub-centimetre pieces never become blocks. The log "
            "reports the network's components and isolated blocks before and after noding.\n\n"
            "Method: each noded piece longer than the maximum block length is cut into the "
            "fewest EQUAL parts no longer than it, as in Hot Routes (Tompson, Partridge & "
            "Shepherd 2009); every vertex is kept. 0 keeps pieces whole. Lengths come from "
            "the geometry, never from a length attribute.\n\n"
            "Names: an unnamed footway, path or steps within 20 m of a named street and "
            "running within 30 degrees of its direction takes that street's name. description "
            "says what each block is: 'High St between Mill Ln and Bridge St', 'footway "
            "beside High St', 'steps off High St'.\n\n"
            "Ids: block_id is the link id, a colon and the part number (e.g. 'A12:3' for the "
            "third part of link A12), parts numbered along the link, so the same input always "
            "gives the same ids. Link id, name and class fields are found "
            "automatically for OS Open Roads, MasterMap Highways and OSM; a Real id prints "
            "without '.0'; an id field with one value for all links is replaced by feature "
            "ids. from_node and to_node number the junctions (used for smoothing)."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.INPUT, tr("Road links"), [QgsProcessing.TypeVectorLine]
            ),
            "Road lines in any CRS: OS Open Roads RoadLink, MasterMap Highways RoadLink, an "
            "OSM extract (file.osm.pbf|layername=lines) or any line layer.",
        )
        self.add(
            _metre_distance(self.MAX_LENGTH, "Maximum block length", DEFAULT_MAX_LENGTH_M),
            "Pieces longer than this are cut into equal parts no longer than it. In the "
            "layer's units (metres for a layer in degrees); without a value, 100 m. 0 keeps "
            "pieces whole.",
        )
        self.add(
            QgsProcessingParameterBoolean(self.NODE, tr("Split links at junctions"), True),
            "Cut links where another link's end lies on them or where links share a vertex "
            "(OSM: a node), so T-junctions connect. Lines that only cross never connect.",
        )
        self.add(
            _metre_distance(self.GAP, "Join loose ends within", DEFAULT_GAP_M),
            "A link end that touches nothing is joined to a link this close (not for OSM, "
            "whose ways connect only at shared nodes). In the layer's units; without a value, "
            "1 m. 0 = off.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterBoolean(
                self.ROADS_ONLY, tr("OSM: keep only streets and paths"), True
            ),
            "For an OpenStreetMap layer, keep only ways people walk or drive along (see the "
            "help for the list); off keeps every line.",
            advanced=True,
        )
        for param_id, label, role in (
            (
                self.ID_FIELD,
                tr("Link id field"),
                tr("the link's identifier (block ids build on it)"),
            ),
            (
                self.NAME_FIELD,
                tr("Street name field"),
                tr("the street name printed on maps and briefs"),
            ),
            (self.CLASS_FIELD, tr("Road class field"), tr("the road classification")),
        ):
            self.add(
                QgsProcessingParameterField(
                    param_id, label, parentLayerParameterName=self.INPUT, optional=True
                ),
                tr(
                    "Field holding {role}. Empty: detected from OS Open Roads, MasterMap "
                    "Highways or OSM field names."
                ).format(role=role),
                advanced=True,
            )
        self.add(
            QgsProcessingParameterExpression(
                self.EXCLUDE,
                tr("Exclude links where"),
                parentLayerParameterName=self.INPUT,
                optional=True,
            ),
            "Links for which this expression is true are left out, e.g. "
            "\"road_classification\" = 'Motorway'. Excluded links are counted in the log.",
        )
        self.add(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, tr("Blocks"), QgsProcessing.TypeVectorLine
            ),
            "One line per block: block_id, link_id, part, name, description, road_class, "
            "length_m (true metres), from_node, to_node.",
        )
        for output_id, label in (
            ("BLOCK_COUNT", "Blocks written"),
            ("LINK_COUNT", "Links read"),
            ("EXCLUDED_COUNT", "Links excluded (expression or OSM rules)"),
            ("SKIPPED_COUNT", "Links skipped (null, empty, zero or sub-centimetre length)"),
            ("JUNCTION_COUNT", "Junctions made by noding"),
            ("COMPONENT_COUNT", "Connected components of the blocks"),
            ("ISOLATED_COUNT", "Blocks touching no other block"),
        ):
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))

    def output_specs(self):
        return [OutputSpec(self.OUTPUT, "Blocks")]

    def processAlgorithm(self, parameters, context, feedback):
        # The core and the readers load numpy, pandas and shapely: only once a run starts.
        from dataclasses import replace

        import numpy as np

        from ..hotblocking.blocks import block_ids, chain_nodes, renumber_parts, split_links
        from ..hotblocking.clock import DEFAULT_TIMEZONE
        from ..hotblocking.describe import describe_blocks
        from ..hotblocking.network import connectivity
        from ..hotblocking.noding import node_network
        from ..hotblocking.osm import is_osm_layer
        from .bridge import Column, input_layer, plain_values, read_layer, write_output

        steps = QgsProcessingMultiStepFeedback(4, feedback)
        destinations = self.destinations(parameters, context)
        links_input = input_layer(self, parameters, self.INPUT, context)
        source, layer = links_input.source, links_input.layer
        exclude = self.parameterAsExpression(parameters, self.EXCLUDE, context)
        field_names = source.fields().names()
        uri = layer.source() if layer is not None else ""
        osm = is_osm_layer(field_names, uri)
        chosen = self._fields(parameters, context, field_names, osm)
        feedback.pushInfo(
            tr("Fields used: link id = {id}, name = {name}, class = {cls}{more}").format(
                id=chosen["id"] or "(feature id)",
                name=chosen["name"] or "(none)",
                cls=chosen["class"] or "(none)",
                more=_more_fields(chosen),
            )
        )
        links = read_layer(
            links_input,
            sorted({f for f in chosen.values() if f}),
            tz=DEFAULT_TIMEZONE,
            feedback=steps,
        )
        n_links = len(links)
        layer_crs = source.sourceCrs()
        geoms, crs = self._metric(links.geometries, layer_crs, context, feedback)
        steps.setCurrentStep(1)
        check_cancel(feedback)

        max_length = resolve_distance(
            self, parameters, self.MAX_LENGTH, context, DEFAULT_MAX_LENGTH_M, layer_crs, crs
        )
        gap = resolve_distance(self, parameters, self.GAP, context, DEFAULT_GAP_M, layer_crs, crs)
        for key, distance, default in (
            (self.MAX_LENGTH, max_length, DEFAULT_MAX_LENGTH_M),
            (self.GAP, gap, DEFAULT_GAP_M),
        ):
            warning = default_mismatch(distance, key, default, layer_crs)
            if warning:
                feedback.pushWarning(warning)
        per_unit = metres_per_unit(crs) or 1.0
        node = self.parameterAsBool(parameters, self.NODE, context)
        mode = ("shared_vertex" if osm else "touch") if node else "none"
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

        keep = self._keep(parameters, context, source, links, chosen, osm, exclude, feedback)
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
        link_ids = self._link_ids(links, chosen["id"], feedback)
        ids = block_ids(link_ids[source_rows], part, source_rows)
        self._log_skipped(feedback, net, len(kept))
        steps.setCurrentStep(2)
        check_cancel(feedback)

        names = self._names(links, chosen, source_rows)
        classes = self._text(links, chosen["class"], source_rows)
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
        self._log_network(feedback, before, after, net, described, len(ids))
        steps.setCurrentStep(3)
        check_cancel(feedback)

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
        columns = [Column(f.name, f.kind, values[f.name]) for f in schema.BLOCKS.fields]
        out = write_output(
            destinations[self.OUTPUT],
            schema.BLOCKS.table,
            split.geometry,
            schema.BLOCKS.geometry,
            crs,
            columns,
            context=context,
            spatial_index="auto",
            feedback=steps,
        )
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
        style_output(context, out, "blocks", feedback)
        return {
            self.OUTPUT: out,
            "BLOCK_COUNT": len(ids),
            "LINK_COUNT": n_links,
            "EXCLUDED_COUNT": n_excluded,
            "SKIPPED_COUNT": skipped,
            "JUNCTION_COUNT": net.cuts,
            "COMPONENT_COUNT": after.components,
            "ISOLATED_COUNT": after.isolated,
        }

    # --- reading -------------------------------------------------------------------------------

    def _fields(self, parameters, context, field_names, osm) -> dict:
        chosen = {
            role: (self.parameterAsFields(parameters, param_id, context) or [None])[0]
            or detect_field(field_names, role)
            for role, param_id in (
                ("id", self.ID_FIELD),
                ("name", self.NAME_FIELD),
                ("class", self.CLASS_FIELD),
            )
        }
        for role in ("number", "start_level", "end_level"):
            chosen[role] = detect_field(field_names, role)
        lower = {n.lower(): n for n in field_names}
        chosen["other_tags"] = lower.get("other_tags") if osm else None
        if osm and chosen["number"] == chosen["id"]:
            chosen["number"] = None
        return chosen

    def _metric(self, geometries, layer_crs, context, feedback):
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

    def _keep(self, parameters, context, source, links, chosen, osm, exclude, feedback):
        import numpy as np

        from ..hotblocking.osm import road_filter
        from .bridge import as_text

        keep = np.ones(len(links), dtype=bool)
        if exclude:
            excluded = np.isin(links.fids, self._matching_fids(source, exclude))
            keep &= ~excluded
            if excluded.any():
                feedback.pushInfo(
                    tr("{count} link(s) excluded by: {expression}").format(
                        count=int(excluded.sum()), expression=exclude
                    )
                )
        if osm and self.parameterAsBool(parameters, self.ROADS_ONLY, context):
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

    @staticmethod
    def _matching_fids(source, expression: str):
        import numpy as np

        # Filtering runs in C++; Python only sees the (few) excluded feature ids.
        request = QgsFeatureRequest().setFilterExpression(expression)
        request.setFlags(QgsFeatureRequest.NoGeometry)
        request.setNoAttributes()
        fids = [f.id() for f in source.getFeatures(request)]
        return np.asarray(fids, dtype=np.int64)

    @staticmethod
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

    @staticmethod
    def _text(links, field, rows):
        import numpy as np

        from .bridge import as_text

        if not field:
            return np.full(len(rows), None, dtype=object)
        return as_text(links.attributes[field])[rows]

    def _names(self, links, chosen, rows):
        """Street name, else the road number (A40): a numbered road is named by it."""
        import numpy as np

        from ..hotblocking.describe import is_blank_name
        from ..hotblocking.osm import tag_values
        from .bridge import as_text

        names = self._text(links, chosen["name"], rows)
        number = None
        if chosen.get("number"):
            number = self._text(links, chosen["number"], rows)
        elif chosen.get("other_tags"):
            number = tag_values(as_text(links.attributes[chosen["other_tags"]]), "ref")[rows]
        if number is not None:
            blank = is_blank_name(names)
            names = np.where(blank & (number != None), number, names)  # noqa: E711
        return names

    # --- logging -------------------------------------------------------------------------------

    @staticmethod
    def _log_skipped(feedback, net, n_kept):
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

    @staticmethod
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


def _metre_distance(name: str, label: str, default_m: float) -> QgsProcessingParameterDistance:
    parameter = QgsProcessingParameterDistance(
        name, tr(label), default_m, BuildBlocksAlgorithm.INPUT, minValue=0.0
    )
    parameter.setDefaultUnit(QgsUnitTypes.DistanceMeters)
    return parameter


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
