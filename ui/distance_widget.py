"""A distance widget for the algorithm dialog that shows a metre default in metres.

A Hot Blocking distance parameter is in its layer's units, as in QGIS's own algorithms, and
documents its default in metres (``defaultUnit()``; see processing/units.py). QGIS >= 3.24's
dialog shows such a default in metres next to a units combo and hands the algorithm the value
converted to the layer's units. QGIS 3.22's widget ignores ``defaultUnit()``: on a feet layer
it shows "100" next to "feet" and the algorithm gets 100 ft. This wrapper gives 3.22's
standard dialog 3.24's behaviour:

- the number starts at the default in metres; a units combo (metres, kilometres, feet, miles,
  yards, and the layer's own unit once a value is shown in it) says what it is in, and
  choosing another unit keeps the number (it changes its meaning, as in QGIS); a positive
  minimum (in the layer's units) is held in the unit shown;
- ``value()`` is the number converted to the linked layer's units with QGIS's unit factors
  (the ones the algorithm converts back with); a layer in degrees, or with units that are
  not a length, takes metres, as the algorithms do (they reproject a layer in degrees);
- changing the layer keeps the distance shown and converts it to the new layer's units;
- ``setValue`` (the dialog's history, parameters handed to the dialog) takes a number in the
  layer's units, as the algorithm would, and shows it in them.

The modeller and the batch table get QGIS's own widget, unchanged (their values are in the
layer's units, as in a model file or a batch row). The parameter's metadata names this class
(processing/units.py, ``metre_distance``); QGIS's Python dialogs import it only when they open.
"""

from __future__ import annotations

import math

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingUtils,
    QgsProject,
    QgsUnitTypes,
)
from qgis.gui import QgsDoubleSpinBox, QgsGui, QgsProcessingGui
from qgis.PyQt.QtWidgets import QComboBox, QHBoxLayout, QSizePolicy, QWidget

from processing.gui.wrappers import WidgetWrapper, dialogTypes

UNITS = (
    QgsUnitTypes.DistanceMeters,
    QgsUnitTypes.DistanceKilometers,
    QgsUnitTypes.DistanceFeet,
    QgsUnitTypes.DistanceMiles,
    QgsUnitTypes.DistanceYards,
)
"""The units offered, as QGIS's own distance widget offers them."""

_LIMIT = 999999999999.0  # QGIS's numeric widgets' bound for an unbounded parameter


def layer_unit(crs: QgsCoordinateReferenceSystem):
    """The unit a distance for a layer in ``crs`` is in: its map unit when that is a length,
    else metres (degrees, unknown units or no layer: the algorithms take metres)."""
    if crs.isValid() and not crs.isGeographic():
        unit = crs.mapUnits()
        if QgsUnitTypes.unitType(unit) == QgsUnitTypes.Standard:
            return unit
    return QgsUnitTypes.DistanceMeters


def layer_crs(value) -> QgsCoordinateReferenceSystem:
    """The CRS of a layer parameter's widget value (a layer, its id, a path or a source
    definition); an invalid CRS when there is no layer."""
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source.staticValue()
    if isinstance(value, str) and value:
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        value = QgsProcessingUtils.mapLayerFromString(value, context)
    if isinstance(value, QgsMapLayer):
        return value.crs()
    return QgsCoordinateReferenceSystem()


def _dialog_type(dialog):
    return dialogTypes.get(type(dialog).__name__, QgsProcessingGui.Standard)


