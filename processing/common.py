"""Small pieces every Hot Blocking algorithm shares (parameters, outputs, feedback)."""

from __future__ import annotations

import re

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProperty,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .. import plugin_dependencies

ICON_PATH = ":/plugins/hotblocking/icon.svg"
_OGR_DEST = re.compile(r"^ogr:dbname='(?P<path>[^']+)'\s+table=\"(?P<table>[^\"]+)\"")


def tr(text: str) -> str:
    return QCoreApplication.translate("HotBlocking", text)


class HotBlockingAlgorithm(QgsProcessingAlgorithm):
    """Shared identity and help plumbing; flags are left to QGIS (modeller-visible)."""

    def group(self):
        return tr("Hot Blocking")

    def groupId(self):
        return "hotblocking"

    def icon(self):
        return QIcon(ICON_PATH)

    def createInstance(self):
        return type(self)()

    # Missing or too-old Python packages: every way of running refuses with the load-time
    # message (toolbox: canExecute; dialog, batch, processing.run: checkParameterValues;
    # anything else, e.g. a model step: prepareAlgorithm, reported rather than raised).
    def canExecute(self):
        problem = plugin_dependencies.problem_message()
        return not problem, problem

    def checkParameterValues(self, parameters, context):
        problem = plugin_dependencies.problem_message()
        if problem:
            return False, problem
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        from .destinations import DestinationError  # noqa: PLC0415 (imports common)

        try:
            self._checked_destinations(parameters, context, final=False)
        except DestinationError as error:
            return False, str(error)
        return True, ""

    def output_specs(self) -> list:
        """What each vector output can hold (destinations.OutputSpec), for the up-front
        checks of its destination."""
        return []

    def destinations(self, parameters, context) -> dict:
        """Each vector output's destination, refused before any work when it cannot hold
        the output or is shared by two outputs (checkParameterValues is not run by every
        caller, e.g. a model's child steps)."""
        return self._checked_destinations(parameters, context, final=True)

    def _checked_destinations(self, parameters, context, final: bool) -> dict:
        from . import destinations  # noqa: PLC0415 (imports common)

        specs = self.output_specs()
        found = {}
        for spec in specs:
            if not final:
                text = destinations.raw_value(parameters, self.parameterDefinition(spec.name))
            elif spec.optional:  # a skipped optional output registers nothing to load
                text = optional_output(self, parameters, spec.name, context) or ""
            else:
                text = self.parameterAsOutputLayer(parameters, spec.name, context)
            destination = destinations.parse(text)
            destinations.check(destination, spec)
            found[spec.name] = destination
        destinations.refuse_shared(found, specs)
        return found

    def prepareAlgorithm(self, parameters, context, feedback):
        problem = plugin_dependencies.problem_message()
        if problem:
            feedback.reportError(problem, True)
            return False
        return super().prepareAlgorithm(parameters, context, feedback)

    def add(self, parameter, help_text: str, advanced: bool = False):
        """Add a parameter with its help; advanced ones are OR-ed into its flags."""
        parameter.setHelp(tr(help_text))
        if advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(parameter)
        return parameter


def value_given(parameters: dict, name: str) -> bool:
    """Whether an optional parameter was given at all. parameterAs* cannot say (an empty
    number reads as 0); QGIS's own algorithms test the raw value the same way."""
    value = parameters.get(name)
    return value is not None and str(value).strip() not in ("", "NULL")


def optional_output(algorithm, parameters: dict, name: str, context) -> str | None:
    """The destination of an optional layer output, or None when it was left out.

    The value is looked at BEFORE ``parameterAsOutputLayer``: QGIS 3.22's batch dialog passes
    a skipped output as an empty ``QgsProcessingOutputLayerDefinition`` bound to the project,
    and ``parameterAsOutputLayer`` would then register "" to load on completion, which the
    dialog reports as "The following layers were not correctly generated" on every row.
    """
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        sink = value.sink
        if sink.propertyType() != QgsProperty.StaticProperty:
            return algorithm.parameterAsOutputLayer(parameters, name, context) or None
        value = sink.staticValue()
    if value is None or not str(value).strip() or str(value) == "NULL":
        return None
    return algorithm.parameterAsOutputLayer(parameters, name, context) or None


def feedback_callbacks(feedback, start: float = 0.0, end: float = 100.0):
    """``progress(fraction)`` and ``cancelled()`` callables for the core."""

    def progress(fraction: float) -> None:
        feedback.setProgress(start + (end - start) * max(0.0, min(1.0, fraction)))

    return progress, feedback.isCanceled


def require_projected(
    crs: QgsCoordinateReferenceSystem, what: str, extent=None, transform_context=None
) -> None:
    """Lengths must be true metres where the data is: refuse a geographic CRS, or one whose
    scale error over ``extent`` exceeds 1% (Web Mercator in the UK: x1.6), naming a CRS
    suited to the place (see units.py)."""
    from .units import check_crs

    check = check_crs(crs, extent, transform_context or QgsCoordinateTransformContext())
    if not check.ok:
        raise QgsProcessingException(
            tr("{what} {problem}: distances and lengths would be wrong. {advice} first.").format(
                what=what, problem=check.problem(), advice=check.advice()
            )
        )


def check_cancel(feedback) -> None:
    if feedback.isCanceled():
        raise QgsProcessingException(tr("Cancelled: no output was produced."))


TIMEZONE = "TIMEZONE"
EARLIEST_DATE = "EARLIEST_DATE"


def add_timezone_parameter(algorithm) -> None:
    """The TIMEZONE parameter every algorithm where wall clock matters takes."""
    from qgis.core import QgsProcessingParameterString

    from ..hotblocking.constants import DEFAULT_TIMEZONE

    algorithm.add(
        QgsProcessingParameterString(
            TIMEZONE, tr("Time zone of the records"), DEFAULT_TIMEZONE, optional=True
        ),
        "The IANA time zone the records' wall clock belongs to, e.g. Europe/London, "
        "Europe/Helsinki or America/Phoenix. Times with Z or an offset are converted to it; "
        "windows, profiles and the patrol plan are in it. Clock changes: an autumn time that "
        "happens twice means its first occurrence; a spring-gap time counts from the end of "
        "the gap.",
        advanced=True,
    )


def timezone_of(algorithm, parameters, context) -> str:
    """The TIMEZONE value, checked (empty: Europe/London)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..hotblocking.constants import DEFAULT_TIMEZONE

    name = algorithm.parameterAsString(parameters, TIMEZONE, context).strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise QgsProcessingException(
            tr(
                "Unknown time zone '{name}': give an IANA name such as Europe/London, "
                "Europe/Helsinki or America/Phoenix."
            ).format(name=name)
        ) from error
    return name
