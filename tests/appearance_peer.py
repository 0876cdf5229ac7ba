"""A second real client, in its own process (one Panda3D window per process): signs in, joins a room and
prints, as one JSON line, how it sees another person's avatar: their member payload and the skin and top
colours of the avatar it built for them, drawn alone (client/ui/appearance.py Portrait).

Used by tests/test_client_appearance.py: python tests/appearance_peer.py URL NAME PASSWORD ROOM WHO
"""

from __future__ import annotations

import asyncio
import json
import sys

from client.app import Options, PeerspaceClient
from client.testing import pump
from client.ui.appearance import Portrait


async def main(url: str, name: str, password: str, room: str, who: str) -> None:
    app = PeerspaceClient(
        Options(offscreen=True, size=(480, 300), settings_path=None, server=url, room=room, ask_appearance=False)
    )
    assert await app.login_and_connect(name, password), app.notices.texts

    def seen() -> int | None:
        return next((a for a, m in app.model.members.items() if m.get("name") == who and a in app.avatars), None)

    await pump(app, lambda: seen() is not None, timeout=30)
    aid = seen()
    assert aid is not None
    portrait = Portrait(app)
    portrait.show_body(app.avatars[aid].body)
    colours = portrait.colours()
    print(json.dumps({"member": app.model.members[aid], "colours": {k: v.tolist() for k, v in colours.items()}}))
    await app.close_network()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
