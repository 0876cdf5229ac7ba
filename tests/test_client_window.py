"""The client in a real window on a virtual X display, driven by real key events (xdotool).

Offscreen tests inject Panda3D events; this one goes through X: a focused
window, typed characters (`keystroke`), a held arrow key. The server and a
bot on loopback check what arrived.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PASSWORD
from wire import events

LOOK = {"skin": 2, "hair": "long", "hair_colour": 1, "top": 4, "bottom": 0, "body": "average"}

ROOT = Path(__file__).resolve().parent.parent
TOOLS = all(shutil.which(t) for t in ("Xvfb", "xdotool"))
# Skipped only on a developer machine without Xvfb/xdotool; in CI (.ci/run installs them) it must run.
pytestmark = pytest.mark.skipif(not TOOLS and not os.environ.get("CI"), reason="needs Xvfb and xdotool")


def free_display() -> str:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return f":{n}"
    raise RuntimeError("no free X display number")


def xdo(env, *args) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=10).stdout


async def test_real_keys_in_a_real_window_chat_and_walk(server, tmp_path):
    display = free_display()
    env = {**os.environ, "DISPLAY": display, "PYTHONUNBUFFERED": "1"}
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1024x700x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = None
    try:
        wren_account = server.add_user("Wren")
        # Wren chose a look before: no first-login avatar chooser over the room (test_client_appearance.py)
        server.store.set_appearance(wren_account["id"], json.dumps(LOOK))
        pike = await server.bot("Pike", room="park")
        log = open(tmp_path / "client.log", "w")
        client = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "client",
                "--server",
                server.url,
                "--user",
                "Wren",
                "--password",
                PASSWORD,
                "--room",
                "park",
                "--size",
                "800x500",
                "--settings",
                str(tmp_path / "settings.json"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        await pike.wait_until(lambda: any(m["name"] == "Wren" for m in pike.members.values()), timeout=30)
        wren = next(a for a, m in pike.members.items() if m["name"] == "Wren")
        await pike.wait_until(lambda: wren in pike.poses, timeout=10)
        deadline = time.time() + 10
        found: list[str] = []
        while not found and time.time() < deadline:
            found = xdo(env, "search", "--name", "peerspace").split()
            await asyncio.sleep(0.2)
        assert found, "the client opened no window"
        window = found[0]
        xdo(env, "windowfocus", "--sync", window)
        await asyncio.sleep(1.0)  # the client settles; the monitoring note is up
        xdo(env, "key", "Escape")  # any key closes the note (Esc opens settings...)
        await asyncio.sleep(0.3)
        xdo(env, "key", "Escape")  # ...and Esc again closes them
        await asyncio.sleep(0.3)
        xdo(env, "key", "Return")  # open the chat line
        xdo(env, "type", "--delay", "40", "hello w")  # typed letters, 'w' included, never walk
        xdo(env, "key", "Return")
        line = await pike.wait_for(events.SAID, lambda d: d["name"] == "Wren", timeout=10)
        assert line["text"] == "hello w"
        x0, y0, _ = pike.poses[wren]
        xdo(env, "keydown", "Up")  # hold the arrow: walk forward (heading 0 is +y)
        await asyncio.sleep(1.0)
        xdo(env, "keyup", "Up")
        await pike.wait_until(lambda: pike.poses[wren][1] > y0 + 0.8, timeout=5)
        x1, y1, _ = pike.poses[wren]
        assert abs(x1 - x0) < 0.05 and y1 - y0 < 2.5  # the server's walking speed, about 1.6 m/s
        await asyncio.sleep(0.5)
        assert pike.poses[wren][1] == pytest.approx(y1, abs=0.2)  # released: no more walking
    finally:
        if client is not None:
            client.terminate()
            try:
                client.wait(10)
            except subprocess.TimeoutExpired:
                client.kill()
        xvfb.terminate()
        xvfb.wait(10)
    # a client handler that raised is logged at WARNING with its traceback (client/net.py)
    assert "Traceback" not in (tmp_path / "client.log").read_text()
