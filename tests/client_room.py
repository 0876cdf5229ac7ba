"""Shared by the client tests: the one offscreen client of this process, signed in to the real server."""

from __future__ import annotations

import pytest

from client.testing import pump, shared_app
from conftest import PASSWORD


@pytest.fixture
async def app(server):
    """The shared client; it depends on `server` so it hangs up before the server stops."""
    a = shared_app()
    yield a
    await a.close_network()


async def enter(app, server, name="Ana", role="participant", room="cafe"):
    """Sign `name` in through the client and wait until their own avatar stands in `room`."""
    server.add_user(name, role)
    app.opts.server, app.opts.room, app.opts.user = server.url, room, name
    assert await app.login_and_connect(name, PASSWORD), app.notices.texts
    await pump(app, lambda: app.in_room and app.my_id in app.avatars and app.avatars[app.my_id].placed)
