"""`make demo` without a display: `python -m client.demo` starts the server and the autonomous coach as
processes, the client plays a scenario offscreen by itself, saves pictures, and everything stops cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from panda3d.core import Filename, PNMImage

ROOT = Path(__file__).resolve().parent.parent


def test_headless_demo_plays_a_scenario_saves_pictures_and_stops_everything(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "client.demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--out",
            str(out),
            "--phases",
            "4",
            "--delay",
            "0.3",
            "--size",
            "640x400",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    pictures = sorted(out.glob("*.png"))
    names = [p.name for p in pictures]
    # the list, one picture per phase played, the calm stop question, and the summary
    assert names[0].endswith("choose-a-scenario.png") and names[-1].endswith("summary.png"), names
    assert any("stop-the-practice" in n for n in names) and len(names) >= 7, names
    for p in pictures:
        img = PNMImage()
        assert img.read(Filename.fromOsSpecific(str(p))) and img.getXSize() == 640, p
        px = np.array([[img.getXel(x, y) for x in range(0, 640, 16)] for y in range(0, 400, 16)])
        assert px.std() > 0.05, f"{p.name} is blank"
    assert f"{len(pictures)} pictures in {out}" in done.stdout
    assert "the autonomous coach 'coach-bot' holds the coach's role" in done.stdout
    assert "stopped the coach and the server" in done.stdout
    # the demo accounts were made once, with pseudonyms, and their passwords never printed
    accounts = (tmp_path / "demo" / "demo-accounts.json").read_text()
    assert "River" in accounts and "coach-bot" in accounts
    import json

    for who in json.loads(accounts).values():
        assert who["password"] not in done.stdout + done.stderr
    assert (tmp_path / "demo" / "peerspace.db").exists()


async def test_demo_accounts_work_when_a_password_starts_with_a_dash(make_server, tmp_path):
    """A random password starting with '-' (about 1 run in 30) was read as an option by the server's CLI."""
    from client.bot import Bot
    from client.demo import Demo

    (tmp_path / "demo-accounts.json").write_text(
        json.dumps(
            {
                "participant": {"name": "River", "password": "-Xq3v-secret"},
                "agent": {"name": "coach-bot", "password": "--looks-like-an-option"},
            }
        )
    )
    demo = Demo(tmp_path, tmp_path / "out")
    acc = await asyncio.to_thread(demo.accounts)  # the server's CLI, as `make demo` runs it
    assert acc["participant"]["password"] == "-Xq3v-secret"
    srv = await make_server()  # the same database (tmp_path/peerspace.db)
    for who in acc.values():
        bot = Bot(srv.url)
        assert (await bot.login(who["name"], who["password"]))["name"] == who["name"]
