"""Font family names in saved styles and projects (QML, SLD, .qgs text).

Hot Blocking saves no family name (see "Label fonts" in processing/styling.py): the machine
that opens a style draws its labels in its own default font.
"""

from __future__ import annotations

import re

ALLOWED_FAMILIES: set[str] = set()  # none: every platform's own default font
_PATTERNS = [
    re.compile(r'fontFamily="([^"]*)"'),  # QML/QGS text formats
    re.compile(r'<se:SvgParameter name="font-family">([^<]*)<'),  # SLD
    re.compile(r'<fontProperties[^>]*description="([^",]*)'),  # diagrams: QFont.toString()
    re.compile(r'name="[^"]*[Ff]ont"[^>]*value="([^",]*)'),  # font options: QFont.toString()
    re.compile(r'value="([^",]*),[0-9.-]+,[0-9-]+,[0-9]+,[0-9]+[^"]*"[^>]*name="[^"]*[Ff]ont"'),
]


def font_families(text: str) -> set[str]:
    """Every font family named in ``text``."""
    return {match for pattern in _PATTERNS for match in pattern.findall(text)}
