"""hotblocking:taskingbrief - a printed patrol tasking brief (PDF) from computerisk output."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from qgis.core import (
    QgsLayoutExporter,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProject,
    QgsRenderContext,
)

from ..hotblocking import schema
from ..plugin_metadata import plugin_version
from .common import HotBlockingAlgorithm, tr
from .units import true_metres_per_unit

if TYPE_CHECKING:  # heavy: imported when an algorithm runs, not when QGIS starts
    import numpy as np
    import pandas as pd

try:  # QGIS >= 3.26
    from qgis.core import Qgis

    ALWAYS_TEXT = Qgis.TextRenderFormat.AlwaysText
except AttributeError:  # QGIS 3.22
    ALWAYS_TEXT = QgsRenderContext.TextFormatAlwaysText

BLOCK_MAP_WIDTH_M = 420.0  # a block page's map shows at least this many metres across


class TaskingBriefAlgorithm(HotBlockingAlgorithm):
    HOTBLOCKS = "HOTBLOCKS"
    WINDOW = "WINDOW"
    WINDOWS = "WINDOWS"
    TOP_N = "TOP_N"
    CONTEXT = "CONTEXT"
    TITLE = "TITLE"
    AREA = "AREA"
    PREPARED_BY = "PREPARED_BY"
    MARKING = "MARKING"
    MIN_COUNT_SHOWN = "MIN_COUNT_SHOWN"
    VISITS = "VISITS"
    VISIT_MINUTES = "VISIT_MINUTES"
    SEED = "SEED"
    OUTPUT = "OUTPUT"
    PAGE_COUNT = "PAGE_COUNT"

    def name(self):
        return "taskingbrief"

    def displayName(self):
        return tr("Patrol tasking brief (PDF)")

    def shortDescription(self):
        return tr(
            "A printable A4 brief of the top hot blocks in one time window, with maps, "
            "hour-of-week charts and randomised patrol visits."
        )

    def tags(self):
        return tr("brief,tasking,patrol,pdf,print,layout,hot spot,hot block,koper,briefing").split(
            ","
        )

    def flags(self):
        # Print layouts and a private QgsProject are not thread-safe: run on the main
        # thread, as QGIS's own "Export print layout as PDF" does.
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def shortHelpString(self):
        return tr(
            "Makes an A4 portrait PDF tasking brief for patrols from the output of 'Compute "
            "hot-block risk by time window', for one time window.\n\n"
            "Page 1 (cover): title, area, window, data period (first to last incident in the "
            "window), incidents by source, an overview map (top blocks numbered by rank) and a "
            "table: rank, street, section (block_id), incidents by source, total, harm, peak "
            "hour. Then one page per top block: a street-level map with the block "
            "highlighted, an hour-of-week chart (7 days x 24 hours, shaded by the block's "
            "incidents, the window's hours outlined), 'Why it is hot' (counts, harm, share of "
            "the area's incidents, significance against the count its share of network length "
            "predicts, trend), 'When to go' (peak hours and a patrol plan) and a box for "
            "officer notes. Every page carries the protective marking (top and bottom), page "
            "x of y, generation time, plugin version and data period.\n\n"
            "Patrol plan: VISITS visits of VISIT_MINUTES minutes (Koper curve: about 10 "
            "minutes is the threshold, 11-15 optimal) at random start times on a 5-minute grid "
            "inside one week of the window, never overlapping, each wholly inside one "
            "occurrence. Half the chance is spread evenly over the window (unpredictable), "
            "half follows the block's hour-of-week profile (dosage where incidents are). The "
            "same SEED gives the same plans; each block has its own plan.\n\n"
            "Small numbers: with MIN_COUNT_SHOWN = N above 1, every printed count below N (per "
            "source, block totals, area totals) prints as a less-than sign and N (with N = 8: "
            "a count of 3 prints as 'less than 8'); when one count in a row is "
            "hidden, the smallest other is withheld ('*') so it cannot be worked out from the "
            "total; for a block whose total is hidden, harm, shares, peak hours and the chart "
            "are withheld too. Only aggregates per street section are printed, never a "
            "record.\n\n"
            "Window hours: read from the layer's window_spec field (written by 'Compute "
            "hot-block risk'); WINDOWS, when given, must agree with them. Counts are aoristic "
            "(fractional for from/to ranges) and print rounded. Maps are drawn in the layer's "
            "CRS (metres)."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.HOTBLOCKS,
                tr("Hot blocks (risk by time window)"),
                [QgsProcessing.TypeVectorLine],
            ),
            "The output of 'Compute hot-block risk by time window': one line per block per "
            "window with block_id, name, window, incidents, a count per source (n_ and the "
            "source label, e.g. n_police), harm, rank, expected, p_value, q_value, peak, "
            "profile, first_seen, last_seen, trend.",
        )
        self.add(
            QgsProcessingParameterString(self.WINDOW, tr("Time window (label)"), "", optional=True),
            "The window to brief, by its label in the layer (e.g. 'Fri/Sat nights'). Empty: "
            "the first window in the layer.",
        )
        self.add(
            QgsProcessingParameterString(
                self.WINDOWS, tr("Time windows used for the risk computation"), "", optional=True
            ),
            "The 'Time windows' text given to 'Compute hot-block risk', e.g. 'Fri/Sat "
            "nights=Fri-Sat 22:00-04:00; Weekday lunch=weekdays 11:00-15:00': it gives the "
            "window's days and hours (for the chart outline and the patrol plan). Not needed: "
            "the layer stores them (window_spec); when given, they must agree with it.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                self.TOP_N,
                tr("Number of blocks to brief"),
                QgsProcessingParameterNumber.Integer,
                10,
                minValue=1,
                maxValue=200,
            ),
            "The top N blocks by rank in the window get a page each (blocks with no incident "
            "in the window are never briefed).",
        )
        self.add(
            QgsProcessingParameterMultipleLayers(
                self.CONTEXT,
                tr("Context layers (drawn beneath)"),
                QgsProcessing.TypeMapLayer,
                optional=True,
            ),
            "Layers drawn under the blocks on every map, e.g. the road network, buildings or "
            "a basemap. They are drawn in neutral greys (their own style is not used, so the "
            "brief prints well in black and white); the layers themselves are not changed.",
        )
        for param_id, label, default, help_text in (
            (self.TITLE, "Title", "Violence reduction patrol brief", "The brief's title (cover)."),
            (
                self.AREA,
                "Area",
                "",
                "The area covered, e.g. 'West End, Westminster' (cover and page headers).",
            ),
            (self.PREPARED_BY, "Prepared by", "", "Analyst name or unit, printed on the cover."),
            (
                self.MARKING,
                "Protective marking",
                "OFFICIAL-SENSITIVE",
                "Printed in bold at the top and bottom of every page (e.g. OFFICIAL-SENSITIVE).",
            ),
        ):
            self.add(
                QgsProcessingParameterString(param_id, tr(label), default, optional=True), help_text
            )
        self.add(
            QgsProcessingParameterNumber(
                self.MIN_COUNT_SHOWN,
                tr("Smallest count printed (small-number suppression)"),
                QgsProcessingParameterNumber.Integer,
                0,
                minValue=0,
            ),
            "Counts below this print as a less-than sign and this number (e.g. 8: counts of "
            "1-7 print as 'less than 8', NHS-style suppression for briefs shared outside the "
            "police). 0 = off, for internal briefs.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.VISITS,
                tr("Patrol visits per block per week"),
                QgsProcessingParameterNumber.Integer,
                3,
                minValue=0,
                maxValue=50,
            ),
            "Visits planned per block, at random times inside the window's occurrences of one "
            "week.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.VISIT_MINUTES,
                tr("Visit length (minutes)"),
                QgsProcessingParameterNumber.Integer,
                15,
                minValue=1,
                maxValue=240,
            ),
            "Minutes per visit. Koper curve: about 10 minutes is the threshold, 11-15 optimal.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.SEED,
                tr("Random seed"),
                QgsProcessingParameterNumber.Integer,
                0,
                minValue=0,
            ),
            "Seed of the random visit times: the same seed gives the same plans. Change it to "
            "draw new times (e.g. each week).",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, tr("Tasking brief (PDF)"), tr("PDF files (*.pdf)")
            ),
            "The brief as a PDF (A4 portrait, selectable text).",
        )
        self.addOutput(QgsProcessingOutputNumber(self.PAGE_COUNT, tr("Pages")))

    def processAlgorithm(self, parameters, context, feedback):
        # Content, maps and the core load numpy, pandas and shapely: only once a run starts.
        from ..hotblocking.brief_content import BriefOptions, build_content, top_rows
        from ..hotblocking.errors import PatrolPlanError
        from .brief_layout import build_layout
        from .brief_maps import BriefMapLayers

        started = time.perf_counter()
        from .bridge import input_layer

        hot_blocks = input_layer(self, parameters, self.HOTBLOCKS, context)
        source = hot_blocks.source
        frame, geometries = self._read(hot_blocks)
        label, window = self._window(parameters, context, frame)
        rows = frame[schema.WINDOW] == label
        frame, geometries = frame[rows].reset_index(drop=True), geometries[rows.to_numpy()]
        options = BriefOptions(
            title=self.parameterAsString(parameters, self.TITLE, context).strip() or "Patrol brief",
            area=self.parameterAsString(parameters, self.AREA, context).strip(),
            prepared_by=self.parameterAsString(parameters, self.PREPARED_BY, context).strip(),
            marking=self.parameterAsString(parameters, self.MARKING, context).strip(),
            min_shown=self.parameterAsInt(parameters, self.MIN_COUNT_SHOWN, context),
            top_n=self.parameterAsInt(parameters, self.TOP_N, context),
            visits=self.parameterAsInt(parameters, self.VISITS, context),
            visit_minutes=self.parameterAsInt(parameters, self.VISIT_MINUTES, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            version=plugin_version(),
        )
        try:
            content = build_content(frame, window, options)
        except PatrolPlanError as error:
            raise QgsProcessingException(tr("Patrol plan: {error}").format(error=error)) from error
        if not content.blocks:
            raise QgsProcessingException(
                tr("No block has any incident in window '{window}': nothing to brief.").format(
                    window=label
                )
            )
        if len(content.blocks) < options.top_n:
            feedback.pushWarning(
                tr(
                    "Only {count} blocks have incidents in '{window}': the brief has {count} "
                    "block pages, not {top_n}."
                ).format(count=len(content.blocks), window=label, top_n=options.top_n)
            )
        feedback.pushInfo(
            tr(
                "Window '{window}' ({words}); {briefed} blocks briefed of {rows}; data {period}."
            ).format(
                window=label,
                words=content.window_words,
                briefed=len(content.blocks),
                rows=len(frame),
                period=content.period,
            )
        )
        top = top_rows(frame, options.top_n)
        top_specs = [
            (page.order, page.label, page.block_id, page.name, geometries[index])
            for page, index in zip(content.blocks, top.index)
        ]
        if any(g is None for *_, g in top_specs):
            raise QgsProcessingException(tr("A top block has no geometry: cannot map it."))

        project = QgsProject()  # private: never QgsProject.instance() (headless, modeller)
        crs = source.sourceCrs()
        project.setCrs(crs)
        # Scale bars measure on the ellipsoid: true metres in any CRS (Web Mercator's planar
        # metres are x1.6 too long in the UK; feet are converted either way).
        project.setEllipsoid("EPSG:7030")
        metres = true_metres_per_unit(crs, source.sourceExtent(), context.transformContext())
        metadata = project.metadata()
        metadata.setTitle(options.title)
        metadata.setAuthor(options.prepared_by)
        project.setMetadata(metadata)
        context_layers = self.parameterAsLayerList(parameters, self.CONTEXT, context) or []
        window_blocks = self._window_layer(parameters, context, label)
        layers = BriefMapLayers(
            project,
            crs,
            frame,
            geometries,
            top_specs,
            context_layers,
            window_blocks,
            block_width=BLOCK_MAP_WIDTH_M / metres,
        )
        layout = build_layout(project, content, layers, crs, feedback)
        if feedback.isCanceled():
            return {}
        built = time.perf_counter()
        path = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        settings = QgsLayoutExporter.PdfExportSettings()
        settings.dpi = 300
        settings.rasterizeWholeImage = False
        settings.forceVectorOutput = True
        settings.textRenderFormat = ALWAYS_TEXT  # selectable, searchable text
        settings.appendGeoreference = False
        settings.exportMetadata = True
        exporter = QgsLayoutExporter(layout)
        result = exporter.exportToPdf(path, settings)
        if result != QgsLayoutExporter.Success:
            raise QgsProcessingException(
                tr("Could not write the PDF {path}: {error}").format(
                    path=path, error=exporter.errorMessage()
                )
            )
        pages = layout.pageCollection().pageCount()
        done = time.perf_counter()
        feedback.pushInfo(
            tr(
                "{pages} pages written to {path}: read and layout {layout:.2f} s, PDF export "
                "{export:.2f} s ({per_page:.2f} s a page)."
            ).format(
                pages=pages,
                path=path,
                layout=built - started,
                export=done - built,
                per_page=(done - started) / pages,
            )
        )
        return {self.OUTPUT: path, self.PAGE_COUNT: pages}

    @staticmethod
    def _read(hot_blocks) -> tuple[pd.DataFrame, np.ndarray]:
        from ..hotblocking.brief_content import BRIEF_FIELDS
        from ..hotblocking.clock import DEFAULT_TIMEZONE
        from .bridge import read_hot_blocks

        names = hot_blocks.source.fields().names()
        missing = [n for n in BRIEF_FIELDS if n not in names]
        if missing:
            raise QgsProcessingException(
                tr(
                    "The hot blocks layer lacks {fields}: give the output of 'Compute hot-block "
                    "risk by time window'."
                ).format(fields=", ".join(missing))
            )
        optional = [schema.DESCRIPTION] if schema.DESCRIPTION in names else []
        wanted = list(BRIEF_FIELDS) + optional + schema.source_fields(names)
        return read_hot_blocks(hot_blocks, wanted, DEFAULT_TIMEZONE)

    def _window_layer(self, parameters, context, label):
        """The input layer itself, filtered to the window, for the maps: copying every block
        into a memory layer would cost ~20 s on a 500k-block network. None for layers that
        cannot be filtered (the maps then copy the window's rows)."""
        layer = self.parameterAsVectorLayer(parameters, self.HOTBLOCKS, context)
        if layer is None or layer.providerType() not in ("ogr", "memory", "postgres", "spatialite"):
            return None
        clone = layer.clone()
        quoted = label.replace("'", "''")
        if not clone.setSubsetString(f"\"{schema.WINDOW}\" = '{quoted}'"):
            return None
        return clone

    def _window(self, parameters, context, frame):
        from ..hotblocking.errors import WindowSpecError
        from ..hotblocking.windows import parse_windows, stored_window

        labels = list(dict.fromkeys(v for v in frame[schema.WINDOW] if v is not None))
        if not labels:
            raise QgsProcessingException(tr("The hot blocks layer has no rows (no window label)."))
        wanted = self.parameterAsString(parameters, self.WINDOW, context).strip()
        if not wanted:
            label = labels[0]
        else:
            found = [v for v in labels if v.casefold() == wanted.casefold()]
            if not found:
                raise QgsProcessingException(
                    tr(
                        "Window '{window}' is not in the hot blocks layer; its windows are: "
                        "{windows}."
                    ).format(window=wanted, windows=", ".join(f"'{v}'" for v in labels))
                )
            label = found[0]
        spec = self.parameterAsString(parameters, self.WINDOWS, context).strip()
        given = bool(spec)
        if not given:  # computerisk stores each window's definition
            stored = frame.loc[frame[schema.WINDOW] == label, schema.WINDOW_SPEC].dropna()
            spec = stored.iloc[0] if len(stored) else ""
        if not spec:
            raise QgsProcessingException(
                tr(
                    "The days and hours of window '{window}' are not stored in the layer: give "
                    "'Time windows used for the risk computation' (WINDOWS), e.g. "
                    "'{window}=Fri-Sat 22:00-04:00', the same text given to 'Compute hot-block "
                    "risk'."
                ).format(window=label)
            )
        try:
            defined = parse_windows(spec) if given else [stored_window(label, spec)]
        except WindowSpecError as error:
            raise QgsProcessingException(tr("Time windows: {error}").format(error=error)) from error
        window = next((w for w in defined if w.label.casefold() == label.casefold()), None)
        if window is None:
            raise QgsProcessingException(
                tr(
                    "Window '{window}' is not among the time windows given ({windows}): give "
                    "the same 'Time windows' text used for the risk computation."
                ).format(window=label, windows=", ".join(f"'{w.label}'" for w in defined))
            )
        stored = frame.loc[frame[schema.WINDOW] == label, schema.WINDOW_SPEC].dropna()
        if given and len(stored) and not _same_hours(stored_window(label, stored.iloc[0]), window):
            raise QgsProcessingException(
                tr(
                    "Window '{window}' is given as '{given}', but the layer was computed with "
                    "'{stored}': leave 'Time windows' empty to use the layer's own."
                ).format(window=label, given=window.spec, stored=stored.iloc[0])
            )
        return label, window


def _same_hours(a, b) -> bool:
    """Two windows covering the same days and hours (labels aside)."""
    return (a.days, a.start_min, a.end_min, a.whole_period) == (
        b.days,
        b.start_min,
        b.end_min,
        b.whole_period,
    )
