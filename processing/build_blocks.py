"""hotblocking:buildblocks - road links to street sections ("blocks")."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
)

from . import blocks_step
from .blocks_step import (
    COUNT_OUTPUTS,
    add_block_parameters,
    add_blocks_destination,
    add_links_input,
)
from .common import HotBlockingAlgorithm, check_cancel, tr
from .destinations import OutputSpec
from .styling import style_output


class BuildBlocksAlgorithm(HotBlockingAlgorithm):
    INPUT = "INPUT"
    MAX_LENGTH = blocks_step.MAX_LENGTH
    NODE = blocks_step.NODE
    GAP = blocks_step.GAP
    ROADS_ONLY = blocks_step.ROADS_ONLY
    ID_FIELD = blocks_step.ID_FIELD
    NAME_FIELD = blocks_step.NAME_FIELD
    CLASS_FIELD = blocks_step.CLASS_FIELD
    EXCLUDE = blocks_step.EXCLUDE
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
        add_links_input(self, self.INPUT)
        add_block_parameters(self, self.INPUT)
        add_blocks_destination(self, self.OUTPUT)
        for output_id, label in COUNT_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))

    def output_specs(self):
        return [OutputSpec(self.OUTPUT, "Blocks")]

    def processAlgorithm(self, parameters, context, feedback):
        from .bridge import input_layer  # loads numpy, pandas, shapely: only once a run starts

        steps = QgsProcessingMultiStepFeedback(4, feedback)
        destinations = self.destinations(parameters, context)
        options = blocks_step.block_options(self, parameters, context)
        links_input = input_layer(self, parameters, self.INPUT, context)
        blocks = blocks_step.build_blocks(links_input, options, context, feedback, steps)
        out = blocks_step.write_blocks(destinations[self.OUTPUT], blocks, context, steps)
        check_cancel(feedback)
        style_output(context, out, "blocks", feedback)
        return {self.OUTPUT: out, **blocks.counts}
