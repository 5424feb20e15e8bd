"""Small text options the algorithms take from analysts (modeller-friendly strings)."""

from __future__ import annotations

import math


class OptionError(ValueError):
    """A text option could not be read; the message says which part and why."""


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
