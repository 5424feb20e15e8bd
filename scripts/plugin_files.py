"""The files a user's QGIS gets, listed once: `make package` zips them, `make install` copies them.

    python3 scripts/plugin_files.py list               # the files, relative to the checkout
    python3 scripts/plugin_files.py zip [OUT.zip]      # default dist/hotblocking-<version>.zip
    python3 scripts/plugin_files.py copy DEST          # DEST becomes the plugin folder

An explicit include list, not an exclude list: tests, bench, scripts, docs, sample data, a
future tools/ folder, the venv, caches and stray files (symbology-style.db) stay out unless
added here on purpose. Standard library only (runs with any python3).
"""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_NAME = "hotblocking"  # the plugin's folder name in a profile, and the ZIP's top folder
INCLUDE = [  # glob patterns relative to the checkout; each must match at least one file
    "__init__.py",
    "plugin.py",
    "plugin_dependencies.py",
    "plugin_metadata.py",
    "resources.py",
    "metadata.txt",
    "README.md",
    "hotblocking/**/*.py",  # the core and its subpackages (hotblocking/risk/)
    "processing/*.py",
    "ui/*.py",
    "styles/*.qml",
    "models/*.model3",
    "icons/*.svg",
]
OPTIONAL = ["LICENSE"]  # shipped when present
ZIP_DATE = (2025, 1, 1, 0, 0, 0)  # fixed timestamps: the same files give the same ZIP


def plugin_files(root: Path = ROOT) -> list[Path]:
    """The plugin's files, relative to ``root``, sorted."""
    found: set[Path] = set()
    for pattern in INCLUDE:
        matches = [p for p in root.glob(pattern) if p.is_file()]
        if not matches:
            raise SystemExit(f"plugin_files: nothing matches {pattern!r} in {root}")
        found.update(p.relative_to(root) for p in matches)
    found.update(Path(name) for name in OPTIONAL if (root / name).is_file())
    return sorted(found)


def plugin_version(root: Path = ROOT) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(root / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


def write_zip(out: Path, root: Path = ROOT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in plugin_files(root):
            info = zipfile.ZipInfo(f"{PLUGIN_NAME}/{relative.as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (root / relative).read_bytes())
    return out


def copy_to(dest: Path, root: Path = ROOT, keep: tuple[str, ...] = ()) -> None:
    """Make ``dest`` hold exactly the plugin's files (plus the entries named in ``keep``)."""
    if dest.is_symlink():
        dest.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for relative in plugin_files(root):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    zip_command = commands.add_parser("zip")
    zip_command.add_argument("out", nargs="?", type=Path)
    copy_command = commands.add_parser("copy")
    copy_command.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(str(p) for p in plugin_files()))
    elif args.command == "zip":
        out = args.out or ROOT / "dist" / f"{PLUGIN_NAME}-{plugin_version()}.zip"
        write_zip(out)
        print(f"{out} ({os.path.getsize(out) / 1024:.0f} KiB)")
    else:
        copy_to(args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
