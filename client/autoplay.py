"""`--autoplay SCENARIO`: the client plays a scenario by itself, through its own keys, and takes pictures.

Used by the demo on machines without a display, and by tests. It presses the
same keys a person would: P opens the list, Enter starts, then at each step
the number key of the first option (or Enter to continue). On an emotion
item it first looks closely at the face (F9), as a person practising would.
With `--shots DIR` it saves a picture of each phase (`01-rationale.png`, ...)
and of the summary. With `--autoplay-phases N` it stops the scenario after N
phases (Esc, then Enter to confirm), which shows the calm stop path.

It never raises into the app: any trouble ends the run with exit code 3 and a
plain message on stderr.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path

from direct.showbase.MessengerGlobal import messenger


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "step"


async def _until(app, cond, timeout: float, what: str):
    deadline = time.perf_counter() + timeout
    while not cond():
        if app.quit_requested:
            raise RuntimeError("the client was closed")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"waited too long for {what}")
        await asyncio.sleep(0.02)


async def _hold(app, seconds: float):
    """Let frames run for a while (lines arrive, bubbles show, faces settle)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not app.quit_requested:
        await asyncio.sleep(0.02)


def _press(key: str):
    messenger.send(key)


async def autoplay(app) -> None:
    o = app.opts
    shots = Path(o.shots) if o.shots else None
    saved: list[str] = []
    n = 0

    def shot(name: str):
        nonlocal n
        if shots is None:
            return
        n += 1
        path = shots / f"{n:02d}-{_slug(name)}.png"
        app.save_screenshot(str(path))
        saved.append(str(path))

    try:
        await _until(
            app, lambda: app.in_room and app.my_id in app.avatars and app.avatars[app.my_id].placed, 60, "the room"
        )
        await _hold(app, 0.5)
        _press("p")
        await _until(app, lambda: app.picker is not None and app.picker.scenarios, 15, "the scenario list")
        if not app.picker.select(o.autoplay, o.difficulty):
            raise LookupError(f"there is no scenario '{o.autoplay}' on this server")
        await _hold(app, 0.3)
        shot("choose-a-scenario")
        _press("enter")
        await _until(
            app,
            lambda: app.scenario_panel is not None and app.scenario_panel.state is not None,
            15,
            "the scenario to start",
        )
        seen: set = set()
        steps = 0
        while True:
            panel = app.scenario_panel
            await _until(
                app,
                lambda: (
                    app.scenario_panel is None
                    or app.scenario_panel.mode == "summary"
                    or app.scenario_panel.waiting_for_me
                ),
                30,
                "the next step",
            )
            panel = app.scenario_panel
            if panel is None or panel.mode == "summary":
                break
            st = panel.state
            ph = st.get("phase") or {}
            if ph.get("index") not in seen:
                seen.add(ph.get("index"))
                if o.autoplay_phases is not None and len(seen) > o.autoplay_phases:
                    _press("escape")  # stop, calmly: the panel asks first
                    await _hold(app, 0.3)
                    shot("stop-the-practice")
                    _press("enter")
                    await _until(
                        app,
                        lambda: app.scenario_panel is None or app.scenario_panel.mode == "summary",
                        15,
                        "the scenario to stop",
                    )
                    break
                if st.get("wait") == "emotion" and app.closeup is None:
                    _press("f9")  # look closely at the face
                elif st.get("wait") != "emotion" and app.closeup is not None:
                    _press("f9")
                await _hold(app, o.autoplay_delay)
                shot(f"{ph.get('index', 0) + 1}-{ph.get('id', 'phase')}")
            else:
                await _hold(app, o.autoplay_delay * 0.5)
            steps += 1
            if steps > 200:
                raise RuntimeError("the scenario did not end after 200 steps")
            _press("1")
        await _hold(app, 0.6)
        if app.closeup is not None:
            _press("f9")
            await _hold(app, 0.4)
        shot("summary")
        if shots is not None:
            print(f"peerspace: saved {len(saved)} pictures in {shots}/", flush=True)
        if app.scenario_panel is not None:
            print("peerspace: " + " | ".join(app.scenario_panel.summary), flush=True)
    except Exception as e:  # a plain message, never a traceback
        print(f"peerspace: autoplay stopped: {e}", file=sys.stderr, flush=True)
        app.exit_code = 3
        if shots is not None:
            try:
                shot("where-it-stopped")
            except Exception:
                pass
    finally:
        app.quit()
