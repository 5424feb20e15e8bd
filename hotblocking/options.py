"""Small text options the algorithms take from analysts (modeller-friendly strings)."""

from __future__ import annotations

import math

from .errors import OptionError

__all__ = ["OptionError", "parse_source_weights"]


def parse_source_weights(text: str | None) -> dict[str, float]:
    """``"ambulance=1; A&E=1; police=0.5"`` -> {"ambulance": 1.0, "A&E": 1.0, "police": 0.5}.

    Separators ``;`` or newlines; labels are matched to incident sources exactly (the
    source labels given when joining). Empty text means every source weighs 1.
    """
    weights: dict[str, float] = {}
    if not text or not text.strip():
        return weights
    for part in text.replace("\n", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        label, sep, value = part.rpartition("=")
        label = label.strip()
        if not sep or not label:
            raise OptionError(f'source weight "{part}": expected LABEL=NUMBER, e.g. police=0.5')
        try:
            weight = float(value)
        except ValueError:
            raise OptionError(
                f'source weight "{part}": "{value.strip()}" is not a number'
            ) from None
        if not math.isfinite(weight) or weight < 0:
            raise OptionError(f'source weight "{part}": weights must be 0 or more')
        if label in weights:
            raise OptionError(f'source weight "{part}": "{label}" is given twice')
        weights[label] = weight
    return weights


# Each hot-block rule's own value when none is given (risk.HOT_RULE_KINDS order).
HOT_RULE_DEFAULTS = {"top_n": 10.0, "top_length_share": 0.05, "significance": 0.05}


def hot_rule_value(kind: str, value: float | None) -> float:
    """The value for hot-block rule ``kind``: ``value``, or the rule's default when None.

    * ``top_n``: a whole number of blocks, 1 or more (default 10);
    * ``top_length_share``: a share of the network's length, 0 to 1 (default 0.05);
    * ``significance``: a Benjamini-Hochberg q threshold, above 0 and below 1 (default 0.05).

    One value field serves three rules, so a value meant for one (10 blocks) must not
    silently mean something else for another (a q of 10): out of range is an error.
    """
    if kind not in HOT_RULE_DEFAULTS:
        raise OptionError(f"unknown hot block rule {kind!r}: one of {', '.join(HOT_RULE_DEFAULTS)}")
    if value is None:
        return HOT_RULE_DEFAULTS[kind]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f'"{value}" is not a number') from None
    shown = f"{number:g}"
    if kind == "top_n" and not (math.isfinite(number) and number >= 1 and number == int(number)):
        raise OptionError(
            f"top N needs a whole number of blocks, 1 or more (got {shown}); empty = 10"
        )
    if kind == "top_length_share" and not 0 <= number <= 1:
        raise OptionError(
            f"a share of network length is between 0 and 1, e.g. 0.05 for 5% (got {shown}); "
            "empty = 0.05"
        )
    if kind == "significance" and not 0 < number < 1:
        raise OptionError(
            f"a q threshold is above 0 and below 1, e.g. 0.05 (got {shown}); empty = 0.05"
        )
    return number
