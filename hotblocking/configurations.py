"""computerisk configurations to backtest, written as analysts write them (standard library only).

A configuration is a label and some of computerisk's settings, by their parameter names::

    SPEC    = CONFIG (';' CONFIG | newline CONFIG)*
    CONFIG  = [LABEL ':'] [SETTING (',' SETTING)*]
    SETTING = NAME '=' VALUE

for example ``smoothed: BANDWIDTH=150, HALF_LIFE_DAYS=180, USE_HARM=yes; plain:``. Names are
those of computerisk's parameters (any case): BANDWIDTH (layer units), HALF_LIFE_DAYS,
USE_HARM, MERGE_MINUTES, MERGE_REPEATS (yes/no, true/false, 1/0) and SOURCE_WEIGHTS, whose
value is quoted because it holds ``=`` and ``;`` itself: ``SOURCE_WEIGHTS="police=0.5; A&E=1"``.
A setting left out takes computerisk's default (:data:`RISK_DEFAULTS`), so ``plain:`` is
computerisk as shipped. A configuration without a label is named after its settings.

A search grid (:func:`search_grid`) is every pair of the given BANDWIDTH and HALF_LIFE_DAYS
values, the other settings at their defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

from .errors import OptionError
from .options import parse_source_weights

__all__ = [
    "RISK_DEFAULTS",
    "SETTINGS",
    "Configuration",
    "parse_configurations",
    "parse_levels",
    "parse_numbers",
    "search_grid",
]

RISK_DEFAULTS: dict = {
    "bandwidth_m": 0.0,
    "half_life_days": 0.0,
    "use_harm": False,
    "merge_minutes": 30.0,
    "merge_repeats": True,
    "source_weights": None,
}
"""computerisk's defaults, as :func:`hotblocking.risk.compute_risk` keyword arguments (a QGIS
test checks them against the algorithm's parameters)."""

SETTINGS: dict[str, str] = {
    "BANDWIDTH": "bandwidth_m",
    "HALF_LIFE_DAYS": "half_life_days",
    "USE_HARM": "use_harm",
    "MERGE_MINUTES": "merge_minutes",
    "MERGE_REPEATS": "merge_repeats",
    "SOURCE_WEIGHTS": "source_weights",
}
"""computerisk parameter name -> compute_risk keyword, for the settings a configuration takes."""

SEARCH_PREFIX = "search"
_YES = {"yes", "true", "1", "on"}
_NO = {"no", "false", "0", "off"}


@dataclass(frozen=True)
class Configuration:
    """A label and complete compute_risk keyword arguments (defaults filled in)."""

    label: str
    settings: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The settings in the grammar, every one written out (for the output table)."""
        return settings_text(self.settings)


def settings_text(settings: dict) -> str:
    by_keyword = {keyword: name for name, keyword in SETTINGS.items()}
    parts = []
    for keyword, value in settings.items():
        name = by_keyword.get(keyword, keyword)
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, dict):
            shown = '"' + "; ".join(f"{k}={v:g}" for k, v in value.items()) + '"'
        elif value is None:
            continue
        else:
            shown = f"{value:g}"
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def parse_configurations(text: str | None) -> list[Configuration]:
    """Configurations from ``text`` (module doc); an empty text gives none."""
    configurations: list[Configuration] = []
    for part in _split(text or "", ";\n"):
        part = part.strip()
        if not part:
            continue
        label, given = _label_and_settings(part)
        label = label or settings_text(given) or "defaults"
        configuration = Configuration(label, {**RISK_DEFAULTS, **given})
        if any(c.label == configuration.label for c in configurations):
            raise OptionError(
                f'configuration "{configuration.label}" is given twice: give each a label of '
                "its own"
            )
        configurations.append(configuration)
    return configurations


def _label_and_settings(part: str) -> tuple[str, dict]:
    head, colon, rest = part.partition(":")
    if colon and "=" not in head:
        label, body = head.strip(), rest
    else:
        label, body = "", part
    given: dict = {}
    for item in _split(body, ","):
        item = item.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        name = name.strip().upper()
        if not equals:
            raise OptionError(
                f'configuration "{part}": "{item}" is not NAME=VALUE (e.g. BANDWIDTH=150)'
            )
        if name not in SETTINGS:
            raise OptionError(
                f'configuration "{part}": unknown setting "{name}"; known: {", ".join(SETTINGS)}'
            )
        keyword = SETTINGS[name]
        if keyword in given:
            raise OptionError(f'configuration "{part}": {name} is given twice')
        given[keyword] = _value(name, value.strip(), part)
    return label, given


def _value(name: str, value: str, part: str):
    keyword = SETTINGS[name]
    where = f'configuration "{part}": {name}'
    if keyword in ("use_harm", "merge_repeats"):
        if value.lower() in _YES:
            return True
        if value.lower() in _NO:
            return False
        raise OptionError(f'{where} is yes or no, not "{value}"')
    if keyword == "source_weights":
        inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
        try:
            return parse_source_weights(inner) or None
        except OptionError as error:
            raise OptionError(f"{where}: {error}") from None
    return _non_negative(value, where)


def _non_negative(value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f'{where} needs a number, not "{value}"') from None
    if not math.isfinite(number) or number < 0:
        raise OptionError(f"{where} needs a number of 0 or more, not {value}")
    return number


def _split(text: str, separators: str) -> list[str]:
    """``text`` cut at any of ``separators`` outside double quotes."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise OptionError(f"an opening quote is never closed in: {text.strip()}")
    parts.append("".join(current))
    return parts


def parse_numbers(text: str | None, what: str) -> list[float]:
    """``"0, 50, 100"`` -> [0.0, 50.0, 100.0] (0 or more each, sorted, repeats dropped);
    empty text gives []."""
    numbers = []
    for item in (text or "").replace(";", ",").split(","):
        if item.strip():
            numbers.append(_non_negative(item.strip(), what))
    return sorted(set(numbers))


def parse_levels(text: str | None) -> tuple[float, ...]:
    """Coverage levels in percent of network length (``"1, 2, 5"``) as shares (0.01, ...)."""
    levels = parse_numbers(text, "coverage levels")
    if not levels:
        raise OptionError("give at least one coverage level, in percent (e.g. 1, 2, 5, 10, 20)")
    if any(not 0 < level <= 100 for level in levels):
        raise OptionError("coverage levels are percents above 0 and at most 100")
    return tuple(level / 100 for level in levels)


def search_grid(bandwidths: list[float], half_lives: list[float]) -> list[Configuration]:
    """Every (bandwidth, half-life) pair, the other settings at computerisk's defaults, from
    the smallest (an empty list means the default only). Labelled ``search: BANDWIDTH=..,
    HALF_LIFE_DAYS=..``."""
    bandwidths = sorted(set(bandwidths)) or [RISK_DEFAULTS["bandwidth_m"]]
    half_lives = sorted(set(half_lives)) or [RISK_DEFAULTS["half_life_days"]]
    grid = []
    for bandwidth, half_life in product(bandwidths, half_lives):
        settings = {**RISK_DEFAULTS, "bandwidth_m": bandwidth, "half_life_days": half_life}
        label = f"{SEARCH_PREFIX}: BANDWIDTH={bandwidth:g}, HALF_LIFE_DAYS={half_life:g}"
        grid.append(Configuration(label, settings))
    return grid
