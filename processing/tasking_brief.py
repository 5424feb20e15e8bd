"""hotblocking:taskingbrief - a printed patrol tasking brief (PDF) from computerisk output."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import TYPE_CHECKING

from qgis.core import (
    QgsLayoutExporter,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
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
from .common import HotBlockingAlgorithm, add_timezone_parameter, timezone_of, tr
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
    EVERY_WINDOW = "*"
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
    POLICE_UK_NOTE = "POLICE_UK_NOTE"
    OUTPUT = "OUTPUT"
    PAGE_COUNT = "PAGE_COUNT"

    def name(self):
        return "taskingbrief"

    def displayName(self):
        return tr("Patrol tasking brief (PDF)")

    def shortDescription(self):
        return tr(
            "A printable A4 brief of the blocks the layer calls hot in one or more time "
            "windows, with maps, hour-of-week charts and randomised patrol visits."
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
            "hot-block risk by time window': one section per time window asked for.\n\n"
            "Which blocks: exactly those the layer calls hot in the window (its hot field), in "
            "rank order, up to 'Number of blocks to brief'. Blocks tied at the rank of the last "
            "place are all listed, and the brief says so; when the layer calls more or fewer "
            "blocks hot, the brief says how many. A block hot only through network smoothing "
            "(little or nothing of its own) is marked 'next to hot streets' with its own "
            "count.\n\n"
            "Each section: a cover (window, data period, incidents by source, an overview map "
            "with the listed blocks numbered by rank, and a table: rank, street, section "
            "(block_id), incidents by source, total, harm, peak hour), then one page per "
            "block: a street-level map, an hour-of-week chart of the whole week (7 days x 24 "
            "hours, shaded by the block's incidents) with the window's hours outlined, 'Why "
            "it is hot' (counts, harm, share of the area's incidents, significance against "
            "the count its share of network length predicts, in words with its q value, and "
            "the trend and pattern in words with their p value; all withheld below a minimum "
            "count), 'When to go' (peak hours inside the window and a patrol plan) and a box "
            "for officer notes. Every page carries the protective marking (top and bottom), "
            "page x of y, generation time, plugin version and data period.\n\n"
            "Whole-period ('all') windows have no hours: a block there gets no chart and no "
            "peak hours when some of its records have no time of day (a date or month only), "
            "and the brief says how many. The method note states the data.police.uk "
            "anonymisation caveat when the layer shows month-only records or when asked.\n\n"
            "Patrol plan: VISITS visits of VISIT_MINUTES minutes (Koper curve: about 10 "
            "minutes is the threshold, 11-15 optimal) at random start times on a 5-minute grid "
            "inside one week of the window, never overlapping, each wholly inside one "
            "occurrence. Half the chance is spread evenly over the window (unpredictable), "
            "half follows the block's hour-of-week profile (dosage where incidents are). The "
            "same SEED gives the same plans; each block has its own plan. Times are wall-clock "
            "times of the time zone (give the one 'Compute hot-block risk' used).\n\n"
            "Small numbers: with MIN_COUNT_SHOWN = N above 1, every printed count below N (per "
            "source, block totals, area totals) prints as a less-than sign and N (with N = 8: "
            "a count of 3 prints as 'less than 8'), and further counts are withheld ('*') "
            "until none of the hidden ones can be worked out from the figures printed (row "
            "and column totals, the area's totals): each could still be anything over at "
            "least half of 0 to N. For a block whose total is hidden, harm, peak hours and "
            "the chart are withheld too. Only aggregates per street section are printed, "
            "never a record.\n\n"
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
            "source label, e.g. n_police), events, harm, risk, rank, expected, p_value, "
            "q_value, hot, peak, profile, first_seen, last_seen, trend_p, trend_word, pattern, "
            "window_spec and sources.",
        )
        self.add(
            QgsProcessingParameterString(
                self.WINDOW, tr("Time window(s) (labels)"), "", optional=True
            ),
            "The window to brief, by its label in the layer (e.g. 'Fri/Sat nights'), or several "
            "separated by ';' (e.g. 'Fri/Sat nights; Weekday lunch'): one section each, in "
            "that order. '*': every window in the layer. Empty: the first window in the layer.",
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
            "At most this many of the blocks the layer calls hot in a window get a page each, "
            "in rank order; blocks tied at the last place are all listed (the brief says so).",
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
            QgsProcessingParameterBoolean(
                self.POLICE_UK_NOTE,
                tr("State the data.police.uk location caveat"),
                False,
                optional=True,
            ),
            "Print in the method note that data.police.uk locations are anonymised (crimes "
            "moved to shared map points). It is printed anyway when the layer shows records "
            "known by month only, as data.police.uk publishes them.",
        )
        add_timezone_parameter(self)
        self.add(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, tr("Tasking brief (PDF)"), tr("PDF files (*.pdf)")
            ),
            "The brief as a PDF (A4 portrait, selectable text).",
        )
        self.addOutput(QgsProcessingOutputNumber(self.PAGE_COUNT, tr("Pages")))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            timezone_of(self, parameters, context)
        except QgsProcessingException as error:
            return False, str(error)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):
        # Content, maps and the core load numpy, pandas and shapely: only once a run starts.
        from ..hotblocking.brief_content import BriefOptions, layer_facts
        from .bridge import input_layer
        from .brief_layout import build_layout
        from .brief_maps import BriefMapLayers

        started = time.perf_counter()
        hot_blocks = input_layer(self, parameters, self.HOTBLOCKS, context)
        source = hot_blocks.source
        whole, geometries = self._read(hot_blocks)
        windows = self._windows(parameters, context, whole)
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
            timezone=timezone_of(self, parameters, context),
            police_uk_note=self.parameterAsBoolean(parameters, self.POLICE_UK_NOTE, context),
            version=plugin_version(),
        )
        facts = layer_facts(whole, options.min_shown)
        self._log_untimed(feedback, facts)
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
        sections = []
        for number, (label, window) in enumerate(windows, start=1):
            rows = (whole[schema.WINDOW] == label).to_numpy()
            frame = whole[rows].reset_index(drop=True)
            content = self._content(frame, window, options, facts, feedback)
            content.section, content.sections = number, len(windows)
            top_specs = [
                (page.order, page.label, page.block_id, page.name, geometries[rows][index])
                for page, index in zip(content.blocks, content.row_index)
            ]
            if any(g is None for *_, g in top_specs):
                raise QgsProcessingException(tr("A listed block has no geometry: cannot map it."))
            layers = BriefMapLayers(
                project,
                crs,
                frame,
                geometries[rows],
                top_specs,
                context_layers,
                self._window_layer(parameters, context, label),
                block_width=BLOCK_MAP_WIDTH_M / metres,
            )
            sections.append((content, layers))
        if not any(content.blocks for content, _ in sections):
            raise QgsProcessingException(
                tr(
                    "The layer calls no block hot in {windows}: nothing to brief (see its hot "
                    "field, set by 'Compute hot-block risk')."
                ).format(windows=", ".join(f"window '{label}'" for label, _ in windows))
            )
        layout = build_layout(project, sections, crs, feedback)
        if feedback.isCanceled():
            return {}
        built = time.perf_counter()
        path = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        pages = self._export(layout, path)
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
    def _content(frame, window, options, facts, feedback):
        """One window's section, with its choices in the log."""
        from ..hotblocking.brief_content import build_content
        from ..hotblocking.errors import PatrolPlanError

        try:
            content = build_content(frame, window, options, facts)
        except PatrolPlanError as error:
            raise QgsProcessingException(tr("Patrol plan: {error}").format(error=error)) from error
        label = window.label
        feedback.pushInfo(
            tr(
                "Window '{window}' ({words}): the layer calls {hot} blocks hot; {listed} "
                "listed of {rows}; data {period}."
            ).format(
                window=label,
                words=content.window_words,
                hot=content.hot_count,
                listed=len(content.blocks),
                rows=len(frame),
                period=content.period,
            )
        )
        for note in content.selection_notes:
            feedback.pushWarning(tr("Window '{window}': {note}").format(window=label, note=note))
        neighbours = sum(page.neighbour for page in content.blocks)
        if neighbours:
            feedback.pushInfo(
                tr(
                    "Window '{window}': {count} listed block(s) hot through the streets next "
                    "to them (network smoothing), marked 'next to hot streets'."
                ).format(window=label, count=neighbours)
            )
        return content

    @staticmethod
    def _log_untimed(feedback, facts) -> None:
        if facts.untimed is None:
            feedback.pushInfo(
                tr(
                    "Records without a time of day (a date or month only): not known from this "
                    "layer, which has no whole-period ('all') window; they count in no "
                    "time-of-day window ('Compute hot-block risk' logs how many there were)."
                )
            )
        else:
            feedback.pushInfo(
                tr(
                    "Records without a time of day (a date or month only): {count}, from the "
                    "layer's whole-period window '{window}'; they count in no time-of-day "
                    "window."
                ).format(count=f"{facts.untimed:,.0f}", window=facts.untimed_window)
            )
        if facts.month_precision:
            feedback.pushInfo(
                tr(
                    "Some records are known by month only (as data.police.uk publishes): the "
                    "brief states its location anonymisation caveat."
                )
            )

    @staticmethod
    def _export(layout, path) -> int:
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
        return layout.pageCollection().pageCount()

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

    def _windows(self, parameters, context, frame) -> list:
        """The (label, Window) of each window asked for, in the order asked."""
        from ..hotblocking.errors import WindowSpecError
        from ..hotblocking.windows import parse_windows, stored_window

        labels = list(dict.fromkeys(v for v in frame[schema.WINDOW] if v is not None))
        if not labels:
            raise QgsProcessingException(tr("The hot blocks layer has no rows (no window label)."))
        chosen = self._labels(self.parameterAsString(parameters, self.WINDOW, context), labels)
        spec = self.parameterAsString(parameters, self.WINDOWS, context).strip()
        try:
            given = parse_windows(spec) if spec else []
        except WindowSpecError as error:
            raise QgsProcessingException(tr("Time windows: {error}").format(error=error)) from error
        out = []
        for label in chosen:
            stored = frame.loc[frame[schema.WINDOW] == label, schema.WINDOW_SPEC].dropna()
            try:
                own = stored_window(label, stored.iloc[0]) if len(stored) else None
            except WindowSpecError as error:
                raise QgsProcessingException(
                    tr("Time windows: {error}").format(error=error)
                ) from error
            window = own
            if given:
                window = next((w for w in given if w.label.casefold() == label.casefold()), None)
                if window is None:
                    raise QgsProcessingException(
                        tr(
                            "Window '{window}' is not among the time windows given ({windows}): "
                            "give the same 'Time windows' text used for the risk computation."
                        ).format(window=label, windows=", ".join(f"'{w.label}'" for w in given))
                    )
                if own is not None and not _same_hours(own, window):
                    raise QgsProcessingException(
                        tr(
                            "Window '{window}' is given as '{given}', but the layer was computed "
                            "with '{stored}': leave 'Time windows' empty to use the layer's own."
                        ).format(window=label, given=window.spec, stored=stored.iloc[0])
                    )
            if window is None:
                raise QgsProcessingException(
                    tr(
                        "The days and hours of window '{window}' are not stored in the layer: "
                        "give 'Time windows used for the risk computation' (WINDOWS), e.g. "
                        "'{window}=Fri-Sat 22:00-04:00', the same text given to 'Compute "
                        "hot-block risk'."
                    ).format(window=label)
                )
            out.append((label, dataclasses.replace(window, label=label)))
        return out

    def _labels(self, wanted: str, labels: list[str]) -> list[str]:
        """The layer's labels asked for: one, several separated by ';', '*' for all (a
        window really labelled '*' wins), empty for the first."""
        wanted = wanted.strip()
        if not wanted:
            return labels[:1]
        if wanted == self.EVERY_WINDOW and wanted not in labels:
            return labels
        chosen = []
        for part in (p.strip() for p in wanted.split(";")):
            if not part:
                continue
            found = [v for v in labels if v.casefold() == part.casefold()]
            if not found:
                raise QgsProcessingException(
                    tr(
                        "Window '{window}' is not in the hot blocks layer; its windows are: "
                        "{windows}."
                    ).format(window=part, windows=", ".join(f"'{v}'" for v in labels))
                )
            if found[0] not in chosen:
                chosen.append(found[0])
        return chosen or labels[:1]


def _same_hours(a, b) -> bool:
    """Two windows covering the same days and hours (labels aside)."""
    return (a.days, a.start_min, a.end_min, a.whole_period) == (
        b.days,
        b.start_min,
        b.end_min,
        b.whole_period,
    )
