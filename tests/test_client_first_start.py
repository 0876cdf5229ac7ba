"""The installed client's first start: the service's address is asked for, remembered in the settings file, and used
from then on; the assets are found beside the program in a frozen build. (The built bundle itself is checked by
`make bundle-check`: tools/bundle.py.)"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from direct.showbase.MessengerGlobal import messenger

import wire.assets
from client.testing import pump
from client.ui.screens import LoginScreen, RoomListScreen
from client.ui.server_screen import ServerScreen, normalise_server
from client_room import app  # noqa: F401  (the fixture)
from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def test_what_a_person_types_becomes_an_address():
    assert normalise_server("peerspace.example.org") == ("https://peerspace.example.org", "")
    assert normalise_server("  https://peerspace.example.org/  ") == ("https://peerspace.example.org", "")
    assert normalise_server("http://127.0.0.1:8642/dashboard") == ("http://127.0.0.1:8642", "")
    assert normalise_server("[2001:db8::1]:8642") == ("https://[2001:db8::1]:8642", "")
    assert normalise_server("") == ("", "server.need_address")
    assert normalise_server("ftp://peerspace.example.org") == ("", "server.bad_scheme")
    assert normalise_server("peerspace.example.org:port") == ("", "server.bad_address")
    assert normalise_server("https://") == ("", "server.bad_address")


def type_text(text: str) -> None:
    for ch in text:
        messenger.send("keystroke", [ch])


async def test_first_start_asks_for_the_address_keeps_it_and_signs_in(app, server, tmp_path):
    settings = tmp_path / "client.json"
    app.opts.server, app.opts.settings_path, app.opts.room = None, settings, None
    try:
        app.screens.show_server()
        assert isinstance(app.screen, ServerScreen) and app.focus is app.screen
        type_text("gopher://x")
        messenger.send("enter")  # refused, with what to write instead; nothing is saved
        assert isinstance(app.screen, ServerScreen) and "https://" in app.screen.status.getText()
        assert not settings.exists()
        for _ in range(len("gopher://x")):
            messenger.send("backspace")
        type_text(server.url + "/")
        messenger.send("enter")
        assert isinstance(app.screen, LoginScreen) and server.url in app.screen.server
        assert json.loads(settings.read_text())["server"] == server.url and app.opts.server == server.url
        # the login screen can go back to change it; Esc there changes nothing
        app.screen.on_change_server()
        assert isinstance(app.screen, ServerScreen) and app.screen.field.value == server.url
        messenger.send("escape")
        assert isinstance(app.screen, LoginScreen)
        # and signing in goes to the service chosen
        server.add_user("Noor")
        type_text("Noor")
        messenger.send("tab")
        type_text(PASSWORD)
        messenger.send("enter")
        await pump(app, lambda: isinstance(app.screen, RoomListScreen), timeout=10)
        # a settings change on any panel keeps the address
        app.apply_settings(type(app.settings)(text_size="small"))
        assert json.loads(settings.read_text())["server"] == server.url
    finally:
        app.opts.server = None


async def test_a_later_start_uses_the_remembered_address(server, tmp_path):
    """`python -m client` with no --server and no PEERSPACE_SERVER: the settings file's address."""
    server.add_user("Ines")
    settings = tmp_path / "client.json"
    settings.write_text(json.dumps({"server": server.url, "text_size": "medium"}))
    state = tmp_path / "state.json"
    env = {k: v for k, v in os.environ.items() if k != "PEERSPACE_SERVER"}
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "client", "--user", "Ines", "--password", PASSWORD, "--room", "cafe"],
        *["--screenshot", str(tmp_path / "shot.png"), "--frames", "5", "--size", "480x300", "--offscreen"],
        *["--settings", str(settings), "--state-file", str(state)],
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert json.loads(state.read_text())["in_room"] is True
    assert json.loads(settings.read_text())["server"] == server.url


def test_a_frozen_client_finds_its_assets_beside_the_program(tmp_path, monkeypatch):
    program = tmp_path / "peerspace-client"
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "palette.json").write_text("{}")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    assert wire.assets.assets_dir() == tmp_path / "assets"
    # a macOS .app: Contents/MacOS/<program>, the assets in Contents/Resources
    mac = tmp_path / "peerspace.app" / "Contents"
    (mac / "MacOS").mkdir(parents=True)
    (mac / "Resources" / "assets").mkdir(parents=True)
    (mac / "Resources" / "assets" / "palette.json").write_text("{}")
    monkeypatch.setattr(sys, "executable", str(mac / "MacOS" / "peerspace-client"))
    assert wire.assets.assets_dir() == mac / "Resources" / "assets"
    # nothing beside it: the sources' folder, as when run from a checkout
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "peerspace-client"))
    assert wire.assets.assets_dir() == wire.assets.SOURCE_ASSETS
    monkeypatch.delattr(sys, "frozen")
    assert wire.assets.assets_dir() == wire.assets.SOURCE_ASSETS
