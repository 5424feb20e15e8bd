"""Strings are translatable: every tr() call gets a plain template (then .format()).

Qt's translation tools (pylupdate5) read the literal inside tr(...); an f-string or a
concatenation is formatted before tr() sees it, so it can never match a translation.
Plain Python (ast) over the plugin's QGIS-facing modules: no QGIS needed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for folder in ("processing", "ui")
    for p in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in p.parts
) + [ROOT / "plugin.py"]


def _is_tr(node: ast.Call) -> bool:
    """tr(...), self.tr(...) or QCoreApplication.translate(...) (not QPainter.translate)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "tr"
    if isinstance(func, ast.Attribute):
        owner = func.value
        return func.attr == "tr" or (
            func.attr == "translate"
            and isinstance(owner, ast.Name)
            and owner.id == "QCoreApplication"
        )
    return False


def _problems(path: Path, root: Path = ROOT) -> list[str]:
    where = path.relative_to(root)
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and _is_tr(node)):
            continue
        for argument in node.args:
            if isinstance(argument, ast.JoinedStr):
                problems.append(f"{where}:{node.lineno}: tr() of an f-string")
            elif isinstance(argument, ast.BinOp):
                problems.append(f"{where}:{node.lineno}: tr() of a concatenation")
            elif isinstance(argument, ast.Call) and getattr(argument.func, "attr", "") == "format":
                problems.append(f"{where}:{node.lineno}: tr() of a formatted text")
    return problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_tr_gets_a_template_not_a_formatted_string(path):
    assert _problems(path) == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'tr(f"{n} blocks")\n'
        'tr("a " + name)\n'
        'self.tr("{n} rows".format(n=1))\n'
        'QCoreApplication.translate("ctx", f"x{y}")\n'
        'tr("{n} blocks").format(n=1)\n'  # the right way: not reported
        "painter.translate(x - 70, y)\n",  # not a translation
        encoding="utf-8",
    )
    assert len(_problems(sample, tmp_path)) == 4
