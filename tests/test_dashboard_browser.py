"""The dashboard in headless Chromium, driven over the DevTools protocol (aiohttp websocket; no selenium).

Logs in through the real form, opens the pages a facilitator uses, and checks what is on screen:
the DOM text and the pixels of the captured screenshot (plots drawn, alert pill coloured).
Screenshots are kept in the test's tmp dir (and in $PEERSPACE_SCREENSHOTS if set) for people to look at.
"""

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from conftest import PASSWORD
from server.scenarios import ScenarioRun, load_file
from server.scenarios.paths import full_run_inputs
from wire import safety as ws

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# On a developer machine without Chromium these are skipped; in CI (.ci/run installs it) they must run.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (.ci/run installs it)"
)
ROOT = Path(__file__).resolve().parent.parent
CONVERSATION = load_file(ROOT / "scenarios" / "starting_a_conversation.yaml")
EMOTIONS = load_file(ROOT / "scenarios" / "emotion_recognition.yaml")


class Browser:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    async def start(self):
        profile = self.tmp / "chromium-profile"
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and len(port_file.read_text().split()) >= 2:
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        self.http = aiohttp.ClientSession()
        for _ in range(100):
            async with self.http.get(f"http://127.0.0.1:{port}/json/list") as r:
                pages = [t for t in await r.json() if t["type"] == "page"]
            if pages:
                break
            await asyncio.sleep(0.05)
        self.ws = await self.http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024)
        await self.cmd("Page.enable")
        await self.cmd("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1, mobile=False)
        return self

    async def cmd(self, method: str, **params):
        i = next(self.ids)
        await self.ws.send_str(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive(timeout=20)).data)
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg["result"]
            self.events.append(msg)

    async def wait_load(self):
        while True:
            for k, e in enumerate(self.events):
                if e.get("method") == "Page.loadEventFired":
                    del self.events[: k + 1]
                    return
            msg = json.loads((await self.ws.receive(timeout=20)).data)
            self.events.append(msg)

    async def goto(self, url: str):
        self.events.clear()
        await self.cmd("Page.navigate", url=url)
        await self.wait_load()

    async def js(self, expr: str):
        res = await self.cmd("Runtime.evaluate", expression=expr, returnByValue=True)
        return res["result"].get("value")

    async def submit(self, expr: str):
        self.events.clear()
        await self.js(expr)
        await self.wait_load()

    async def screenshot(self, name: str) -> np.ndarray:
        data = base64.b64decode((await self.cmd("Page.captureScreenshot", format="png"))["data"])
        path = self.tmp / f"{name}.png"
        path.write_bytes(data)
        keep = os.environ.get("PEERSPACE_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        from panda3d.core import Filename, PNMImage

        img = PNMImage()
        assert img.read(Filename.from_os_specific(str(path)))
        w, h = img.getXSize(), img.getYSize()
        arr = np.array([[img.getXel(x, y) for x in range(0, w, 2)] for y in range(0, h, 2)], np.float32)
        return arr  # (h/2, w/2, 3), 0..1

    async def close(self):
        await self.ws.close()
        await self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
async def browser(tmp_path):
    b = await Browser(tmp_path).start()
    yield b
    await b.close()


def play(store, room, scenario, difficulty, user, **kw):
    run = ScenarioRun.create(store, room, scenario, difficulty, participant_user_id=user["id"])
    run.start()
    for method, arg in full_run_inputs(scenario, difficulty, **kw):
        if run.phase and run.phase["kind"] == "feedback":
            run.feedback("positive", "Good greeting.", actor="coach")
        getattr(run, method)(arg)
    return run.run_id


async def test_facilitator_logs_in_and_reads_rooms_sessions_and_progress(server, browser, tmp_path):
    ana = await server.bot("Ana", room="cafe")
    sam = await server.bot("Sam", role="peer_specialist", room="cafe")
    server.add_user("Fay", "facilitator")
    await ana.say("I feel like there is no way out")  # a crisis alert, shown on the dashboard
    await sam.wait_for(ws.SAFETY_ALERT)
    run_ids = [
        play(server.store, "cafe", CONVERSATION, "easy", ana.user),
        play(server.store, "cafe", EMOTIONS, "hard", ana.user, emotion_answers="wrong"),
        play(server.store, "cafe", EMOTIONS, "hard", ana.user, emotion_answers="right"),
    ]
    await ana.call(
        ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "hope", "when": "pre", "answers": {"future": 2, "goals": 2}}
    )
    await ana.call(
        ws.ANSWER_QUESTIONNAIRE, {"questionnaire": "hope", "when": "post", "answers": {"future": 4, "goals": 5}}
    )

    # not logged in: the login form
    await browser.goto(server.url + "/dashboard")
    assert "Staff log in" in await browser.js("document.body.innerText")
    # a participant cannot get in through the form
    await browser.submit(
        f"document.getElementById('name').value='Ana';"
        f"document.getElementById('password').value={json.dumps(PASSWORD)};"
        f"document.getElementById('login').click()"
    )
    assert "for staff accounts" in await browser.js("document.body.innerText")
    # the facilitator can
    await browser.submit(
        f"document.getElementById('name').value='Fay';"
        f"document.getElementById('password').value={json.dumps(PASSWORD)};"
        f"document.getElementById('login').click()"
    )
    text = await browser.js("document.body.innerText")
    assert "Rooms now" in text and "The cafe" in text and "Sam" in text and "1 open" in text
    assert await browser.js("document.cookie") == ""  # the session cookie is HttpOnly
    rooms = await browser.screenshot("dashboard-rooms")
    # the open-alert pill is drawn in its warm colour somewhere on the page
    warm = np.abs(rooms - np.array([0xF6, 0xE1, 0xD6]) / 255).sum(axis=2) < 0.03
    assert warm.sum() > 30

    await browser.goto(server.url + "/dashboard/sessions")
    text = await browser.js("document.body.innerText")
    assert all(f"#{r}" in text for r in run_ids)

    await browser.goto(server.url + f"/dashboard/sessions/{run_ids[0]}")
    text = await browser.js("document.body.innerText")
    assert "Fidelity:" in text and "Modelling by the coach" in text and "Skill-step scores" in text
    await browser.screenshot("dashboard-session")

    await browser.goto(server.url + f"/dashboard/people/{ana.user['id']}")
    n_svg = await browser.js("document.querySelectorAll('svg.plot').length")
    assert n_svg == 4  # skills with self-ratings, emotions, homework, hope (fidelity: the supervision page)
    points = await browser.js("document.querySelectorAll('svg.plot circle').length")
    assert points >= 3 + 2 + 2
    img = await browser.screenshot("dashboard-progress")
    # the plot lines are drawn: pixels of the series colour exist on screen
    blue = np.abs(img - np.array([0x3B, 0x6E, 0x8F]) / 255).sum(axis=2) < 0.06
    assert blue.sum() > 100
    # a facilitator sees no delete button (admins only)
    assert await browser.js("document.getElementById('delete') === null")

    await browser.goto(server.url + "/dashboard/safety")
    text = await browser.js("document.body.innerText")
    assert "crisis" in text and "no_way_out" in text and "no way out" not in text.lower().replace("no_way_out", "")
    await browser.screenshot("dashboard-safety")
