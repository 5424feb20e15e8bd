"""The third-party Python packages the engine needs: declared once, checked without importing.

QGIS runs the plugin in its own Python (Debian's ``/usr/bin/python3``, OSGeo4W's, the macOS
bundle's), not in a venv. The plugin may carry a private folder of packages (``libs/`` in the
plugin folder, filled by ``make install`` or by the command in the message below) that it puts
first on ``sys.path`` before anything imports them, so that e.g. Debian 12's shapely 1.8.5 does
not win over shapely 2.

The check reads versions from the packages' metadata (``importlib.metadata``) in the folder the
import system would load each package from (``importlib.util.find_spec``): it imports none of
them, so loading the plugin stays cheap. Standard library only.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass

PRIVATE_FOLDER = "libs"  # inside the plugin folder; only the plugin puts it on sys.path


@dataclass(frozen=True)
class Requirement:
    name: str  # import name, also the distribution name
    minimum: str  # the oldest version the engine is tested with
    tested: str  # the version the venv pins (requirements.txt) and pip hints install
    debian: str | None  # the Debian 12 package meeting the minimum (None: Debian's is too old)


REQUIREMENTS = (
    Requirement("numpy", "1.24", "1.26.4", "python3-numpy"),
    Requirement("pandas", "1.5.3", "2.2.3", "python3-pandas"),
    Requirement("scipy", "1.10", "1.14.1", "python3-scipy"),
    Requirement("shapely", "2.0", "2.0.7", None),  # Debian 12's python3-shapely is 1.8.5
)


@dataclass(frozen=True)
class Problem:
    requirement: Requirement
    found: str | None  # the version that would be imported; None when missing

    def describe(self) -> str:
        name, minimum = self.requirement.name, self.requirement.minimum
        if self.found is None:
            return f"{name} is missing (needs {minimum} or newer)"
        return f"{name} {self.found} is too old (needs {minimum} or newer)"


def private_folder(plugin_dir: str) -> str:
    return os.path.join(plugin_dir, PRIVATE_FOLDER)


def use_private_folder(plugin_dir: str) -> None:
    """Put the plugin's private package folder first on sys.path, if it exists."""
    folder = private_folder(plugin_dir)
    if os.path.isdir(folder) and folder not in sys.path:
        sys.path.insert(0, folder)
        import importlib

        importlib.invalidate_caches()


def release(version: str) -> tuple[int, ...]:
    """The leading numeric release of a version: '1.5.3+dfsg' -> (1, 5, 3); '2.0rc1' -> (2, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def at_least(version: str, minimum: str) -> bool:
    found, wanted = release(version), release(minimum)
    width = max(len(found), len(wanted))
    return found + (0,) * (width - len(found)) >= wanted + (0,) * (width - len(wanted))


def installed_version(name: str) -> str | None:
    """The version of the package ``import name`` would load, without importing it.

    None when it cannot be imported; "" when it can but carries no version metadata.
    """
    module = sys.modules.get(name)
    if module is not None:  # already imported (e.g. by another plugin): that one is used
        return str(getattr(module, "__version__", ""))
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        package_dir = list(spec.submodule_search_locations)[0]
    elif spec.origin:
        package_dir = spec.origin
    else:
        return ""
    return metadata_version(name, os.path.dirname(package_dir))


def metadata_version(name: str, folder: str) -> str:
    """The version in ``folder``'s dist-info/egg-info for ``name`` (the one next to the code)."""
    import importlib.metadata

    wanted = _normalise(name)
    for distribution in importlib.metadata.distributions(path=[folder]):
        if _normalise(distribution.metadata["Name"] or "") == wanted:
            return distribution.version
    return ""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_problems(requirements=REQUIREMENTS) -> list[Problem]:
    """Every requirement that is missing or older than its minimum.

    A package that imports but carries no version metadata is given the benefit of the doubt.
    """
    problems = []
    for requirement in requirements:
        found = installed_version(requirement.name)
        if found is None or (found and not at_least(found, requirement.minimum)):
            problems.append(Problem(requirement, found))
    return problems


