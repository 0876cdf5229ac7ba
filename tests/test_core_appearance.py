"""A person's own avatar (#15 item 4) over the real server and SQLite file: chosen once, kept on the account,
seen by everyone in every session, validated against the palette, in the export and gone with delete."""

from __future__ import annotations

import aiohttp
import pytest

from conftest import PASSWORD
from wire import errors, events
from wire.appearance import APPEARANCE, FIELDS, PALETTE, choices
from wire.errors import WireError

LOOK = {"skin": 7, "hair": "bun", "hair_colour": 6, "top": 3, "bottom": 2, "body": "broad"}


def test_the_look_chooses_from_the_palette_file():
    c = choices()
    assert set(c) == set(FIELDS)
    assert c["skin"] == tuple(range(len(PALETTE["skin"]))) and c["top"] == tuple(range(len(PALETTE["shirt"])))
    assert c["hair"] == tuple(PALETTE["hair_styles"]) and c["body"] == tuple(PALETTE["body_shapes"])
    assert all(LOOK[k] in c[k] for k in FIELDS)


async def test_a_chosen_look_is_kept_and_everyone_sees_it_every_session(server):
    ana = await server.bot("Ana", room="cafe")
    assert ana._welcomed.result()["appearance"] is None, "a new account has not chosen yet (the client asks)"
    ben = await server.bot("Ben", room="cafe")
    assert "appearance" not in ben.members[ana.avatar], "no look chosen: clients derive one from the id"
    reply = await ana.call(APPEARANCE, LOOK)
    assert reply["appearance"] == LOOK
    await ben.wait_until(lambda: ben.members[ana.avatar].get("appearance") == LOOK)
    # a later session: the welcome says it, and a newcomer's room_state carries it
    again = await server.bot("Ana")
    assert again._welcomed.result()["appearance"] == LOOK
    await ana.call(events.LEAVE)
    await ana.join("cafe")
    await ben.wait_until(lambda: ana.avatar in ben.members and ben.members[ana.avatar].get("appearance") == LOOK)
    cleo = await server.bot("Cleo", room="cafe")
    assert cleo.members[ana.avatar]["appearance"] == LOOK
    assert server.store.get_user(ana.user["id"])["appearance"] is not None


async def test_a_look_outside_the_palette_is_refused_with_a_clear_message(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(APPEARANCE, LOOK)
    bad = [
        ({**LOOK, "skin": len(PALETTE["skin"])}, "skin"),
        ({**LOOK, "hair": "mohawk"}, "hair"),
        ({**LOOK, "body": "huge"}, "body"),
        ({**LOOK, "top": -1}, "top"),
        ({**LOOK, "bottom": True}, "bottom"),
        ({k: v for k, v in LOOK.items() if k != "hair_colour"}, "hair_colour"),
        ({**LOOK, "hat": 1}, "hat"),
    ]
    for look, field in bad:
        with pytest.raises(WireError) as e:
            await ana.call(APPEARANCE, look)
        assert e.value.code == errors.INVALID and field in e.value.message, (field, e.value.message)
    again = await server.bot("Ana")
    assert again._welcomed.result()["appearance"] == LOOK, "a refused look changes nothing"


async def test_the_look_is_in_the_export_and_gone_with_delete(server):
    ana = await server.bot("Ana", room="cafe")
    await ana.call(APPEARANCE, LOOK)
    uid = ana.user["id"]
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Ana", "password": PASSWORD}) as r:
            auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
        async with http.get(server.url + "/api/me/export", headers=auth) as r:
            assert r.status == 200
            assert (await r.json())["appearance"] == LOOK
        async with http.post(server.url + "/api/me/delete", json={"confirm": "Ana"}, headers=auth) as r:
            assert r.status == 200
    assert server.store._exec("SELECT COUNT(*) AS n FROM users WHERE id=?", (uid,)).fetchone()["n"] == 0
    assert server.store.export_user(uid) is None
    raw = server.store._exec("SELECT COUNT(*) AS n FROM users WHERE appearance IS NOT NULL").fetchone()["n"]
    assert raw == 0, "no chosen look is left in the file"
