"""Install Hot Blocking into a QGIS profile for QGIS's own Python (run by scripts/install.sh).

    /usr/bin/python3 scripts/install_plugin.py [--link] [--profile NAME]

1. Finds the profile as QGIS does: $QGIS_CUSTOM_CONFIG_PATH, else
   ${XDG_DATA_HOME:-$HOME/.local/share}/QGIS/QGIS3; the profile named by --profile, else
   $QGIS_PROFILE, else profiles.ini's default, else "default".
2. Copies the plugin's files (scripts/plugin_files.py, the ZIP's list) to
   <profile>/python/plugins/hotblocking, or with --link symlinks this checkout there.
3. Installs the packages the running Python lacks and Debian cannot provide (shapely 2: Debian 12
   has 1.8.5) from pip into the plugin's private folder libs/ (--no-deps: QGIS's numpy is never
   touched), at the versions the tests pin (hotblocking/dependencies.py).
4. Enables the plugin in <profile>/QGIS/QGIS3.ini ([PythonPlugins] hotblocking=true).
5. Runs the plugin's own dependency check and fails with its message if anything is missing.

Run it with the Python QGIS runs (Debian: /usr/bin/python3). Standard library only.
"""

from __future__ import annotations

import argparse
import configparser
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path


def _load(name: str, path: Path):
    """A module from its file, without putting the checkout on sys.path (its processing/
    would shadow QGIS's own when this runs inside a test session)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


HERE = Path(__file__).resolve().parent
plugin_files = _load("hb_plugin_files", HERE / "plugin_files.py")
ROOT = plugin_files.ROOT
dependencies = _load("hb_dependencies", ROOT / "hotblocking" / "dependencies.py")


def profiles_root() -> Path:
    custom = os.environ.get("QGIS_CUSTOM_CONFIG_PATH")
    if custom:
        return Path(custom) / "profiles"
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(data_home) / "QGIS" / "QGIS3" / "profiles"


def profile_dir(name: str | None) -> Path:
    root = profiles_root()
    if not name:
        name = os.environ.get("QGIS_PROFILE")
    if not name:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(root / "profiles.ini", encoding="utf-8")
        name = parser.get("core", "defaultProfile", fallback="") or "default"
    return root / name


def enable_plugin(ini: Path, key: str) -> None:
    """Set ``key=true`` under [PythonPlugins], leaving every other line as QGIS wrote it."""
    lines = ini.read_text(encoding="utf-8").splitlines() if ini.exists() else []
    entry = f"{key}=true"
    try:
        start = lines.index("[PythonPlugins]") + 1
    except ValueError:
        lines += ([""] if lines and lines[-1].strip() else []) + ["[PythonPlugins]", entry]
    else:
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
        found = [i for i in range(start, end) if lines[i].split("=", 1)[0].strip() == key]
        if found:
            lines[found[0]] = entry
        else:
            lines.insert(start, entry)
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")


def packages_for_private_folder(plugin_dir: Path) -> list:
    """What pip must put into libs/: what Debian cannot provide (shapely 2), at the tested
    version, and any package Debian has only in a too-old version. Never numpy."""
    dependencies.use_private_folder(str(plugin_dir))
    folder = dependencies.private_folder(str(plugin_dir))
    needed = [
        p
        for p in dependencies.find_problems()
        if p.requirement.name != "numpy" and (p.requirement.debian is None or p.found)
    ]
    for requirement in dependencies.REQUIREMENTS:
        in_folder = dependencies.metadata_version(requirement.name, folder)
        listed = any(p.requirement == requirement for p in needed)
        if requirement.debian is None and in_folder not in ("", requirement.tested) and not listed:
            needed.append(dependencies.Problem(requirement, in_folder))  # another version
    return needed


def pip_into_private_folder(plugin_dir: Path, problems: list) -> None:
    folder = dependencies.private_folder(str(plugin_dir))
    specs = [f"{p.requirement.name}=={p.requirement.tested}" for p in problems]
    print(f"Installing {', '.join(specs)} into {folder} (for QGIS's {sys.executable})")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--root-user-action=ignore"]  # a root install into a private folder is fine
    command += ["--no-deps", "--only-binary=:all:", "--upgrade", "--target", folder, *specs]
    if subprocess.run(command).returncode != 0:
        raise SystemExit(f"pip failed: {' '.join(command)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", action="store_true", help="symlink this checkout (developers)")
    parser.add_argument("--profile", help="QGIS profile name (default: QGIS's default profile)")
    args = parser.parse_args(argv)

    profile = profile_dir(args.profile)
    plugin_dir = profile / "python" / "plugins" / plugin_files.PLUGIN_NAME
    if args.link:
        if plugin_dir.exists() and not plugin_dir.is_symlink():
            raise SystemExit(f"{plugin_dir} is a folder, not a link: remove it first.")
        plugin_dir.parent.mkdir(parents=True, exist_ok=True)
        if plugin_dir.is_symlink():
            plugin_dir.unlink()
        plugin_dir.symlink_to(ROOT, target_is_directory=True)
        print(f"Linked {ROOT} -> {plugin_dir}")
    else:  # the packages already in libs/ stay if they are still the right ones
        plugin_files.copy_to(plugin_dir, keep=(dependencies.PRIVATE_FOLDER,))
        print(f"Copied the plugin to {plugin_dir}")

    needed = packages_for_private_folder(plugin_dir)
    if needed:
        pip_into_private_folder(plugin_dir, needed)
    dependencies.use_private_folder(str(plugin_dir))  # libs/ may be new
    importlib.invalidate_caches()
    problems = dependencies.find_problems()
    if problems:
        print(dependencies.problem_message(problems, str(plugin_dir)), file=sys.stderr)
        return 1

    ini = profile / "QGIS" / "QGIS3.ini"
    enable_plugin(ini, plugin_files.PLUGIN_NAME)
    print(f"Enabled in {ini}. Restart QGIS if it is running.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
