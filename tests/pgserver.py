"""A real PostgreSQL server for the test session: initdb into a temporary folder, pg_ctl start on a free port.

Debian's `postgresql` package provides the binaries (/usr/lib/postgresql/<n>/bin; .ci/run installs it). initdb
refuses to run as root, so as root the cluster belongs to the `postgres` user (made by that package). When the
server cannot start, the tests that need it FAIL with the reason: the PostgreSQL backend is never silently untested.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)  # the newest
    path = found[0] if found else shutil.which(name)
    if not path:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed: install Debian's postgresql package (apt-get install postgresql)"
        )
    return path


def _version(path: str) -> int:
    major = Path(path).parents[1].name
    return int(major) if major.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresServer:
    """One throwaway cluster; `database()` makes a fresh, empty database and returns its URL."""

    def __init__(self) -> None:
        initdb, self._pg_ctl = _bin("initdb"), _bin("pg_ctl")  # before anything is made: a missing one fails first
        self.dir = Path(tempfile.mkdtemp(prefix="peerspace-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
            os.chown(self.dir, _uid("postgres"), -1)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(self._pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-w", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, *cmd: str) -> None:
        out = subprocess.run([*self._as, *cmd], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {' '.join(cmd)}: {out.stderr.strip()}\n{tail}")

    def database(self) -> str:
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # noqa: S608  # a name made here
        return f"{self.url}/{name}"

    def stop(self) -> None:
        subprocess.run(
            [*self._as, self._pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def _uid(user: str) -> int:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise RuntimeError(f"running as root, and there is no '{user}' user to own the test cluster") from None