class MetreDefaultDistanceWrapper(WidgetWrapper):
    """The standard dialog's distance widget (module doc); QGIS's own elsewhere."""

    def __new__(cls, param, dialog, row=0, col=0, **kwargs):
        kind = _dialog_type(dialog)
        if kind == QgsProcessingGui.Standard:
            return super().__new__(cls)
        # QGIS's own wrapper, as processing.gui.wrappers.WidgetWrapperFactory.create_wrapper
        # makes it for a parameter without widget metadata (__init__ is then not called).
        registry = QgsGui.processingGuiRegistry()
        if kind == QgsProcessingGui.Modeler:
            wrapper = registry.createModelerParameterWidget(
                dialog.model, dialog.childId, param, dialog.context
            )
        else:
            wrapper = registry.createParameterWidgetWrapper(param, kind)
        wrapper.setDialog(dialog)
        return wrapper

    def __init__(self, param, dialog, row=0, col=0, **kwargs):
        self._base = QgsUnitTypes.DistanceMeters  # the linked layer's distance unit
        super().__init__(param, dialog, row, col, **kwargs)  # calls setValue(default)
        self._show(param.defaultValue(), param.defaultUnit())

    # --- the widget ---------------------------------------------------------------------

    def createWidget(self, **kwargs):
        param = self.parameterDefinition()
        widget = QWidget()
        layout = QHBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.spin = QgsDoubleSpinBox()
        self.spin.setDecimals(6)
        self.spin.setMinimum(max(param.minimum(), -_LIMIT))
        self.spin.setMaximum(min(param.maximum(), _LIMIT))
        self.spin.setShowClearButton(False)
        self.spin.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.units = QComboBox()
        for unit in UNITS:
            self.units.addItem(QgsUnitTypes.toString(unit), unit)
        self.units.setToolTip(
            self.tr(
                "The unit of the number. The algorithm receives the distance in the layer's "
                "units (metres for a layer in degrees)."
            )
        )
        layout.addWidget(self.spin, 1)
        layout.addWidget(self.units)
        self.spin.valueChanged.connect(self._changed)
        self.units.currentIndexChanged.connect(self._unit_changed)
        return widget

    def _changed(self, *args):
        self.widgetValueHasChanged.emit(self)

    def _unit_changed(self, *args):
        self._fit_minimum()
        self._changed()

    def _fit_minimum(self) -> None:
        """A positive minimum is in the layer's units: the spin box holds it in the unit
        shown (0.01 m is 0.0328 ft), so a number below it cannot be entered."""
        minimum = self.parameterDefinition().minimum()
        if 0 < minimum < _LIMIT:
            factor = QgsUnitTypes.fromUnitToUnitFactor(self._base, self.units.currentData())
            step = 10.0 ** -self.spin.decimals()  # rounded up: the box rounds to its decimals
            self.spin.setMinimum(math.ceil(minimum * factor / step - 1e-9) * step)

    def _unit_index(self, unit) -> int:
        index = self.units.findData(unit)
        if index < 0:  # the layer's own unit when QGIS's list lacks it (e.g. nautical miles)
            self.units.addItem(QgsUnitTypes.toString(unit), unit)
            index = self.units.count() - 1
        return index

    def _show(self, number, unit) -> None:
        if unit == QgsUnitTypes.DistanceUnknownUnit:
            unit = self._base
        try:
            number = float(number)
        except (TypeError, ValueError):
            return
        self.units.setCurrentIndex(self._unit_index(unit))  # first: it sets the minimum
        self.spin.setValue(number)

    # --- the wrapper's API ----------------------------------------------------------------

    def setValue(self, value):
        """``value`` is in the linked layer's units (the parameter's convention)."""
        if value is None or value == "":
            return
        self._show(value, self._base)

    def value(self):
        """The number shown, in the linked layer's units."""
        unit = self.units.currentData()
        return self.spin.value() * QgsUnitTypes.fromUnitToUnitFactor(unit, self._base)

    def postInitialize(self, wrappers):
        parent = self.parameterDefinition().parentParameterName()
        for wrapper in wrappers:
            if wrapper.parameterDefinition().name() == parent:
                self._parent_changed(wrapper)
                wrapper.widgetValueHasChanged.connect(self._parent_changed)
                break

    def _parent_changed(self, wrapper):
        base = layer_unit(layer_crs(wrapper.parameterValue()))
        if base != self._base:
            self._base = base
            self._fit_minimum()
            self.widgetValueHasChanged.emit(self)
