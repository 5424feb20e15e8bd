"""The "Hot block explorer" dock: the selected block of the active hot-blocks layer.

A hot-blocks layer is a ``hotblocking:computerisk`` output (one row per block per window,
with ``block_id``, ``window``, ``rank`` and ``profile``). For the selected feature the dock
shows the street, the window, the rank, the counts by source (``n_*`` fields, named by the
layer's ``sources``) and the hour-of-week chart of its ``profile``. Everything shown is read
from the feature; field names come from :mod:`hotblocking.schema`, wording and number
formats from the core (:mod:`hotblocking.wording`, :mod:`hotblocking.disclosure`), so the
dock says what the printed brief says. No analysis happens here.
"""

from __future__ import annotations

import math

from qgis.core import QgsFeatureRequest, QgsVectorLayer
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QVariant
from qgis.PyQt.QtGui import QFont
from qgis.PyQt.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..hotblocking import schema
from ..hotblocking.disclosure import suppress_count
from ..hotblocking.errors import WindowSpecError
from ..hotblocking.wording import describe_window, significance_words, source_title, trend_words
from .hour_chart import HourChart

# The schema and the wordings are stdlib only. Reading a window back (hotblocking.windows)
# loads numpy and pandas: it is imported when a block is shown, not when QGIS builds the dock.

HOT_BLOCKS_FIELDS = (schema.BLOCK_ID, schema.WINDOW, schema.RANK, schema.PROFILE)
NO_LAYER = "Make a hot-blocks layer (a <i>Compute hot-block risk</i> output) the active layer."
NO_SELECTION = "Select a block on the map (or in the attribute table) to see it here."
ROWS = [  # (key, label)
    (schema.WINDOW, "Window"),
    (schema.RANK, "Rank"),
    (schema.INCIDENTS, "Incidents"),
    (schema.HARM, "Harm"),
    (schema.RISK, "Risk"),
    (schema.PEAK, "Peak hour"),
    ("significance", "Against length"),
    (schema.TREND, "Trend"),
    ("seen", "Seen"),
]


def is_hot_blocks_layer(layer) -> bool:
    """True for a vector layer with the fields of a computerisk output."""
    if not isinstance(layer, QgsVectorLayer) or not layer.isValid():
        return False
    names = set(layer.fields().names())
    return all(name in names for name in HOT_BLOCKS_FIELDS)


def _value(feature, name):
    """A feature's attribute as plain Python; NULL (and a missing field) -> None."""
    if feature.fields().indexOf(name) < 0:
        return None
    value = feature[name]
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, QDateTime):
        return value.toString("yyyy-MM-dd HH:mm") if value.isValid() else None
    if isinstance(value, QDate | QTime):
        return value.toString(Qt.ISODate) if value.isValid() else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _window_text(label, spec) -> str:
    """``Fri/Sat nights: Fri and Sat, 22:00 to 04:00 next day`` (the brief's wording)."""
    from ..hotblocking.windows import stored_window

    label = label or "–"
    if not spec:
        return label
    try:
        return f"{label}: {describe_window(stored_window(label, spec))}"
    except WindowSpecError:
        return f"{label} ({spec})"


def _window_hours(label, spec):
    """The hours the row's window touches (168 booleans), or None when not readable."""
    from ..hotblocking.windows import stored_window

    if not spec:
        return None
    try:
        return stored_window(label or "", spec).hour_mask()
    except WindowSpecError:
        return None


def _source_titles(names, sources=None) -> dict[str, str]:
    """``n_`` field -> the source's name as the brief prints it, from the ``sources`` value."""
    row = {**dict.fromkeys(names), schema.SOURCES: sources}
    return {c: source_title(label) for c, label in schema.source_labels(row).items()}


def _number(value, digits: int = 1) -> str:
    return "–" if value is None else f"{float(value):,.{digits}f}"


