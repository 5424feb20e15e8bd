"""The brief step: hot blocks to a printed tasking brief (PDF), shared by
hotblocking:taskingbrief and the one-step pipeline (hotblocking:pipeline).

Parameters are defined once here, read into ``BriefOptions``; :func:`make_brief` lays out
and exports the brief from the hot blocks' frame and geometries, whether read from a layer
(taskingbrief) or handed over in memory (:func:`hot_blocks_frame`, the pipeline). Heavy
libraries are imported inside the functions: QGIS loads this module at start-up.
"""

from __future__ import annotations

import dataclasses
import os
import time

from qgis.core import (
    QgsLayoutExporter,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProject,
    QgsRenderContext,
)

from ..hotblocking import schema
from ..plugin_metadata import plugin_version
from .common import timezone_of, tr

try:  # QGIS >= 3.26
    from qgis.core import Qgis

    ALWAYS_TEXT = Qgis.TextRenderFormat.AlwaysText
except AttributeError:  # QGIS 3.22
    ALWAYS_TEXT = QgsRenderContext.TextFormatAlwaysText

WINDOW = "WINDOW"
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
BLOCK_MAP_WIDTH_M = 420.0  # a block page's map shows at least this many metres across
MAP_PROVIDERS = ("ogr", "memory", "postgres", "spatialite")  # a subset string filters them


def add_window_choice(algorithm) -> None:
    """WINDOW: which windows of the hot blocks to brief."""
    algorithm.add(
        QgsProcessingParameterString(WINDOW, tr("Time window(s) (labels)"), "", optional=True),
        "The window to brief, by its label in the layer (e.g. 'Fri/Sat nights'), or several "
        "separated by ';' (e.g. 'Fri/Sat nights; Weekday lunch'): one section each, in "
        "that order. '*': every window in the layer. Empty: the first window in the layer.",
    )


def add_brief_parameters(algorithm) -> None:
    """The brief's other options (TIMEZONE aside)."""
    algorithm.add(
        QgsProcessingParameterNumber(
            TOP_N,
            tr("Number of blocks to brief"),
            QgsProcessingParameterNumber.Integer,
            10,
            minValue=1,
            maxValue=200,
        ),
        "At most this many of the blocks the layer calls hot in a window get a page each, "
        "in rank order; blocks tied at the last place are all listed (the brief says so).",
    )
    algorithm.add(
        QgsProcessingParameterMultipleLayers(
            CONTEXT,
            tr("Context layers (drawn beneath)"),
            QgsProcessing.TypeMapLayer,
            optional=True,
        ),
        "Layers drawn under the blocks on every map, e.g. the road network, buildings or "
        "a basemap. They are drawn in neutral greys (their own style is not used, so the "
        "brief prints well in black and white); the layers themselves are not changed.",
    )
    for param_id, label, default, help_text in (
        (TITLE, "Title", "Violence reduction patrol brief", "The brief's title (cover)."),
        (
            AREA,
            "Area",
            "",
            "The area covered, e.g. 'West End, Westminster' (cover and page headers).",
        ),
        (PREPARED_BY, "Prepared by", "", "Analyst name or unit, printed on the cover."),
        (
            MARKING,
            "Protective marking",
            "OFFICIAL-SENSITIVE",
            "Printed in bold at the top and bottom of every page (e.g. OFFICIAL-SENSITIVE).",
        ),
    ):
        algorithm.add(
            QgsProcessingParameterString(param_id, tr(label), default, optional=True), help_text
        )
    algorithm.add(
        QgsProcessingParameterNumber(
            MIN_COUNT_SHOWN,
            tr("Smallest count printed (small-number suppression)"),
            QgsProcessingParameterNumber.Integer,
            0,
            minValue=0,
        ),
        "Counts below this print as a less-than sign and this number (e.g. 8: counts of "
        "1-7 print as 'less than 8', NHS-style suppression for briefs shared outside the "
        "police). 0 = off, for internal briefs.",
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            VISITS,
            tr("Patrol visits per block per week"),
            QgsProcessingParameterNumber.Integer,
            3,
            minValue=0,
            maxValue=50,
        ),
        "Visits planned per block, at random times inside the window's occurrences of one " "week.",
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            VISIT_MINUTES,
            tr("Visit length (minutes)"),
            QgsProcessingParameterNumber.Integer,
            15,
            minValue=1,
            maxValue=240,
        ),
        "Minutes per visit. Koper curve: about 10 minutes is the threshold, 11-15 optimal.",
    )
    algorithm.add(
        QgsProcessingParameterNumber(
            SEED,
            tr("Random seed"),
            QgsProcessingParameterNumber.Integer,
            0,
            minValue=0,
        ),
        "Seed of the random visit times: the same seed gives the same plans. Change it to "
        "draw new times (e.g. each week).",
        advanced=True,
    )
    algorithm.add(
        QgsProcessingParameterBoolean(
            POLICE_UK_NOTE,
            tr("State the data.police.uk location caveat"),
            False,
            optional=True,
        ),
        "Print in the method note that data.police.uk locations are anonymised (crimes "
        "moved to shared map points). It is printed anyway when the layer shows records "
        "known by month only, as data.police.uk publishes them.",
    )


def add_pdf_destination(algorithm, name: str) -> None:
    algorithm.add(
        QgsProcessingParameterFileDestination(
            name, tr("Tasking brief (PDF)"), tr("PDF files (*.pdf)")
        ),
        "The brief as a PDF (A4 portrait, selectable text).",
    )


