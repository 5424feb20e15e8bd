"""The floors stay apart: the core imports no QGIS or Qt, and the modules the plugin reads
at load time (schema, wordings, constants, errors) import nothing beyond the stdlib."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted(
    f"hotblocking.{p.stem}" if p.name != "__init__.py" else "hotblocking"
    for p in (ROOT / "hotblocking").glob("*.py")
) + ["hotblocking.risk"]
STDLIB_ONLY = [
    "hotblocking.configurations",
    "hotblocking.constants",
    "hotblocking.disclosure",
    "hotblocking.errors",
    "hotblocking.schema",
    "hotblocking.wording",
]


def imported_by(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    code = (
        f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({prefixes!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return eval(done.stdout)


def test_engine_imports_no_qgis():
    assert imported_by(CORE, ("qgis", "PyQt5", "PyQt6", "osgeo")) == []


@pytest.mark.parametrize("module", STDLIB_ONLY)
def test_load_time_modules_are_stdlib_only(module):
    assert imported_by([module], ("numpy", "pandas", "scipy", "shapely")) == []
