"""Where an output goes: every vector destination QGIS offers, parsed and checked up front.

What ``parameterAsOutputLayer`` can give, and what becomes of it (README, "Where your data
lives"):

* a file path: ``.gpkg`` (the bulk writer), ``.shp``, ``.geojson``, ``.fgb``, ``.csv`` (WKT
  geometry, field types in a ``.csvt``, CRS in a ``.prj``), ``.sqlite`` (SpatiaLite);
  anything else is refused;
* ``ogr:dbname='x.gpkg' table="t" (geom)`` ("Save to GeoPackage" / "Save to Database
  Table" for a GeoPackage): the table ``t`` in that file, the file's other tables kept;
  ``ogr:dbname='PG:...' table=...`` is a PostGIS table;
* ``postgres://<uri>`` or ``postgis:<uri>`` ("Save to Database Table" for PostGIS): a table
  written through GDAL's PostgreSQL driver (COPY);
* ``<provider>://<uri>`` for other database providers (e.g. ``spatialite://``): through
  QGIS's own QgsVectorLayerExporter, as QGIS's algorithms do;
* ``memory:`` / ``memory:name``: a temporary memory layer.

A destination is refused before any work when it cannot hold what the output holds
(:func:`check`), and two outputs of one run may not share a file or table
(:func:`refuse_shared`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProviderRegistry,
)

from .common import tr

#: file extension -> (OGR driver, name in messages)
FILE_FORMATS = {
    "gpkg": ("GPKG", "GeoPackage"),
    "shp": ("ESRI Shapefile", "Shapefile"),
    "geojson": ("GeoJSON", "GeoJSON"),
    "fgb": ("FlatGeobuf", "FlatGeobuf"),
    "csv": ("CSV", "CSV"),
    "sqlite": ("SQLite", "SpatiaLite"),
}
SUPPORTED_WORDS = (
    "a GeoPackage (.gpkg), Shapefile (.shp), GeoJSON (.geojson), FlatGeobuf (.fgb), CSV "
    "(.csv) or SpatiaLite (.sqlite) file, a PostGIS table or a temporary layer"
)
DBF_TEXT_LIMIT = 254
_PROVIDER_PREFIX = re.compile(r"^(?P<key>\w{3,}?)://(?P<uri>.+)$", re.DOTALL)
_OGR_PG = re.compile(r"^dbname='PG:(?P<conninfo>.*)'\s+(?P<rest>table=.*)$", re.DOTALL)


class DestinationError(QgsProcessingException):
    """An output destination refused before any work (the message says why and what to use)."""


@dataclass(frozen=True)
class OutputSpec:
    """What one vector output of an algorithm can hold, for the up-front checks."""

    name: str  # the parameter's name (OUTPUT, UNMATCHED...)
    label: str  # words for messages ("Joined incidents")
    geometry: bool = True  # False: a table without geometry
    rows_without_geometry: bool = False
    long_text: tuple[str, ...] = ()  # fields whose text is longer than a DBF holds
    optional: bool = False  # may be left out (createByDefault=False)


@dataclass(frozen=True)
class Destination:
    """A parsed output destination (``kind``: none, temporary, gpkg, file, postgres, memory,
    provider)."""

    kind: str
    raw: str
    path: str = ""
    table: str = ""  # an explicit table or layer name ("" = the output's default)
    driver: str = ""
    provider: str = ""
    uri: str = ""  # provider URI without its prefix (postgres, other providers)
    update: bool = False  # write one table into an existing data source

    @property
    def format_name(self) -> str:
        ext = _extension(self.path)
        return FILE_FORMATS.get(ext, ("", ext.upper() or "this"))[1]

    def shared_key(self):
        """What two outputs must not share, or None (memory layers are always distinct)."""
        if self.kind in ("gpkg", "file"):
            path = os.path.normcase(os.path.realpath(self.path))
            if self.driver in ("ESRI Shapefile", "CSV"):  # sidecar files (.prj, .dbf...)
                path = os.path.splitext(path)[0]
            return ("file", path, self.table if self.update else "*")
        if self.kind in ("postgres", "provider"):
            uri = QgsDataSourceUri(self.uri)
            where = (uri.host(), uri.port(), uri.service(), uri.database())
            return (self.kind, self.provider, where, uri.schema() or "public", uri.table())
        return None


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower().lstrip(".")


def parse(value: str) -> Destination:
    """A destination from what ``parameterAsOutputLayer`` gives (see the module's list)."""
    raw = value or ""
    text = raw.strip()
    if not text:
        return Destination("none", raw)
    if text == QgsProcessing.TEMPORARY_OUTPUT:  # a fresh temporary file: never shared
        return Destination("temporary", raw)
    if text.startswith("memory:"):
        return Destination("memory", raw, table=text[len("memory:") :])
    if text.startswith("postgis:"):
        return _postgres(raw, text[len("postgis:") :])
    match = _PROVIDER_PREFIX.match(text)
    if match and QgsProviderRegistry.instance().providerMetadata(match.group("key")):
        key, uri = match.group("key"), match.group("uri")
        if key == "postgres":
            return _postgres(raw, uri)
        if key == "ogr":
            return _ogr_table(raw, uri)
        return Destination("provider", raw, provider=key, uri=uri)
    if text.startswith("ogr:"):
        return _ogr_table(raw, text[len("ogr:") :])
    ext = _extension(text)
    driver = FILE_FORMATS.get(ext, ("", ""))[0]
    return Destination("gpkg" if ext == "gpkg" else "file", raw, path=text, driver=driver)


def _postgres(raw: str, uri: str) -> Destination:
    return Destination("postgres", raw, provider="postgres", uri=uri)


def _ogr_table(raw: str, uri_text: str) -> Destination:
    """``ogr:dbname='x.gpkg' table="t" (geom)``; a ``PG:`` dbname is a PostGIS table (its
    connection string may hold quotes of its own)."""
    match = _OGR_PG.match(uri_text.strip())
    if match:
        pg = QgsDataSourceUri(match.group("conninfo"))
        rest = QgsDataSourceUri("dbname='x' " + match.group("rest"))
        pg.setDataSource(rest.schema() or "public", rest.table(), rest.geometryColumn())
        return _postgres(raw, pg.uri(False))
    uri = QgsDataSourceUri(uri_text)
    database, table = uri.database(), uri.table()
    ext = _extension(database)
    driver = FILE_FORMATS.get(ext, ("", ""))[0]
    kind = "gpkg" if ext == "gpkg" else "file"
    return Destination(kind, raw, path=database, table=table, driver=driver, update=True)


def check(destination: Destination, spec: OutputSpec) -> None:
    """Refuse a destination that cannot hold ``spec``'s output, saying why and what to use."""
    label = tr(spec.label)
    if destination.kind == "file":
        if not destination.driver:
            raise DestinationError(
                tr("{label}: {fmt} files are not supported as an output. Use {supported}.").format(
                    label=label,
                    fmt=f"'.{_extension(destination.path)}'"
                    if _extension(destination.path)
                    else tr("extension-less"),
                    supported=tr(SUPPORTED_WORDS),
                )
            )
        if destination.driver == "FlatGeobuf" and (not spec.geometry or spec.rows_without_geometry):
            raise DestinationError(
                tr(
                    "{label}: FlatGeobuf drops rows without geometry, and this output "
                    "{has} them. Use a GeoPackage (.gpkg) or another format listed in the help."
                ).format(
                    label=label,
                    has=tr("is a table without") if not spec.geometry else tr("can have"),
                )
            )
        if destination.driver == "ESRI Shapefile" and spec.long_text:
            raise DestinationError(
                tr(
                    "{label}: a Shapefile (DBF) holds at most {limit} characters of text, and "
                    "this output's {fields} are longer. Use a GeoPackage (.gpkg), GeoJSON, "
                    "CSV, SpatiaLite or a PostGIS table."
                ).format(label=label, limit=DBF_TEXT_LIMIT, fields=", ".join(spec.long_text))
            )
    if destination.kind == "postgres":
        uri = QgsDataSourceUri(destination.uri)
        if not (uri.database() or uri.service()):
            raise DestinationError(
                tr(
                    "{label}: the PostGIS destination names no database ({raw}). Give "
                    'postgres://dbname=\'db\' host=... table="schema"."table" (geom), or use '
                    "Save to Database Table in the dialog."
                ).format(label=label, raw=destination.raw)
            )
    if destination.kind == "provider":
        metadata = QgsProviderRegistry.instance().providerMetadata(destination.provider)
        if metadata is None:
            raise DestinationError(
                tr("{label}: no data provider '{key}' in this QGIS. Use {supported}.").format(
                    label=label, key=destination.provider, supported=tr(SUPPORTED_WORDS)
                )
            )


def refuse_shared(destinations: dict, specs: list[OutputSpec]) -> None:
    """Two outputs of one run written to one file or table: the second would replace the
    first while the run reports both."""
    labels = {s.name: tr(s.label) for s in specs}
    seen = {}
    for name, destination in destinations.items():
        key = destination.shared_key()
        if key is None:
            continue
        for other_name, other_key in seen.items():
            same_place = key[:2] == other_key[:2] if key[0] == "file" else key == other_key
            if key[0] == "file" and same_place:
                same_place = "*" in (key[2], other_key[2]) or key[2] == other_key[2]
            if same_place:
                raise DestinationError(
                    tr(
                        "{a} and {b} are both to be written to {where}: one would replace the "
                        "other. Give each output its own file or table."
                    ).format(a=labels[other_name], b=labels[name], where=destination.raw)
                )
        seen[name] = key


def raw_value(parameters: dict, definition) -> str:
    """The destination text of a parameter value without Processing's side effects
    (parameterAsOutputLayer also registers layers to load): for the up-front checks."""
    value = parameters.get(definition.name(), definition.defaultValue())
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    text = "" if value is None else str(value)
    return text
