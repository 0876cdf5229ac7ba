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
import time
from pathlib import Path

import pytest

from conftest import PASSWORD
from real_window import ROOT, TOOLS, real_client, xdo
from wire import events

LOOK = {"skin": 2, "hair": "long", "hair_colour": 1, "top": 4, "bottom": 0, "body": "average"}

# Skipped only on a developer machine without Xvfb/xdotool; in CI (.ci/run installs them) it must run.
pytestmark = pytest.mark.skipif(not TOOLS and not os.environ.get("CI"), reason="needs Xvfb and xdotool")


async def test_real_keys_in_a_real_window_chat_and_walk(server, tmp_path):
    wren_account = server.add_user("Wren")
    # Wren chose a look before: no first-login avatar chooser over the room (test_client_appearance.py)
    server.store.set_appearance(wren_account["id"], json.dumps(LOOK))
    pike = await server.bot("Pike", room="park")
    args = ["--server", server.url, "--user", "Wren", "--password", PASSWORD, "--room", "park", "--size", "800x500"]
    async with real_client(tmp_path, *args, "--settings", str(tmp_path / "settings.json")) as rc:
        env = rc.env
        await pike.wait_until(lambda: any(m["name"] == "Wren" for m in pike.members.values()), timeout=30)
        wren = next(a for a, m in pike.members.items() if m["name"] == "Wren")
        await pike.wait_until(lambda: wren in pike.poses, timeout=10)
        await rc.find_window(10)
        await asyncio.sleep(1.0)  # the client settles; the monitoring note is up
        xdo(env, "key", "Escape")  # any key closes the note
        await asyncio.sleep(0.3)
        xdo(env, "key", "Escape")  # nothing open: Esc goes back from nothing (never settings, never quits)
        await asyncio.sleep(0.3)
        assert rc.proc.poll() is None
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
        # released: the avatar comes to a stop (on a loaded machine the last poses may still be on their way)
        last = pike.poses[wren][1]
        for _ in range(25):
            await asyncio.sleep(0.2)
            if abs(pike.poses[wren][1] - last) < 0.01:
                break
            last = pike.poses[wren][1]
        x1, y1, _ = pike.poses[wren]
        assert abs(x1 - x0) < 0.05 and y1 - y0 < 2.5  # the server's walking speed, about 1.6 m/s
        await asyncio.sleep(0.5)
        assert pike.poses[wren][1] == pytest.approx(y1, abs=0.05)  # and stays: no more walking


# --- the mouse, typing without a mode switch and Esc on every screen (#15), in one client process ------------

MINIMAL = ROOT / "tests" / "scenario_fixtures" / "minimal.yaml"


