"""A private PostgreSQL + PostGIS cluster for the tests and the benchmark.

Debian's ``postgresql`` and ``postgis`` packages (scripts/setup.sh installs them); no system
service is touched: ``initdb`` makes a cluster in a temporary folder, the server listens on
127.0.0.1 at a free port (and on a unix socket in the same folder), with ``TimeZone = UTC``
unless told otherwise, and ``stop()`` removes it all. The server refuses to run as root, so
when we are root it runs as the unprivileged ``postgres`` user (made by Debian's package) or
``nobody``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("HB_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "hotblocking"
SUPERUSER = "hb"


def available() -> str | None:
    """None when a private cluster can be started here, else the reason it cannot."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {BIN} (run make setup)"
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        return "PostGIS is not installed (run make setup)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_user() -> str | None:
    """The unprivileged account the server runs as when we are root (None: as ourselves)."""
    if os.getuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


class PrivateCluster:
    """``with PrivateCluster() as pg: pg.uri(table="t")`` or ``start()``/``stop()``."""

    def __init__(self, timezone: str = "UTC"):
        self.timezone = timezone
        self.folder: Path | None = None
        self.port: int | None = None
        self.user = _server_user()

    # -------------------------------------------------------------------------- life cycle

    def start(self) -> PrivateCluster:
        self.folder = Path(tempfile.mkdtemp(prefix="hb-pg-"))
        data = self.folder / "data"
        data.mkdir(mode=0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.folder, data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._as_server(
            [
                BIN / "initdb",
                "-D",
                data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        self.port = _free_port()
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            f"-c timezone={self.timezone} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off"
        )
        self._as_server(
            [BIN / "pg_ctl", "-D", data, "-o", options, "-l", self.folder / "server.log", "-w"]
            + ["start"]
        )
        try:
            self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
            self.psql("CREATE EXTENSION postgis")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            self._as_server(
                [BIN / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop"]
            )
        except subprocess.CalledProcessError:
            pass  # never started, or already gone
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> PrivateCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _as_server(self, command: list) -> str:
        command = [str(c) for c in command]
        if self.user:
            command = ["runuser", "-u", self.user, "--"] + command
        done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
        if done.returncode:
            raise subprocess.CalledProcessError(
                done.returncode, command, done.stdout, done.stderr + self._log_tail()
            )
        return done.stdout

    def _log_tail(self) -> str:
        log = self.folder / "server.log" if self.folder else None
        return log.read_text()[-2000:] if log and log.exists() else ""

    # ------------------------------------------------------------------------------ access

    def conninfo(self, database: str = DATABASE) -> str:
        """libpq connection string (also QGIS's URI prefix and GDAL's ``PG:`` form)."""
        return f"dbname='{database}' host=127.0.0.1 port={self.port} user='{SUPERUSER}'"

    def gdal(self) -> str:
        return "PG:" + self.conninfo()

    def uri(
        self, table: str, schema: str = "public", geometry: str | None = "geom", sql="", **extra
    ):
        """A QGIS postgres data source URI (without the ``postgres://`` prefix)."""
        text = f"{self.conninfo()} "
        for key, value in extra.items():
            text += f"{key}={value} "
        text += f'table="{schema}"."{table}"'
        if geometry:
            text += f" ({geometry})"
        if sql:
            text += f" sql={sql}"
        return text

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """Run SQL with psql (as ourselves, over TCP); returns unaligned, tuples-only output."""
        done = subprocess.run(
            [
                str(BIN / "psql"),
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "PGTZ"},
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}\nSQL: {sql}")
        return done.stdout.strip()

    def wait_ready(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except RuntimeError:
                time.sleep(0.1)
        raise RuntimeError("the private PostgreSQL did not answer")
