"""Shared fixtures: a real server on loopback, real Socket.IO bots, a real SQLite file."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import aiohttp
import pytest

import client_handlers
import loopguard
from client import testing
from client.bot import Bot
from server.app import start
from server.appkeys import STORE, WORLD
from server.auth import Accounts
from server.config import Config
from tools.catalogs import compile_stale
from wire.events import STAFF

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse"
# Every test bot connects from 127.0.0.1, so the per-address cap (default 32) is raised for the suite;
# tests of the cap itself set it low explicitly (tests/test_security_sockets.py).
LOOPBACK_MAX_PER_ADDRESS = 10_000


# --- the loop-stall guard (tests/loopguard.py) --------------------------------------------------------------
@pytest.fixture
async def _loop_watch():
    watch = loopguard.LoopWatch.of_this_loop().start()
    yield watch
    watch.stop()


@pytest.fixture(autouse=True)
def _loop_stall_guard(request):
    """Every async test runs watched: server code that stalls the loop > 100 ms fails it (see loopguard.py).
    Set up before the test's other fixtures, so server start-up and shut-down are watched too."""
    if (
        not loopguard.ENABLED
        or not inspect.iscoroutinefunction(getattr(request, "function", None))
        or request.node.get_closest_marker("stalls_loop_on_purpose")
    ):
        yield
        return
    watch = request.getfixturevalue("_loop_watch")
    request.node._loop_watch = watch
    yield
    _report_stalls(watch, "teardown")


@pytest.fixture(autouse=True)
def client_handler_errors():
    """A client handler that raises (logged at WARNING by client/net.py) fails the test at teardown."""
    with client_handlers.watch() as errors:
        yield errors
    errors.check()


def _report_stalls(watch, phase: str) -> None:
    watch.settle()
    failures, notes = loopguard.verdict(watch.new_stalls())
    for stall in notes:
        warnings.warn(loopguard.LoopStallWarning(f"{stall} ({phase}; not server work)"), stacklevel=1)
    if failures:
        pytest.fail("\n".join(str(s) for s in failures), pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "stalls_loop_on_purpose: the test of the loop-stall guard itself")
    # a .po edited since the last `make` is tested as written, not as last compiled
    compile_stale()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    watch = getattr(item, "_loop_watch", None)
    if watch is not None:
        _report_stalls(watch, "set-up or test")
    return result


async def close_shared_client(url: str) -> None:
    """The offscreen test client (client/testing.py), when still signed in to the server stopping, signs out
    first: otherwise the server's shutdown waits ~20 s for its open websocket."""
    app = testing._APP
    session = app.session if app is not None else None
    if session is not None and getattr(session, "base_url", None) == url:
        await app.close_network()


async def close_bots(bots) -> None:
    """Hang up every bot, giving each at most 5 s; a bot whose server is already gone is fine."""
    for bot in bots:
        try:
            await asyncio.wait_for(bot.close(), 5)
        except Exception:
            pass


async def eventually(read, ok=bool, timeout: float = 2.0):
    """Poll `read()` until `ok(value)`, for records written just after people are told (people before
    records); returns the last value, so the caller's assertion shows what was there."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        value = read()
    return value


def form_csrf(html: str) -> str:
    """The CSRF token a dashboard form carries ("" when there is none)."""
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    return m.group(1) if m else ""


async def dashboard_login(url: str, name: str, password: str = PASSWORD):
    """An aiohttp session logged in through the dashboard's own form (it carries a CSRF token).
    Returns the session (with its cookie) and the form's answer status (303 when it worked)."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.get(url + "/dashboard/login") as r:
        csrf = form_csrf(await r.text())
    async with http.post(
        url + "/dashboard/login",
        data={"name": name, "password": password, "csrf": csrf},
        allow_redirects=False,
    ) as r:
        status = r.status
    return http, status


class RunningServer:
    """The real server, in this process's event loop, bound to a free loopback port."""

    def __init__(self, data_dir: Path, **overrides):
        overrides.setdefault("max_per_address", LOOPBACK_MAX_PER_ADDRESS)
        overrides.setdefault("pace_scale", 0.0)  # the autonomous cast speaks without a reading pause (fast suite)
        self.cfg = Config.from_env(
            host="127.0.0.1", port=0, data_dir=str(data_dir), database=str(data_dir / "peerspace.db"), **overrides
        )
        self.bots: list[Bot] = []

    async def start(self) -> RunningServer:
        self.runner, self.port = await start(self.cfg)
        self.app = self.runner.app
        self.world, self.store = self.app[WORLD], self.app[STORE]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def stop(self) -> None:
        await close_bots(self.bots)
        await close_shared_client(self.url)
        await self.runner.cleanup()

    def add_user(self, name: str, role: str = "participant", password: str = PASSWORD) -> dict:
        return self.store.find_user(name) or Accounts(self.store).add(name, password, role)

    def look_after(self, staff: str, participant: str, role: str = "peer_specialist") -> None:
        """`staff` is assigned to `participant` (peer specialists see, and walk in on, only those they look after)."""
        self.store.assign_participant(self.add_user(staff, role)["id"], self.add_user(participant)["id"])

    async def bot(
        self, name: str, role: str = "participant", room: str | None = None, on_duty: bool = True, **kw
    ) -> Bot:
        """A connected bot; a staff member goes on duty first (alerts reach only staff on duty), unless
        `on_duty=False` (logged in, off duty)."""
        self.add_user(name, role)
        bot = Bot(self.url, **kw)
        await bot.login(name, PASSWORD)
        await bot.connect()
        self.bots.append(bot)
        if on_duty and role in STAFF:
            await bot.call("duty", {"on": True})
        if room:
            await bot.join(room)
        return bot


# --- PostgreSQL (tests/pgserver.py): one real server for the session, a fresh database per test -----------------
@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL cluster; a failure to start fails the tests that need it (never a skip)."""
    from pgserver import PostgresServer

    pg = PostgresServer()
    yield pg
    pg.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """Each storage test runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "peerspace.db")
    return request.getfixturevalue("postgres").database()


@pytest.fixture
async def server(tmp_path):
    srv = await RunningServer(tmp_path).start()
    yield srv
    await srv.stop()


@pytest.fixture
async def make_server(tmp_path):
    """Start servers with custom settings (e.g. a short resume grace)."""
    started: list[RunningServer] = []

    async def factory(**overrides) -> RunningServer:
        srv = await RunningServer(tmp_path, **overrides).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        await srv.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """The real server as its own OS process (for kill/restart tests)."""

    def __init__(self, data_dir: Path, port: int | None = None, extra_env: dict | None = None):
        self.data_dir, self.port = data_dir, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PEERSPACE_MAX_PER_ADDRESS": str(LOOPBACK_MAX_PER_ADDRESS),
            "PEERSPACE_PACE_SCALE": "0",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "server", "--data-dir", str(self.data_dir), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self) -> ServerProcess:
        ready = self.data_dir / f"ready-{self.port}"
        ready.unlink(missing_ok=True)
        self.log = open(self.data_dir / f"server-{self.port}.log", "a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "--data-dir",
                str(self.data_dir),
                "serve",
                "--port",
                str(self.port),
                "--ready-file",
                str(ready),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while not ready.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server did not start; see {self.log.name}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close() if hasattr(self, "log") else None


@pytest.fixture
def server_process(tmp_path):
    procs: list[ServerProcess] = []

    def factory(port: int | None = None, **env) -> ServerProcess:
        p = ServerProcess(tmp_path, port, env)
        procs.append(p)
        return p

    yield factory
    for p in procs:
        p.stop()