def platform_kind() -> str:
    """'debian', 'linux', 'windows' or 'macos': which install instructions to give."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "debian" if os.path.exists("/etc/debian_version") else "linux"


def qgis_python(kind: str | None = None) -> str:
    """The interpreter QGIS embeds, as a user would type it in a terminal."""
    if (kind or platform_kind()) == "windows":
        return "python"  # in the OSGeo4W Shell, which puts QGIS's Python first on PATH
    candidate = os.path.join(sys.exec_prefix, "bin", "python3")
    return candidate if os.path.exists(candidate) else "python3"


def _pip_command(python: str, folder: str, problems: list[Problem], windows: bool) -> str:
    """pip into the private folder, never touching QGIS's own packages (--no-deps)."""
    specs = [f"{p.requirement.name}=={p.requirement.tested}" for p in problems]
    if any(p.requirement.name == "pandas" for p in problems):
        specs += ["python-dateutil", "pytz", "tzdata"]  # pandas' own needs, as --no-deps skips them
    quote = _windows_quote if windows else shlex.quote
    return (
        f"{quote(python)} -m pip install --no-deps --only-binary=:all: "
        f"--target {quote(folder)} {' '.join(specs)}"
    )


def _windows_quote(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s&()^%]", text) else text


def install_instructions(
    problems: list[Problem],
    plugin_dir: str,
    kind: str | None = None,
    python: str | None = None,
    has_pip: bool | None = None,
) -> str:
    """What to run on this platform to fix ``problems`` (several lines of plain text)."""
    kind = kind or platform_kind()
    python = python or qgis_python(kind)
    if has_pip is None:
        import importlib.util

        has_pip = importlib.util.find_spec("pip") is not None
    folder = private_folder(plugin_dir)
    # QGIS's GDAL bindings are built against its numpy: an old one is never replaced from pip.
    numpy_too_old = any(p.requirement.name == "numpy" and p.found is not None for p in problems)
    fixable = [p for p in problems if not (p.requirement.name == "numpy" and p.found is not None)]
    lines = []
    if kind == "debian":
        from_apt = [p for p in fixable if p.found is None and p.requirement.debian]
        from_pip = [p for p in fixable if p not in from_apt]
        apt = [p.requirement.debian for p in from_apt]
        if from_pip and not has_pip:
            apt.append("python3-pip")
        lines.append("On Debian/Ubuntu, run in a terminal:")
        if apt:
            lines.append(f"  sudo apt install {' '.join(apt)}")
        if from_pip:
            lines.append(f"  {_pip_command(python, folder, from_pip, False)}")
        lines.append("(in a Hot Blocking source folder, `make install` does all of this),")
    elif kind == "windows":
        lines.append(
            "On Windows, close QGIS, open the OSGeo4W Shell (Start menu, QGIS folder) and run:"
        )
        if fixable:
            lines.append(f"  {_pip_command(python, folder, fixable, True)}")
    else:
        lines.append(
            f"On {'macOS' if kind == 'macos' else 'Linux'}, quit QGIS and run in a terminal:"
        )
        if fixable:
            lines.append(f"  {_pip_command(python, folder, fixable, False)}")
    if numpy_too_old:
        lines.append(
            "numpy comes with QGIS and must not be replaced from pip (QGIS's GDAL is built "
            "against it): install a newer QGIS, or your system's newer numpy package,"
        )
    lines.append("then restart QGIS.")
    return "\n".join(lines)


def problem_message(problems: list[Problem], plugin_dir: str, **platform) -> str:
    """One message naming every missing or too-old package and how to install them; '' if none."""
    if not problems:
        return ""
    named = "; ".join(p.describe() for p in problems)
    return (
        f"Hot Blocking cannot run: {named}. Its tools stay in the Processing toolbox but refuse "
        f"to run until this is fixed.\n{install_instructions(problems, plugin_dir, **platform)}"
    )
