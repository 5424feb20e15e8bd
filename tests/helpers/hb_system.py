"""Separate processes as a user meets them: Debian's QGIS with the plugin installed in a private HOME.

Every process gets a clean environment: a private HOME (so no real QGIS profile is used or
touched), a private XDG_RUNTIME_DIR, Qt's offscreen platform, and no PYTHONPATH, venv or
anything else from the test runner's environment.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from hb_json import json_answer

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROCESS = (
    "/usr/bin/qgis_process.bin"  # Debian's qgis_process wrapper adds an option 3.22 rejects
)
DEBIAN_PYTHON = "/usr/bin/python3"
TIMEOUT = 300
PROFILE = Path(".local/share/QGIS/QGIS3/profiles/default")  # relative to HOME


def clean_env(home: Path, **extra: str) -> dict:
    runtime = home / ".runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(runtime),
    }
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    env.update(extra)
    return env


def pip_cache() -> dict:
    """The runner's pip cache, so that installs into private HOMEs do not download again."""
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    return {"PIP_CACHE_DIR": cache}


@dataclass
class Home:
    """A private HOME with a QGIS profile."""

    home: Path

    @property
    def profile(self) -> Path:
        return self.home / PROFILE

    @property
    def plugin_dir(self) -> Path:
        return self.profile / "python" / "plugins" / "hotblocking"

    def env(self, **extra: str) -> dict:
        return clean_env(self.home, **extra)


def make(target: str, home: Home, *args: str) -> subprocess.CompletedProcess:
    """`make <target>` in the checkout, as a user with this HOME runs it."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), target, *args],
        env=home.env(**pip_cache()),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def qgis_process(
    home: Home, *args: str, cwd: Path, **extra_env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [QGIS_PROCESS, *args],
        cwd=cwd,
        env=home.env(**extra_env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def parameters(line: str) -> list[str]:
    """``KEY=value`` arguments written as on a shell command line."""
    return shlex.split(line)


def run_json(home: Home, algorithm: str, args: list[str], cwd: Path) -> dict:
    """``qgis_process.bin --json run``: its answer once every output file it names exists.

    QGIS 3.22's qgis_process can crash on exit after Processing runs: a non-zero exit after a
    complete JSON answer whose outputs all exist is accepted, with a warning.
    """
    done = qgis_process(home, "--json", "run", algorithm, "--", *args, cwd=cwd)
    try:
        answer = json_answer(done.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(
            f"no JSON from {algorithm} (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        ) from error
    results = answer["results"]
    files = [
        str(value).split("|")[0]
        for value in results.values()
        if isinstance(value, str) and str(value).split("|")[0].endswith((".gpkg", ".pdf"))
    ]
    missing = [f for f in files if not (cwd / f).exists()]
    assert files and not missing, (algorithm, results, done.stderr[-3000:])
    if done.returncode != 0:
        warnings.warn(f"qgis_process exited {done.returncode} after a complete run: {algorithm}")
    answer["stderr"] = done.stderr
    return answer
