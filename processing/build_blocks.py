"""hotblocking:buildblocks - road links to street sections ("blocks")."""

from __future__ import annotations

from qgis.core import (
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDistance,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterVectorDestination,
)

from ..hotblocking.fieldnames import detect_field
from .common import HotBlockingAlgorithm, check_cancel, require_projected, tr, write_output
from .styling import style_output


class BuildBlocksAlgorithm(HotBlockingAlgorithm):
    INPUT = "INPUT"
    MAX_LENGTH = "MAX_LENGTH"
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
        return tr("street,segment,road,link,open roads,mastermap,osm,hot routes,split").split(",")

    def shortHelpString(self):
        return tr(
            "Turns road links (OS Open Roads, OS MasterMap Highways RoadLink, OSM roads or any "
            "line layer) into blocks: street sections that incidents are counted on.\n\n"
            "Method: each link (each part of a multi-part link) longer than the maximum block "
            "length is cut into the fewest EQUAL parts no longer than it, as in Hot Routes "
            "(Tompson, Partridge & Shepherd 2009); every original vertex is kept. A maximum "
            "of 0 keeps links whole. Lengths come from the geometry (in the layer's CRS units, "
            "metres for British National Grid), never from a length attribute.\n\n"
            "Ids: block_id is the link id, a colon and the part number (e.g. 'A12:3' for the third "
            "part of link A12), part 1 nearest the link's first vertex, so the same input always "
            "gives the same ids. Link id, name and class fields are found "
            "automatically for OS Open Roads, MasterMap Highways and OSM when left empty; "
            "otherwise the feature id is used as link id.\n\n"
            "Links with no geometry, an empty geometry or zero length are skipped and counted "
            "in the log and SKIPPED_COUNT. The layer must be in a projected CRS."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.INPUT, tr("Road links"), [QgsProcessing.TypeVectorLine]
            ),
            "Road link lines in a projected CRS (e.g. OS Open Roads RoadLink in EPSG:27700).",
        )
        self.add(
            QgsProcessingParameterDistance(
                self.MAX_LENGTH, tr("Maximum block length"), 100.0, self.INPUT, minValue=0.0
            ),
            "Links longer than this are cut into equal parts no longer than it (layer units). "
            "0 keeps links whole.",
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
            "One line per block: block_id, link_id, part, name, road_class, length_m.",
        )
        for output_id, label in (
            ("BLOCK_COUNT", "Blocks written"),
            ("LINK_COUNT", "Links read"),
            ("EXCLUDED_COUNT", "Links excluded by the expression"),
            ("SKIPPED_COUNT", "Links skipped (null, empty or zero length)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))

    def processAlgorithm(self, parameters, context, feedback):
        # The core and the readers load numpy, pandas and shapely: only once a run starts.
        import numpy as np

        from ..hotblocking.blocks import block_ids, split_links
        from .bridge import read_source
        from .gpkg_writer import Column

        steps = QgsProcessingMultiStepFeedback(3, feedback)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        require_projected(source.sourceCrs(), tr("The road links layer"))
        max_length = self.parameterAsDouble(parameters, self.MAX_LENGTH, context)
        exclude = self.parameterAsExpression(parameters, self.EXCLUDE, context)
        field_names = source.fields().names()
        chosen = {
            role: (self.parameterAsFields(parameters, param_id, context) or [None])[0]
            or detect_field(field_names, role)
            for role, param_id in (
                ("id", self.ID_FIELD),
                ("name", self.NAME_FIELD),
                ("class", self.CLASS_FIELD),
            )
        }
        feedback.pushInfo(
            tr("Fields used: link id = {id}, name = {name}, class = {class}").format(
                **{
                    k: v or "(feature id)" if k == "id" else v or "(none)"
                    for k, v in chosen.items()
                }
            )
        )

        links = read_source(source, layer, [f for f in chosen.values() if f], steps)
        n_links = len(links)
        keep = np.ones(n_links, dtype=bool)
        if exclude:
            excluded_fids = self._matching_fids(source, exclude)
            keep = ~np.isin(links.fids, excluded_fids)
        n_excluded = int((~keep).sum())
        steps.setCurrentStep(1)
        check_cancel(feedback)

        kept_index = np.flatnonzero(keep)
        split = split_links(links.geometries[kept_index], max_length)
        source_rows = kept_index[split.link_index]
        link_ids = self._link_ids(links, chosen["id"])
        ids = block_ids(link_ids[source_rows], split.part, source_rows)
        for reason, count in zip(*np.unique(split.rejected_reason, return_counts=True)):
            feedback.reportError(
                tr("{count} link(s) skipped: {reason}").format(count=count, reason=reason), False
            )
        if n_excluded:
            feedback.pushInfo(
                tr("{count} link(s) excluded by: {expression}").format(
                    count=n_excluded, expression=exclude
                )
            )
        steps.setCurrentStep(2)
        check_cancel(feedback)

        columns = [
            Column("block_id", "text", ids),
            Column("link_id", "text", link_ids[source_rows]),
            Column("part", "int", split.part),
            Column("name", "text", self._text(links, chosen["name"], source_rows)),
            Column("road_class", "text", self._text(links, chosen["class"], source_rows)),
            Column("length_m", "real", split.length),
        ]
        destination = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        uri = write_output(
            destination,
            "blocks",
            split.geometry,
            "LineString",
            source.sourceCrs(),
            columns,
            spatial_index="auto",
            feedback=steps,
        )
        check_cancel(feedback)
        feedback.pushInfo(
            tr(
                "{blocks} blocks from {used} links ({read} read, {excluded} excluded, "
                "{skipped} skipped)."
            ).format(
                blocks=len(ids),
                used=n_links - n_excluded - len(split.rejected_index),
                read=n_links,
                excluded=n_excluded,
                skipped=len(split.rejected_index),
            )
        )
        style_output(context, uri, "blocks", feedback)
        return {
            self.OUTPUT: uri,
            "BLOCK_COUNT": len(ids),
            "LINK_COUNT": n_links,
            "EXCLUDED_COUNT": n_excluded,
            "SKIPPED_COUNT": len(split.rejected_index),
        }

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
    def _link_ids(links, id_field):
        from .bridge import as_text

        if id_field:
            return as_text(links.attributes[id_field])
        return links.fids.astype(str).astype(object)

    @staticmethod
    def _text(links, field, rows):
        import numpy as np

        from .bridge import as_text

        if not field:
            return np.full(len(rows), None, dtype=object)
        return as_text(links.attributes[field])[rows]
