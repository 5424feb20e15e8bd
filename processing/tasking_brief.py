"""hotblocking:taskingbrief - a printed patrol tasking brief (PDF) from computerisk output."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterString,
)

from ..hotblocking import schema
from . import brief_step
from .brief_step import add_brief_parameters, add_pdf_destination, add_window_choice
from .common import HotBlockingAlgorithm, add_timezone_parameter, timezone_of, tr
from .units import true_metres_per_unit

if TYPE_CHECKING:  # heavy: imported when an algorithm runs, not when QGIS starts
    import numpy as np
    import pandas as pd


class TaskingBriefAlgorithm(HotBlockingAlgorithm):
    HOTBLOCKS = "HOTBLOCKS"
    WINDOW = brief_step.WINDOW
    WINDOWS = "WINDOWS"
    EVERY_WINDOW = brief_step.EVERY_WINDOW
    TOP_N = brief_step.TOP_N
    CONTEXT = brief_step.CONTEXT
    TITLE = brief_step.TITLE
    AREA = brief_step.AREA
    PREPARED_BY = brief_step.PREPARED_BY
    MARKING = brief_step.MARKING
    MIN_COUNT_SHOWN = brief_step.MIN_COUNT_SHOWN
    VISITS = brief_step.VISITS
    VISIT_MINUTES = brief_step.VISIT_MINUTES
    SEED = brief_step.SEED
    POLICE_UK_NOTE = brief_step.POLICE_UK_NOTE
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
        add_window_choice(self)
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
        add_brief_parameters(self)
        add_timezone_parameter(self)
        add_pdf_destination(self, self.OUTPUT)
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
        from .bridge import input_layer  # loads numpy, pandas, shapely: only once a run starts

        hot_blocks = input_layer(self, parameters, self.HOTBLOCKS, context)
        source = hot_blocks.source
        whole, geometries = self._read(hot_blocks)
        windows = brief_step.choose_windows(
            whole,
            self.parameterAsString(parameters, self.WINDOW, context),
            self.parameterAsString(parameters, self.WINDOWS, context),
        )
        options = brief_step.brief_options(self, parameters, context)
        crs = source.sourceCrs()
        metres = true_metres_per_unit(crs, source.sourceExtent(), context.transformContext())
        path = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        pages = brief_step.make_brief(
            whole,
            geometries,
            windows,
            options,
            crs,
            metres,
            self.parameterAsLayerList(parameters, self.CONTEXT, context) or [],
            self.parameterAsVectorLayer(parameters, self.HOTBLOCKS, context),
            path,
            feedback,
        )
        if feedback.isCanceled():
            return {}
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
