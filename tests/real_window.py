"""The desktop client as a person runs it: its own process, a real window on a virtual X display (Xvfb), driven
by real key and mouse events (xdotool). Used by the real-window tests (test_client_window.py and others)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = all(shutil.which(t) for t in ("Xvfb", "xdotool"))


def free_display() -> str:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return f":{n}"
    raise RuntimeError("no free X display number")


def xdo(env, *args) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=10).stdout


@dataclass
class RealClient:
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    async def find_window(self, timeout: float = 30.0) -> str:
        """The client's window, once it is open, focused for the keys to come."""
        deadline = time.time() + timeout
        found: list[str] = []
        while not found and time.time() < deadline:
            found = xdo(self.env, "search", "--name", "peerspace").split()
            await asyncio.sleep(0.2)
        assert found, "the client opened no window"
        xdo(self.env, "windowfocus", "--sync", found[0])
        return found[0]


@asynccontextmanager
async def real_client(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> AsyncIterator[RealClient]:
    """`python -m client ARGS` (with `env` added to its environment) in a window of its own X display; stopped
    after, and its log must hold no traceback (a client handler that raised is logged with it, client/net.py)."""
    display = free_display()
    env = {**os.environ, **(env or {}), "DISPLAY": display, "PYTHONUNBUFFERED": "1"}
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1024x700x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log_path = tmp_path / "client.log"
    client = None
    try:
        with open(log_path, "w") as log:
            client = subprocess.Popen(
                [sys.executable, "-m", "client", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            yield RealClient(env, client)
    finally:
        if client is not None and client.poll() is None:
            client.terminate()
            try:
                client.wait(10)
            except subprocess.TimeoutExpired:
                client.kill()
        xvfb.terminate()
        xvfb.wait(10)
    assert "Traceback" not in log_path.read_text()