class HotBlockExplorerDock(QDockWidget):
    """Shows the selected feature of the active hot-blocks layer.

    With ``iface`` the dock follows the active layer and its selection; without it (tests,
    scripts) call :meth:`set_layer` and :meth:`show_feature` directly.
    """

    def __init__(self, iface=None, parent=None):
        super().__init__("Hot block explorer", parent)
        self.setObjectName("HotBlockExplorer")
        self.iface = iface
        self.layer = None
        self._selected: list[int] = []
        self._index = 0
        self._feature_id = None
        self._build()
        self._clear(NO_LAYER)
        if iface is not None:
            iface.currentLayerChanged.connect(self.set_layer)
            self.set_layer(iface.activeLayer())

    # --- widgets -----------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget()
        column = QVBoxLayout(body)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.RichText)
        column.addWidget(self.status_label)

        self.title_label = QLabel()
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.title_label.setWordWrap(True)
        self.block_label = QLabel()
        self.block_label.setStyleSheet("color: #666666;")
        self.block_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        heading = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title_label)
        titles.addWidget(self.block_label)
        heading.addLayout(titles, 1)
        self.previous_button = QToolButton()
        self.previous_button.setArrowType(Qt.LeftArrow)
        self.previous_button.setToolTip("Previous selected block")
        self.previous_button.clicked.connect(lambda: self._step(-1))
        self.position_label = QLabel()
        self.next_button = QToolButton()
        self.next_button.setArrowType(Qt.RightArrow)
        self.next_button.setToolTip("Next selected block")
        self.next_button.clicked.connect(lambda: self._step(1))
        self.zoom_button = QToolButton()
        self.zoom_button.setText("Zoom")
        self.zoom_button.setToolTip("Zoom the map to this block")
        self.zoom_button.clicked.connect(self.zoom_to_block)
        self.zoom_button.setVisible(self.iface is not None)
        self._selection_widgets = (self.previous_button, self.position_label, self.next_button)
        for widget in (*self._selection_widgets, self.zoom_button):
            heading.addWidget(widget, 0, Qt.AlignTop)
        column.addLayout(heading)

        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.value_labels: dict[str, QLabel] = {}
        for key, text in ROWS:
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.value_labels[key] = label
            form.addRow(f"{text}:", label)
        details.addLayout(form)

        details.addWidget(self._heading("Incidents by source"))
        self.sources_form = QFormLayout()
        details.addLayout(self.sources_form)
        self.source_labels: dict[str, QLabel] = {}
        self._source_titles: dict[str, str] = {}

        details.addWidget(self._heading("Hour of week (window hours)"))
        self.chart = HourChart()
        details.addWidget(self.chart)
        note = QLabel("Shading: share of the block's busiest hour. Hover a cell for its value.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #666666;")
        details.addWidget(note)
        column.addWidget(self.details)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        return label

    # --- following the layer and its selection -----------------------------------------

    def set_layer(self, layer) -> None:
        """Follow ``layer`` (any map layer, or None); only hot-blocks layers are shown."""
        layer = layer if is_hot_blocks_layer(layer) else None
        if layer is self.layer:
            self._refresh()
            return
        self._disconnect_layer()
        self.layer = layer
        if layer is not None:
            layer.selectionChanged.connect(self._refresh)
            layer.attributeValueChanged.connect(self._on_edit)
            layer.willBeDeleted.connect(self._on_layer_deleted)
            self._rebuild_sources(_source_titles(layer.fields().names()))
        self._index = 0
        self._refresh()

    def _disconnect_layer(self) -> None:
        if self.layer is None or sip.isdeleted(self.layer):
            self.layer = None
            return
        for signal, slot in (
            (self.layer.selectionChanged, self._refresh),
            (self.layer.attributeValueChanged, self._on_edit),
            (self.layer.willBeDeleted, self._on_layer_deleted),
        ):
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self.layer = None

    def _on_layer_deleted(self) -> None:
        self.layer = None  # being destroyed: Qt drops its connections itself
        self._clear(NO_LAYER)

    def _on_edit(self, fid, *_):
        if fid == self._feature_id:
            self._refresh()

    def _refresh(self, *_) -> None:
        if self.layer is None:
            self._clear(NO_LAYER)
            return
        selected = sorted(self.layer.selectedFeatureIds())
        if selected != self._selected:
            self._index = 0
        self._selected = selected
        if not selected:
            self._clear(NO_SELECTION)
            return
        self._index = min(self._index, len(selected) - 1)
        request = QgsFeatureRequest(selected[self._index]).setFlags(QgsFeatureRequest.NoGeometry)
        feature = next(self.layer.getFeatures(request), None)
        if feature is None:
            self._clear(NO_SELECTION)
            return
        self.show_feature(feature)
        many = len(selected) > 1
        self.position_label.setText(f"{self._index + 1} of {len(selected)}")
        for widget in self._selection_widgets:
            widget.setVisible(many)

    def _step(self, delta: int) -> None:
        if self._selected:
            self._index = (self._index + delta) % len(self._selected)
            self._refresh()

    def zoom_to_block(self) -> None:
        if self.iface is None or self.layer is None or self._feature_id is None:
            return
        canvas = self.iface.mapCanvas()
        canvas.zoomToFeatureIds(self.layer, [self._feature_id])
        canvas.flashFeatureIds(self.layer, [self._feature_id])

    # --- showing one feature -----------------------------------------------------------

    def _rebuild_sources(self, titles: dict[str, str]) -> None:
        while self.sources_form.rowCount():
            self.sources_form.removeRow(0)
        self.source_labels = {}
        self._source_titles = dict(titles)
        for column, title in titles.items():
            label = QLabel()
            self.source_labels[column] = label
            text = f"{title}:".replace("&", "&&")  # "A&E": not a shortcut
            self.sources_form.addRow(text, label)

    def _clear(self, message: str) -> None:
        self._feature_id = None
        self.status_label.setText(message)
        self.status_label.setVisible(True)
        self.title_label.clear()
        self.block_label.clear()
        self.details.setVisible(False)
        for widget in (*self._selection_widgets, self.zoom_button):
            widget.setVisible(False)
        self.chart.set_grid(None)
        self.chart.set_window_hours(None)

    def show_feature(self, feature) -> None:
        """Fill the dock from one hot-blocks feature."""
        titles = _source_titles(feature.fields().names(), _value(feature, schema.SOURCES))
        if titles != self._source_titles:
            self._rebuild_sources(titles)
        self._feature_id = feature.id()
        self.status_label.setVisible(False)
        self.details.setVisible(True)
        self.zoom_button.setVisible(self.iface is not None)
        for widget in self._selection_widgets:
            widget.setVisible(False)

        get = lambda name: _value(feature, name)
        # the block's description ("High St between Mill Ln and Bridge St") says where it is
        title = get(schema.DESCRIPTION) or get(schema.NAME) or "(unnamed street)"
        self.title_label.setText(title)
        self.block_label.setText(f"block {get(schema.BLOCK_ID) or '–'}")

        window_text = _window_text(get(schema.WINDOW), get(schema.WINDOW_SPEC))
        rank_text = "–" if get(schema.RANK) is None else str(int(get(schema.RANK)))
        if get(schema.PERCENTILE) is not None:
            rank_text += f" (percentile {float(get(schema.PERCENTILE)):.1f})"
        if get(schema.HOT):
            rank_text += "  <b style='color:#b30000'>HOT</b>"
        incidents, expected = get(schema.INCIDENTS), get(schema.EXPECTED)
        events = get(schema.EVENTS) if get(schema.EVENTS) is not None else incidents
        ratio = (  # events against the events expected, as the brief prints it
            float(events) / float(expected)
            if events is not None and expected is not None and float(expected) > 0
            else None
        )
        seen = "–"
        if get(schema.FIRST_SEEN) or get(schema.LAST_SEEN):
            seen = f"{get(schema.FIRST_SEEN) or '?'} to {get(schema.LAST_SEEN) or '?'}"
        values = {
            schema.WINDOW: window_text,
            schema.RANK: rank_text,
            schema.INCIDENTS: suppress_count(incidents),
            schema.HARM: suppress_count(get(schema.HARM)),
            schema.RISK: _number(get(schema.RISK), 2),
            schema.PEAK: get(schema.PEAK) or "–",
            "significance": significance_words(
                get(schema.P_VALUE), get(schema.Q_VALUE), ratio, events
            ),
            schema.TREND: trend_words(get(schema.TREND_WORD), get(schema.TREND_P)),
            "seen": seen,
        }
        for key, label in self.value_labels.items():
            label.setText(values[key])
        self.value_labels[schema.RANK].setTextFormat(Qt.RichText)
        for column, label in self.source_labels.items():
            label.setText(suppress_count(get(column)))
        self.chart.set_profile(get(schema.PROFILE))
        self.chart.set_window_hours(_window_hours(get(schema.WINDOW), get(schema.WINDOW_SPEC)))

    # --- for tests and unload ----------------------------------------------------------

    def texts(self) -> dict[str, str]:
        """What the dock shows now: title, block, each row, and each source by label."""
        shown = {"title": self.title_label.text(), "block": self.block_label.text()}
        shown.update({key: label.text() for key, label in self.value_labels.items()})
        shown.update({self._source_titles[c]: lab.text() for c, lab in self.source_labels.items()})
        return shown

    def detach(self) -> None:
        """Stop following the project (called on unload, before the dock is deleted)."""
        self._disconnect_layer()
        if self.iface is not None:
            try:
                self.iface.currentLayerChanged.disconnect(self.set_layer)
            except (TypeError, RuntimeError):
                pass