class Window:
    """The real client in a real X window: xdotool for keys and clicks, its --state-file for what it shows."""

    def __init__(self, env: dict, window: str, state_file: Path):
        self.env, self.window, self.state_file = env, window, state_file

    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    async def until(self, ok, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        st = self.state()
        while not (st and ok(st)):
            assert time.monotonic() < deadline, f"not reached in time; the client shows {st}"
            await asyncio.sleep(0.1)
            st = self.state()
        return st

    async def settle(self) -> dict:
        """Wait for a fresh state file (written after the last event was handled)."""
        await asyncio.sleep(0.4)
        return self.state()

    def key(self, *keys: str) -> None:
        xdo(self.env, "key", "--window", self.window, *keys)

    def type(self, text: str) -> None:
        xdo(self.env, "type", "--delay", "40", text)

    async def click(self, target: str, timeout: float = 10.0) -> None:
        st = await self.until(lambda s: target in s.get("targets", {}), timeout)
        x, y = st["targets"][target]
        xdo(self.env, "mousemove", "--window", self.window, str(x), str(y))
        await asyncio.sleep(0.15)  # the pointer is over it before the button goes down
        xdo(self.env, "click", "1")


async def test_mouse_typing_and_esc_on_every_screen_in_a_real_window(make_server, tmp_path):
    own = tmp_path / "own-scenarios"
    own.mkdir()
    shutil.copy(MINIMAL, own / "minimal.yaml")
    server = await make_server(scenarios_dir=str(own))
    settings = tmp_path / "settings.json"
    server.add_user("Wren")
    pike = await server.bot("Pike", room="park")
    args = ["--server", server.url, "--size", "960x600", "--settings", str(settings)]
    async with real_client(tmp_path, *args, "--state-file", str(tmp_path / "state.json")) as rc:
        env = rc.env
        # the state file is written once frames run in the open window (a busy machine may take a while)
        win = Window(env, "", tmp_path / "state.json")
        await win.until(lambda s: s["screen"] == "LoginScreen", timeout=60)
        win.window = await rc.find_window(20)
        # the login screen: Esc neither quits nor opens settings
        st = await win.until(lambda s: s["screen"] == "LoginScreen", timeout=20)
        assert st["settings"]["text_size"] == "large"  # a first start: larger text
        win.key("Escape")
        st = await win.settle()
        assert rc.proc.poll() is None and st["screen"] == "LoginScreen" and not st["settings_open"]
        # text size and contrast chosen on the login screen, by mouse, and remembered in the settings file
        await win.click("login:text_size")
        await win.until(lambda s: s["settings"]["text_size"] == "extra large")
        await win.click("login:contrast")
        await win.until(lambda s: s["settings"]["contrast"] == "high")
        assert json.loads(settings.read_text())["text_size"] == "extra large"
        win.key("Left")  # the keyboard changes the chosen row too
        await win.until(lambda s: s["settings"]["contrast"] == "usual")
        # sign in: click the fields, type, click Sign in
        await win.click("login:field0")
        win.type("Wren")
        await win.click("login:field1")
        win.type(PASSWORD)
        await win.click("login:sign_in")
        # the room list: Esc does nothing; a click on the room joins it
        await win.until(lambda s: s["screen"] == "RoomListScreen" and "room:park" in s["targets"], timeout=15)
        win.key("Escape")
        st = await win.settle()
        assert st["screen"] == "RoomListScreen" and not st["settings_open"] and rc.proc.poll() is None
        for _ in range(3):  # the first click chooses the room, a click on the chosen room joins it
            await win.click("room:park")
            await asyncio.sleep(0.5)
            if win.state().get("in_room"):
                break
        st = await win.until(lambda s: s["in_room"], timeout=15)
        assert st["mode"] == "walk"
        wren = next(a for a, m in pike.members.items() if m["name"] == "Wren")
        await pike.wait_until(lambda: wren in pike.poses, timeout=10)
        # in the room: Esc closes the arrival note, then goes back from nothing
        win.key("Escape")
        win.key("Escape")
        st = await win.settle()
        assert not st["monitoring_card"] and not st["settings_open"] and not st["quit_dialog"] and st["in_room"]
        # a sentence typed straight away (no Enter first) is a chat message: no letter acts as a command
        win.type("I am ready to start")
        st = await win.settle()
        assert st["chat_typing"] and st["mode"] == "chat" and st["selected"] is None
        win.key("Return")
        line = await pike.wait_for(events.SAID, lambda d: d["name"] == "Wren", timeout=10)
        assert line["text"] == "I am ready to start"
        # a click on a person chooses them (as R does); Esc clears the choice. Turn (Left held) until Pike is in view.
        for _ in range(24):
            if "person:Pike" in (await win.settle())["targets"]:
                break
            xdo(env, "keydown", "Left")
            await asyncio.sleep(0.25)
            xdo(env, "keyup", "Left")
        await win.click("person:Pike")
        await win.until(lambda s: s["selected"] == "Pike")
        win.key("Escape")
        await win.until(lambda s: s["selected"] is None)
        # a click on the floor walks there (the server moves the avatar)
        x0, y0, _ = pike.poses[wren]
        await win.click("floor:ahead")
        await pike.wait_until(lambda: abs(pike.poses[wren][0] - x0) + abs(pike.poses[wren][1] - y0) > 1.5, timeout=10)
        await asyncio.sleep(2.5)
        x1, y1, _ = pike.poses[wren]
        await asyncio.sleep(0.5)
        assert pike.poses[wren][:2] == pytest.approx((x1, y1), abs=0.05)  # arrived: stands still
        # practice: P, click the scenario (choose, then start), click Continue
        win.key("p")
        for _ in range(3):
            await win.click("picker:minimal")
            await asyncio.sleep(0.5)
            if win.state().get("panel"):
                break
        await win.click("option:continue", timeout=15)
        # own words where a text answer is possible: typed at once, no key first; Enter sends
        st = await win.until(lambda s: (s["panel"] or {}).get("wait") == "choice" and s["panel"]["typing"], timeout=15)
        assert st["mode"] == "answer"
        win.type("hello my name is Wren")
        await win.until(lambda s: s["panel"]["typed"] == "hello my name is Wren")
        assert win.state()["selected"] is None and not win.state()["chat_typing"]
        win.key("Return")
        await win.until(lambda s: "ask" in (s["panel"] or {}).get("options", []), timeout=15)
        await win.click("option:ask")  # choose an option by mouse
        await win.until(lambda s: (s["panel"] or {}).get("wait") in ("ended", None) or s["panel"]["mode"] == "summary")
        run = server.store.runs()[-1]
        choices = [e["data"] for e in server.store.run_events(run["id"]) if e["kind"] == "choice"]
        # the typed words were matched to "greet"; "ask" was clicked
        assert [(c["option"], c["via"]) for c in choices] == [("greet", "text"), ("ask", "choice")]
        # Ctrl+Q asks first: Esc stays, Enter quits
        win.key("ctrl+q")
        await win.until(lambda s: s["quit_dialog"])
        win.key("Escape")
        await win.until(lambda s: not s["quit_dialog"])
        assert rc.proc.poll() is None
        win.key("ctrl+q")
        await win.until(lambda s: s["quit_dialog"])
        win.key("Return")
        assert rc.proc.wait(15) == 0
