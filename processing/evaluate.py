"""hotblocking:evaluate - does the map predict? Hit rate, PAI and RRI of computerisk settings
and baselines on the incidents that came after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..hotblocking import schema
from ..hotblocking.configurations import (
    Configuration,
    parse_configurations,
    parse_levels,
    parse_numbers,
    search_grid,
)
from ..hotblocking.constants import DEFAULT_WINDOWS
from ..hotblocking.errors import OptionError
from .common import (
    HotBlockingAlgorithm,
    add_timezone_parameter,
    check_cancel,
    feedback_callbacks,
    optional_output,
    require_projected,
    timezone_of,
    tr,
)
from .destinations import OutputSpec
from .units import metre_distance

if TYPE_CHECKING:  # heavy: imported when an algorithm runs, not when QGIS starts
    import pandas as pd

# The BASELINES enum's order (saved models and scripts use the indices).
BASELINE_KINDS = (
    "plain counts",
    "previous period",
    "random",
    "grid KDE (cells)",
    "grid KDE (streets)",
)
DEFAULT_CONFIGURATIONS = "computerisk defaults: BANDWIDTH=0, HALF_LIFE_DAYS=0"
DEFAULT_COVERAGES = "1, 2, 5, 10, 20"
BEST_OUTPUTS = [
    ("BEST_HIT_RATE", "hit_rate", "Best: mean hit rate at the search level"),
    ("BEST_HIT_RATE_LOW", "hit_rate_low", "Best: hit rate, low end of its interval"),
    ("BEST_HIT_RATE_HIGH", "hit_rate_high", "Best: hit rate, high end of its interval"),
    ("BEST_PAI", "pai", "Best: mean PAI at the search level"),
    ("BEST_GAIN", "gain", "Best: hit rate minus plain counts'"),
    ("BEST_GAIN_LOW", "gain_low", "Best: gain, low end of its interval"),
    ("BEST_GAIN_HIGH", "gain_high", "Best: gain, high end of its interval"),
]


@dataclass
class _Plan:
    """What to run, parsed and checked before any layer is read."""

    windows: list
    configurations: list[Configuration]
    grid: list[Configuration]
    coverages: tuple[float, ...]
    search_level: float
    tz: str


@dataclass
class _Inputs:
    """The layers as the core takes them."""

    blocks: object  # pandas DataFrame
    geometries: object  # shapely LineStrings, aligned with blocks
    incidents: object  # pandas DataFrame, computerisk's columns
    points: object  # (n, 2) in the blocks' CRS
    crs: object  # QgsCoordinateReferenceSystem of the blocks
    per_unit: float  # metres in one unit of that CRS


class EvaluateAlgorithm(HotBlockingAlgorithm):
    BLOCKS = "BLOCKS"
    INCIDENTS = "INCIDENTS"
    WINDOWS = "WINDOWS"
    SPLIT_DATE = "SPLIT_DATE"
    TRAIN_MONTHS = "TRAIN_MONTHS"
    TEST_MONTHS = "TEST_MONTHS"
    CONFIGURATIONS = "CONFIGURATIONS"
    BASELINES = "BASELINES"
    KDE_CELL_SIZE = "KDE_CELL_SIZE"
    KDE_BANDWIDTH = "KDE_BANDWIDTH"
    COVERAGES = "COVERAGES"
    TOP_N = "TOP_N"
    SEARCH_BANDWIDTHS = "SEARCH_BANDWIDTHS"
    SEARCH_HALF_LIVES = "SEARCH_HALF_LIVES"
    SEARCH_LEVEL = "SEARCH_LEVEL"
    SEED = "SEED"
    MAX_SPAN_HOURS = "MAX_SPAN_HOURS"
    OUTPUT = "OUTPUT"
    CHART = "CHART"
    REPORT = "REPORT"

    def name(self):
        return "evaluate"

    def displayName(self):
        return tr("Backtest hot-block maps (hit rate, PAI)")

    def shortDescription(self):
        return tr(
            "Does the map predict? Hit rate and PAI of computerisk settings and baselines on "
            "the incidents that came after."
        )

    def tags(self):
        return tr(
            "backtest,evaluate,hit rate,PAI,RRI,prediction,accuracy,coverage,baseline,KDE,"
            "bandwidth,half-life,search"
        ).split(",")

    def shortHelpString(self):
        return tr(
            "Judges a hot-block map the way hot-spot practice does: by whether it predicts. "
            "For each test period, every method ranks the blocks from the records before it "
            "only; the top blocks are chosen up to each coverage level (a share of the "
            "network's length: 1, 2, 5, 10 and 20% by default) and up to TOP_N blocks; the "
            "test period's records then say how good the choice was.\n\n"
            "Test periods: with a split date, training is every record before it and the test "
            "every record from it on. Without one, rolling origins: each period of the test "
            "months (calendar months) is predicted from the training months just before it. "
            "Records count in a window exactly as computerisk counts them (aoristic shares; a "
            "night belongs to the evening it starts; records known only by day or month count "
            "only in 'all' windows).\n\n"
            "Methods: computerisk configurations, written 'label: BANDWIDTH=150, "
            "HALF_LIFE_DAYS=180, USE_HARM=yes; other: MERGE_MINUTES=0' (any of BANDWIDTH, "
            "HALF_LIFE_DAYS, USE_HARM, MERGE_MINUTES, MERGE_REPEATS and, quoted, "
            "SOURCE_WEIGHTS; a setting left out takes computerisk's default), ranked by their "
            "risk; and baselines: plain counts (training records in the window per block), "
            "previous period (the same number of days just before the test), random (seeded) "
            "and a grid kernel density estimate of the training points (Gaussian, cell size "
            "and bandwidth in the blocks' CRS units), either as cells chosen up to the same "
            "share of the network's cells or mapped to the blocks by their middles.\n\n"
            "Measures: hit rate = test records on the chosen blocks / all test records in the "
            "window. PAI (predictive accuracy index, Chainey, Tompson and Uhlig 2008) = hit "
            "rate / coverage, where coverage is the share of network length chosen. RRI "
            "(recapture rate index, Levine 2008) = (test / training records on the chosen "
            "blocks) / (test / training records overall). Jaccard = blocks chosen both in "
            "this and the previous test period / blocks chosen in either. Gain = hit rate "
            "minus plain counts' hit rate. Uncertainty: with several test periods the 2.5-97.5% "
            "spread of their values; with one, a bootstrap of its records (paired for the "
            "gain). Ties between equal scores are broken by a seeded draw shared by every "
            "method: the same SEED gives the same table.\n\n"
            "Search: SEARCH_BANDWIDTHS and SEARCH_HALF_LIVES (e.g. '0, 50, 100, 150' and "
            "'0, 90, 180, 365') add every pair as a configuration. The best configuration per "
            "window is the one with the highest mean hit rate at SEARCH_LEVEL (a tie goes to "
            "the one listed first, the grid from its smallest values); it is marked in the "
            "table's best field, logged with its interval and returned for the first window.\n\n"
            "OUTPUT has one row per window, method, test period and level, then 'all origins' "
            "rows with the means. CHART is a hit rate against coverage PNG; REPORT a PDF with "
            "a table and a chart per window. Blocks must be in a projected CRS; the joined "
            "incidents' points are taken into the blocks' CRS."
        )

    def initAlgorithm(self, config=None):
        self.add(
            QgsProcessingParameterFeatureSource(
                self.BLOCKS, tr("Blocks"), [QgsProcessing.TypeVectorLine]
            ),
            "The blocks layer (from 'Build blocks from road links'). Coverage is a share of "
            "its total length.",
        )
        incidents = QgsProcessingParameterMultipleLayers(
            self.INCIDENTS,
            tr("Joined incidents (one layer per source)"),
            QgsProcessing.TypeVectorPoint,
        )
        incidents.setMinimumNumberInputs(1)
        self.add(
            incidents,
            "One or more outputs of 'Join incidents to blocks', joined to these blocks: the "
            "records that train and test every method.",
        )
        self.add(
            QgsProcessingParameterString(self.WINDOWS, tr("Time windows"), DEFAULT_WINDOWS),
            "Windows separated by ';' as in computerisk, e.g. 'Fri/Sat nights=Fri-Sat "
            "22:00-04:00; all=all'. Each window is evaluated on its own.",
        )
        self.add(
            QgsProcessingParameterDateTime(
                self.SPLIT_DATE,
                tr("Split date (empty: rolling origins)"),
                QgsProcessingParameterDateTime.Date,
                optional=True,
            ),
            "Train on every record before this day and test on every record from it on. "
            "Empty: rolling origins (training and test months below).",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.TRAIN_MONTHS,
                tr("Rolling origins: training months"),
                QgsProcessingParameterNumber.Integer,
                3,
                minValue=1,
            ),
            "Each test period is predicted from this many calendar months just before it.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.TEST_MONTHS,
                tr("Rolling origins: test months"),
                QgsProcessingParameterNumber.Integer,
                1,
                minValue=1,
            ),
            "The length of each test period in calendar months; periods follow each other "
            "until the last record.",
        )
        self.add(
            QgsProcessingParameterString(
                self.CONFIGURATIONS,
                tr("computerisk configurations to test"),
                DEFAULT_CONFIGURATIONS,
                multiLine=True,
                optional=True,
            ),
            "Separated by ';' or new lines: 'label: NAME=VALUE, NAME=VALUE'. Names: "
            "BANDWIDTH (blocks' units), HALF_LIFE_DAYS, USE_HARM (yes/no), MERGE_MINUTES, "
            "MERGE_REPEATS (yes/no), SOURCE_WEIGHTS in double quotes "
            '(SOURCE_WEIGHTS="police=0.5; A&E=1"). Settings left out take computerisk\'s '
            "defaults (no smoothing, no decay, no harm, merging within 30 minutes, repeats "
            "merged). Empty: baselines only.",
        )
        self.add(
            QgsProcessingParameterEnum(
                self.BASELINES,
                tr("Baselines"),
                [tr(kind) for kind in BASELINE_KINDS],
                allowMultiple=True,
                defaultValue=list(range(len(BASELINE_KINDS))),
                optional=True,
            ),
            "Simple predictions to compare with: plain counts (gain is measured against it), "
            "previous period, random, and the grid KDE as cells or mapped to streets.",
        )
        self.add(
            metre_distance(
                self.KDE_CELL_SIZE, tr("Grid KDE cell size"), 50.0, self.BLOCKS, min_value=0.01
            ),
            "Cell size of the grid KDE baseline, in the blocks' units; without a value, 50 m.",
            advanced=True,
        )
        self.add(
            metre_distance(self.KDE_BANDWIDTH, tr("Grid KDE bandwidth"), 100.0, self.BLOCKS),
            "Standard deviation of the grid KDE's Gaussian kernel, in the blocks' units; "
            "without a value, 100 m.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterString(
                self.COVERAGES, tr("Coverage levels (% of network length)"), DEFAULT_COVERAGES
            ),
            "Percents of the network's length to choose, separated by commas.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.TOP_N, tr("Top N blocks"), QgsProcessingParameterNumber.Integer, 10, minValue=1
            ),
            "Also evaluate the N best blocks of each method (the level 'top N').",
        )
        self.add(
            QgsProcessingParameterString(
                self.SEARCH_BANDWIDTHS, tr("Search: bandwidths"), "", optional=True
            ),
            "Bandwidths to search (blocks' units), e.g. '0, 50, 100, 150'. With the half-lives "
            "below, every pair is tested as a configuration. Empty with half-lives given: 0.",
        )
        self.add(
            QgsProcessingParameterString(
                self.SEARCH_HALF_LIVES, tr("Search: half-lives (days)"), "", optional=True
            ),
            "Recency half-lives to search, in days, e.g. '0, 90, 180, 365' (0 = no decay). "
            "Empty with bandwidths given: 0.",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.SEARCH_LEVEL,
                tr("Choose the best at coverage (%)"),
                QgsProcessingParameterNumber.Double,
                5.0,
                minValue=0.01,
                maxValue=100.0,
            ),
            "The coverage level, in percent of network length, at which the best "
            "configuration is the one with the highest mean hit rate (added to the levels if "
            "missing).",
        )
        self.add(
            QgsProcessingParameterNumber(
                self.SEED, tr("Random seed"), QgsProcessingParameterNumber.Integer, 0, minValue=0
            ),
            "Seed of the random baseline, the order among equal scores and the bootstrap: the "
            "same seed gives the same table.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                self.MAX_SPAN_HOURS,
                tr("Longest from/to range counted (hours)"),
                QgsProcessingParameterNumber.Double,
                72.0,
                minValue=0.0,
            ),
            "As in computerisk: longer ranges count in no time-of-day window (0 = no limit).",
            advanced=True,
        )
        add_timezone_parameter(self)
        self.add(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT, tr("Backtest table"), QgsProcessing.TypeVector
            ),
            "Table (no geometry): window, method, settings, origin, level, coverage, blocks, "
            "test_incidents, hits, hit_rate with its interval, pai, rri, jaccard, gain with "
            "its interval and best.",
        )
        self.add(
            QgsProcessingParameterFileDestination(
                self.CHART,
                tr("Hit rate against coverage (PNG)"),
                tr("PNG files (*.png)"),
                optional=True,
            ),
            "One panel per window: each method's mean hit rate at each coverage level, with "
            "its interval; the search's best configuration stands for the whole grid.",
        )
        self.add(
            QgsProcessingParameterFileDestination(
                self.REPORT, tr("Backtest report (PDF)"), tr("PDF files (*.pdf)"), optional=True
            ),
            "A4 pages: per window, the table of hit rates, PAI and gains, and the chart.",
        )
        self.addOutput(QgsProcessingOutputString("BEST_METHOD", tr("Best configuration")))
        self.addOutput(QgsProcessingOutputString("BEST_SETTINGS", tr("Best settings")))
        self.addOutput(QgsProcessingOutputString("BEST_WINDOW", tr("Window of the best values")))
        for output_id, _, label in BEST_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(output_id, tr(label)))
        self.addOutput(QgsProcessingOutputNumber("ORIGINS", tr("Test periods")))

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            self._plan(parameters, context)
        except QgsProcessingException as error:
            return False, str(error)
        return True, ""

    def _plan(self, parameters, context) -> _Plan:
        """Every text option parsed, or a QgsProcessingException saying which and why."""
        from ..hotblocking.windows import WindowSpecError, parse_windows

        def text(name):
            return self.parameterAsString(parameters, name, context)

        try:
            windows = parse_windows(text(self.WINDOWS))
        except WindowSpecError as error:
            raise QgsProcessingException(str(error)) from error
        try:
            configurations = parse_configurations(text(self.CONFIGURATIONS))
            bandwidths = parse_numbers(text(self.SEARCH_BANDWIDTHS), "Search: bandwidths")
            half_lives = parse_numbers(text(self.SEARCH_HALF_LIVES), "Search: half-lives")
            coverages = parse_levels(text(self.COVERAGES))
        except OptionError as error:
            raise QgsProcessingException(
                tr("Could not read the options: {problem}.").format(problem=error)
            ) from error
        grid = search_grid(bandwidths, half_lives) if bandwidths or half_lives else []
        level = self.parameterAsDouble(parameters, self.SEARCH_LEVEL, context) / 100
        if not any(abs(level - c) < 1e-9 for c in coverages):
            coverages = tuple(sorted((*coverages, level)))
        baselines = self.parameterAsEnums(parameters, self.BASELINES, context)
        if not (configurations or grid or baselines):
            raise QgsProcessingException(
                tr("Nothing to evaluate: choose a baseline, give a configuration or a search.")
            )
        return _Plan(
            windows, configurations, grid, coverages, level, timezone_of(self, parameters, context)
        )

    def output_specs(self):
        return [OutputSpec(self.OUTPUT, "Backtest table", geometry=False)]

    def processAlgorithm(self, parameters, context, feedback):
        # The core loads numpy, pandas, scipy and shapely: only once a run starts.
        from ..hotblocking.errors import Cancelled, HotBlockingError
        from ..hotblocking.evaluate import evaluate

        plan = self._plan(parameters, context)
        destinations = self.destinations(parameters, context)  # refused before any work
        steps = QgsProcessingMultiStepFeedback(4, feedback)
        inputs = self._read(parameters, context, feedback)
        check_cancel(feedback)
        steps.setCurrentStep(1)
        try:
            self._warn_unusable(feedback, inputs.incidents, inputs.blocks)
            origins = self._origins(parameters, context, inputs.incidents)
            methods = self._methods(parameters, context, plan, inputs.per_unit)
            self._log_plan(
                feedback, plan, origins, methods, len(inputs.incidents), len(inputs.blocks)
            )
            progress, cancelled = feedback_callbacks(steps)
            table = evaluate(
                inputs.incidents,
                inputs.blocks,
                inputs.geometries,
                plan.windows,
                origins,
                methods,
                points_xy=inputs.points,
                coverages=plan.coverages,
                top_n=self.parameterAsInt(parameters, self.TOP_N, context),
                kde=self._kde(parameters, context, inputs.crs),
                seed=self.parameterAsInt(parameters, self.SEED, context),
                tz=plan.tz,
                max_span_hours=self.parameterAsDouble(parameters, self.MAX_SPAN_HOURS, context)
                or None,
                network=self._network(methods, inputs, feedback),
                progress=progress,
                cancelled=cancelled,
            )
        except Cancelled:
            check_cancel(feedback)
            raise
        except HotBlockingError as error:
            raise QgsProcessingException(str(error)) from error
        steps.setCurrentStep(2)
        return self._deliver(
            parameters, context, steps, feedback, plan, methods, table, destinations
        )

    def _read(self, parameters, context, feedback) -> _Inputs:
        """Blocks (lengths in true metres, as computerisk), the joined records and their
        points in the blocks' CRS."""
        from . import evaluate_inputs
        from .bridge import input_layer
        from .units import metres_per_unit

        tz = timezone_of(self, parameters, context)
        blocks_input = input_layer(self, parameters, self.BLOCKS, context)
        source = blocks_input.source
        crs = source.sourceCrs()
        require_projected(
            crs, tr("The blocks layer"), source.sourceExtent(), context.transformContext()
        )
        per_unit = metres_per_unit(crs) or 1.0
        blocks, geometries = evaluate_inputs.read_blocks(blocks_input, per_unit, tz)
        incidents, points = evaluate_inputs.read_incidents(
            self.parameterAsLayerList(parameters, self.INCIDENTS, context),
            crs,
            context,
            feedback,
            tz,
        )
        return _Inputs(blocks, geometries, incidents, points, crs, per_unit)

    def _kde(self, parameters, context, crs):
        """The grid KDE's sizes in the blocks' units (defaults given in metres)."""
        from ..hotblocking.evaluate import KdeSettings
        from .units import resolve_distance

        cell = resolve_distance(self, parameters, self.KDE_CELL_SIZE, context, 50.0, crs, crs)
        bandwidth = resolve_distance(self, parameters, self.KDE_BANDWIDTH, context, 100.0, crs, crs)
        return KdeSettings(cell.value, bandwidth.value)

    @staticmethod
    def _network(methods, inputs: _Inputs, feedback):
        """computerisk's block adjacency, when a configuration smooths or merges."""
        from . import evaluate_inputs
        from .units import Distance, distance_text

        risks = [m.config for m in methods if m.kind == "risk"]
        if not any(c.get("bandwidth_m", 0) > 0 or c.get("merge_minutes", 0) > 0 for c in risks):
            return None
        widest = max(c.get("bandwidth_m", 0.0) for c in risks)
        value = widest / inputs.per_unit
        bandwidth = Distance(value, widest, True, distance_text(value, widest, inputs.crs))
        return evaluate_inputs.block_network(
            (inputs.blocks, inputs.geometries), inputs.per_unit, bandwidth, feedback
        )

    def _deliver(
        self, parameters, context, steps, feedback, plan, methods, table, destinations
    ) -> dict:
        """Best marked, the table written, chart and report drawn, the best returned."""
        from ..hotblocking.evaluate import level_name, mark_best
        from .evaluation_report import chart_rows, log_results, write_chart, write_report

        level = level_name(plan.search_level)
        candidates = [c.label for c in plan.configurations + plan.grid] or None
        table = mark_best(table, level, candidates)
        from .bridge import write_output

        outputs = {
            self.OUTPUT: write_output(
                destinations[self.OUTPUT],
                schema.EVALUATION.table,
                None,
                None,
                None,
                table_columns(table),
                context=context,
                feedback=steps,
            )
        }
        steps.setCurrentStep(3)
        shown = chart_rows(table, [c.label for c in plan.grid], level)
        windows = [w.label for w in plan.windows]
        chart = optional_output(self, parameters, self.CHART, context)
        if chart:
            write_chart(chart, shown, windows)
            outputs[self.CHART] = chart
        report = optional_output(self, parameters, self.REPORT, context)
        if report:
            write_report(report, table, shown, windows, level, [c.label for c in plan.grid])
            outputs[self.REPORT] = report
        best = log_results(feedback, table, level, windows)
        outputs.update(self._best_values(best, windows[0], table))
        return outputs

    @staticmethod
    def _best_values(best: pd.DataFrame, window: str, table: pd.DataFrame) -> dict:
        from ..hotblocking.evaluate import ALL_ORIGINS

        values = {"BEST_WINDOW": window, "BEST_METHOD": None, "BEST_SETTINGS": None}
        values.update({output_id: None for output_id, _, _ in BEST_OUTPUTS})
        values["ORIGINS"] = int(table.loc[table["origin"] != ALL_ORIGINS, "origin"].nunique())
        row = best[best["window"] == window]
        if row.empty:
            return values
        row = row.iloc[0]
        values["BEST_METHOD"] = str(row["method"])
        values["BEST_SETTINGS"] = str(row["settings"] or "")
        for output_id, column, _ in BEST_OUTPUTS:
            value = float(row[column])
            values[output_id] = None if value != value else value
        return values

    @staticmethod
    def _warn_unusable(feedback, incidents, blocks) -> None:
        """Records that can take no part are named in the log, never dropped silently."""
        from ..hotblocking.evaluate import on_known_blocks

        if not len(incidents):
            return
        unknown = int((~on_known_blocks(incidents, blocks)).sum())
        if unknown:
            feedback.pushWarning(
                tr(
                    "{count} record(s) have a block_id not in BLOCKS: they are left out of "
                    "training and test (were they joined to other blocks?)."
                ).format(count=unknown)
            )
        untimed = int(incidents[schema.TIME_START].isna().sum())
        if untimed:
            feedback.pushWarning(
                tr("{count} record(s) have no time: they fall in no test period.").format(
                    count=untimed
                )
            )

    def _origins(self, parameters, context, incidents):
        import numpy as np

        from ..hotblocking.evaluate import rolling_origins, single_split

        starts = incidents[schema.TIME_START].to_numpy("datetime64[ms]") if len(incidents) else []
        starts = np.asarray(starts, dtype="datetime64[ms]")
        starts = starts[~np.isnat(starts)]
        if starts.size == 0:
            raise QgsProcessingException(tr("No joined incident has a time: nothing to test."))
        first, last = starts.min(), starts.max()
        split = self.parameterAsDateTime(parameters, self.SPLIT_DATE, context)
        if split is not None and split.isValid():
            day = np.datetime64(split.date().toString("yyyy-MM-dd"), "D")
            if day <= first.astype("datetime64[D]"):
                raise QgsProcessingException(
                    tr(
                        "The split date {split} leaves nothing to train on: the first record is "
                        "on {first}."
                    ).format(split=day, first=first.astype("datetime64[D]"))
                )
            return single_split(day, last)
        return rolling_origins(
            first,
            last,
            self.parameterAsInt(parameters, self.TRAIN_MONTHS, context),
            self.parameterAsInt(parameters, self.TEST_MONTHS, context),
        )

    def _methods(self, parameters, context, plan: _Plan, per_unit: float) -> list:
        """Baselines, then configurations and the grid; BANDWIDTH from the blocks' units into
        compute_risk's metres (as computerisk converts it)."""
        from ..hotblocking.evaluate import Method

        baselines = [
            Method(BASELINE_KINDS[i], BASELINE_KINDS[i])
            for i in sorted(self.parameterAsEnums(parameters, self.BASELINES, context))
        ]
        risks = [
            Method(
                c.label,
                "risk",
                {**c.settings, "bandwidth_m": c.settings["bandwidth_m"] * per_unit},
            )
            for c in plan.configurations + plan.grid
        ]
        return baselines + risks

    @staticmethod
    def _log_plan(feedback, plan, origins, methods, incidents, blocks) -> None:
        if len(origins) == 1:
            periods = tr("one split: training before {start}, test {start} to {end}").format(
                start=origins[0].test_start, end=origins[0].test_end
            )
        else:
            periods = tr("{count} rolling origins, the first test period {start} to {end}").format(
                count=len(origins), start=origins[0].test_start, end=origins[0].test_end
            )
        feedback.pushInfo(
            tr(
                "{incidents} joined records on {blocks} blocks; {windows} window(s); {periods}; "
                "{methods} method(s) ({grid} from the search grid)."
            ).format(
                incidents=incidents,
                blocks=blocks,
                windows=len(plan.windows),
                periods=periods,
                methods=len(methods),
                grid=len(plan.grid),
            )
        )


def table_columns(table: pd.DataFrame) -> list:
    """The evaluation table as writer columns, each of its declared kind."""
    import numpy as np

    from .gpkg_writer import Column

    columns = []
    for name in schema.EVALUATION.names():
        kind = schema.EVALUATION.field(name).kind
        values = table[name].to_numpy()
        if kind == schema.TEXT:
            values = np.array([None if v is None or v != v else str(v) for v in values], object)
        elif kind == schema.REAL:
            values = values.astype(float)
        elif kind == schema.INT:
            values = values.astype(np.int64)
        elif kind == schema.BOOL:
            values = values.astype(bool)
        columns.append(Column(name, kind, values))
    return columns
