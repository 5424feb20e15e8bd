"""A user's filter expression (e.g. "Crime type" = 'Violence and sexual offences') as the
ids of the records it keeps, found by QGIS itself.

The expression is evaluated once over the layer as QGIS shows it (unsaved edits, virtual
fields, the layer's own filter), in C++ through an aggregate of the feature ids, so a
provider that can compile it (GeoPackage, PostGIS...) filters on its side. The read of the
input is then cut to those ids in one vectorised step, whatever route it took. Records a
filter leaves out are not records of the analysis: the log counts them.
"""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsAggregateCalculator,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsProcessingException,
)

from .common import tr


def checked_expression(text: str, fields, layer=None) -> QgsExpression:
    """The filter parsed and prepared against ``fields``; refused clearly when it cannot run
    (a syntax error, an unknown field or function)."""
    expression = QgsExpression(text)
    if expression.hasParserError():
        raise QgsProcessingException(
            tr("The filter expression cannot be read: {error}").format(
                error=expression.parserErrorString()
            )
        )
    context = _expression_context(layer)
    context.setFields(fields)
    expression.prepare(context)
    if expression.hasEvalError():
        raise QgsProcessingException(
            tr("The filter expression cannot be used on this layer: {error}").format(
                error=expression.evalErrorString()
            )
        )
    return expression


def matching_ids(inp, text: str, id_field: str | None = None, feedback=None) -> np.ndarray:
    """The ids (QGIS feature ids, or ``id_field``'s values where the read uses a key) of the
    records of ``inp`` (a readers.InputLayer) for which the expression is true."""
    layer = inp.layer
    checked_expression(text, inp.source.fields(), layer)
    if layer is not None:
        parameters = QgsAggregateCalculator.AggregateParameters()
        parameters.filter = text
        id_expression = "$id" if id_field is None else QgsExpression.quotedColumnRef(id_field)
        values, ok = layer.aggregate(
            QgsAggregateCalculator.ArrayAggregate,
            id_expression,
            parameters,
            _expression_context(layer),
            None,
            feedback,
        )
        if not ok:
            raise QgsProcessingException(
                tr("The filter expression could not be evaluated on {layer}.").format(
                    layer=inp.name
                )
            )
        return np.asarray(values or [], dtype=np.int64)
    # No layer behind the source (rare): QGIS filters while iterating, ids only in Python.
    request = QgsFeatureRequest().setFilterExpression(text)
    if not request.filterExpression().needsGeometry():
        request.setFlags(QgsFeatureRequest.NoGeometry)
    return np.fromiter((f.id() for f in inp.source.getFeatures(request)), np.int64)


def _expression_context(layer) -> QgsExpressionContext:
    if layer is None:
        return QgsExpressionContext([QgsExpressionContextUtils.globalScope()])
    return QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