def brief_options(algorithm, parameters, context):
    from ..hotblocking.brief_content import BriefOptions

    def text(name):
        return algorithm.parameterAsString(parameters, name, context).strip()

    return BriefOptions(
        title=text(TITLE) or "Patrol brief",
        area=text(AREA),
        prepared_by=text(PREPARED_BY),
        marking=text(MARKING),
        min_shown=algorithm.parameterAsInt(parameters, MIN_COUNT_SHOWN, context),
        top_n=algorithm.parameterAsInt(parameters, TOP_N, context),
        visits=algorithm.parameterAsInt(parameters, VISITS, context),
        visit_minutes=algorithm.parameterAsInt(parameters, VISIT_MINUTES, context),
        seed=algorithm.parameterAsInt(parameters, SEED, context),
        timezone=timezone_of(algorithm, parameters, context),
        police_uk_note=algorithm.parameterAsBoolean(parameters, POLICE_UK_NOTE, context),
        version=plugin_version(),
    )


def hot_blocks_frame(table):
    """computerisk's table as ``bridge.read_hot_blocks`` reads its output back (text as str,
    date-times as wall clock, the rest as float with NaN), with the brief's fields. Columns
    already in that form are shared with ``table``, not copied (~1 GB each way at 12M rows);
    the brief only reads them."""
    import pandas as pd

    from ..hotblocking.brief_content import BRIEF_FIELDS
    from .bridge import as_text
    from .writers import none_for_missing

    names = list(table.columns)
    optional = [schema.DESCRIPTION] if schema.DESCRIPTION in names else []
    columns = {}
    for name in list(BRIEF_FIELDS) + optional + schema.source_fields(names):
        values = table[name].to_numpy()
        kind = schema.HOT_BLOCKS.field(name).kind
        if kind == schema.TEXT and values.dtype == object:  # str or None already (no loop)
            values = none_for_missing(values)
        elif kind == schema.TEXT:
            values = as_text(values)
        elif kind == schema.DATETIME:
            values = values.astype("datetime64[ms]", copy=False)
        else:
            values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        columns[name] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(len(table)), copy=False)


def window_layer(layer, label: str):
    """``layer`` filtered to one window, for the maps: copying every block into a memory
    layer would cost ~20 s on a 500k-block network. None for layers that cannot be filtered
    (the maps then copy the window's rows)."""
    if layer is None or layer.providerType() not in MAP_PROVIDERS:
        return None
    clone = layer.clone()
    quoted = label.replace("'", "''")
    if not clone.setSubsetString(f"\"{schema.WINDOW}\" = '{quoted}'"):
        return None
    return clone


def make_brief(
    whole, geometries, windows, options, crs, metres, context_layers, layer, path, feedback
) -> int:
    """Lay out and export the brief; returns its pages. ``whole``/``geometries``: the hot
    blocks (every window); ``windows``: [(label, Window)] to brief (:func:`choose_windows`);
    ``metres``: true metres a CRS unit; ``layer``: the hot blocks as a layer for the maps
    (or None); ``path``: the PDF."""
    import numpy as np
    import pandas as pd

    from ..hotblocking.brief_content import layer_facts
    from .brief_layout import build_layout
    from .brief_maps import BriefMapLayers

    started = time.perf_counter()
    facts = layer_facts(whole, options.min_shown)
    _log_untimed(feedback, facts)
    project = QgsProject()  # private: never QgsProject.instance() (headless, modeller)
    project.setCrs(crs)
    # Scale bars measure on the ellipsoid: true metres in any CRS (Web Mercator's planar
    # metres are x1.6 too long in the UK; feet are converted either way).
    project.setEllipsoid("EPSG:7030")
    metadata = project.metadata()
    metadata.setTitle(options.title)
    metadata.setAuthor(options.prepared_by)
    project.setMetadata(metadata)
    sections = []
    for number, (label, window) in enumerate(windows, start=1):
        rows = (whole[schema.WINDOW] == label).to_numpy()
        frame = whole.take(np.flatnonzero(rows))
        frame.index = pd.RangeIndex(len(frame))  # not reset_index(): that copies the window
        window_geometries = geometries[rows]
        content = _content(frame, window, options, facts, feedback)
        content.section, content.sections = number, len(windows)
        top_specs = [
            (page.order, page.label, page.block_id, page.name, window_geometries[index])
            for page, index in zip(content.blocks, content.row_index)
        ]
        if any(g is None for *_, g in top_specs):
            raise QgsProcessingException(tr("A listed block has no geometry: cannot map it."))
        layers = BriefMapLayers(
            project,
            crs,
            frame,
            window_geometries,
            top_specs,
            context_layers,
            window_layer(layer, label),
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
        return 0
    built = time.perf_counter()
    pages = _export(layout, path)
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
    return pages


def choose_windows(frame, wanted: str, spec: str) -> list:
    """The (label, Window) of each window asked for, in the order asked."""
    from ..hotblocking.errors import WindowSpecError
    from ..hotblocking.windows import parse_windows, stored_window

    labels = list(dict.fromkeys(v for v in frame[schema.WINDOW] if v is not None))
    if not labels:
        raise QgsProcessingException(tr("The hot blocks layer has no rows (no window label)."))
    chosen = chosen_labels(wanted, labels)
    spec = spec.strip()
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
            raise QgsProcessingException(tr("Time windows: {error}").format(error=error)) from error
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


def chosen_labels(wanted: str, labels: list[str]) -> list[str]:
    """The layer's labels asked for: one, several separated by ';', '*' for all (a
    window really labelled '*' wins), empty for the first."""
    wanted = wanted.strip()
    if not wanted:
        return labels[:1]
    if wanted == EVERY_WINDOW and wanted not in labels:
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


def _same_hours(a, b) -> bool:
    """Two windows covering the same days and hours (labels aside)."""
    return (a.days, a.start_min, a.end_min, a.whole_period) == (
        b.days,
        b.start_min,
        b.end_min,
        b.whole_period,
    )
