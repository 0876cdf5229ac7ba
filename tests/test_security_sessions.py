"""Issue #11, holes 2 and 3, attacked over real HTTP and Socket.IO against the real store.

Hole 2: a token outlived its account (ids were reused) and its logout. Every use of a token is now
checked against the user's session epoch; logout, password change, ban and delete revoke at once.
Hole 3: login had no throttle and an unknown name answered 40x faster than a known one.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

import aiohttp
import pytest

from conftest import PASSWORD, ROOT, dashboard_login, form_csrf
from wire import safety as ws
from wire.errors import WireError
from wire.session import Session


async def api_login(http, url, name, password=PASSWORD):
    async with http.post(url + "/api/login", json={"name": name, "password": password}) as r:
        return r.status, await r.json(), r.headers


async def token_for(http, url, name, password=PASSWORD) -> str:
    status, body, _ = await api_login(http, url, name, password)
    assert status == 200, body
    return body["token"]


async def refused_everywhere(server, token: str) -> None:
    """The token opens nothing: not the API, not the dashboard (header or cookie), not Socket.IO."""
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status in (401, 403), await r.text()
        async with http.get(
            server.url + "/dashboard", headers={"Authorization": f"Bearer {token}"}, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/dashboard/login")
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, cookies={"ps_token": token}) as http:
        async with http.get(server.url + "/dashboard/safety", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/dashboard/login")
    s = Session(server.url, reconnect=False, call_timeout=5)
    s.token = token
    try:
        with pytest.raises(WireError) as e:
            await s.connect()
        assert e.value.code in ("unauthorized", "forbidden")
    finally:
        await s.close()


async def accepted_everywhere(server, token: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200
    s = Session(server.url, reconnect=False, call_timeout=5)
    s.token = token
    try:
        await s.connect()
    finally:
        await s.close()


# --- hole 2 ----------------------------------------------------------------------------------------------
async def test_a_deleted_persons_token_does_not_log_in_as_the_next_account(server):
    server.add_user("Dee")
    async with aiohttp.ClientSession() as http:
        old = await token_for(http, server.url, "Dee")
        async with http.post(
            server.url + "/api/me/delete", json={"confirm": "Dee"}, headers={"Authorization": f"Bearer {old}"}
        ) as r:
            assert r.status == 200
    # the next account created is an admin: the old token must not open it
    server.add_user("Root", "admin")
    await refused_everywhere(server, old)
    async with aiohttp.ClientSession() as http:
        await accepted_everywhere(server, await token_for(http, server.url, "Root"))


async def test_logout_ends_the_token_at_once(server):
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        token = await token_for(http, server.url, "Ana")
        other_device = await token_for(http, server.url, "Ana")
        await accepted_everywhere(server, token)
        async with http.post(server.url + "/api/logout", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200 and (await r.json())["ok"] is True
    await refused_everywhere(server, token)
    await refused_everywhere(server, other_device)  # logout ends every session of the account
    async with aiohttp.ClientSession() as http:  # and logging in again works
        await accepted_everywhere(server, await token_for(http, server.url, "Ana"))


async def test_dashboard_logout_ends_the_cookie_at_once(server):
    server.add_user("Fay", "facilitator")
    http, status = await dashboard_login(server.url, "Fay")
    async with http:
        assert status == 303
        cookie = next(c.value for c in http.cookie_jar if c.key == "ps_token")
        async with http.get(server.url + "/dashboard") as r:
            page = await r.text()
        logout_csrf = form_csrf(page)
        async with http.post(server.url + "/dashboard/logout", data={"csrf": logout_csrf}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/dashboard/login"
    await refused_everywhere(server, cookie)  # a copy of the cookie kept by someone else is dead too


async def test_a_password_change_ends_every_old_token(server):
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        token = await token_for(http, server.url, "Ana")
        other_device = await token_for(http, server.url, "Ana")
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(
            server.url + "/api/me/password", headers=auth, json={"old": "not my password", "new": "a new passphrase"}
        ) as r:
            assert r.status == 403 and "nothing was changed" in (await r.json())["error"]["message"]
        async with http.post(
            server.url + "/api/me/password", headers=auth, json={"old": PASSWORD, "new": "a new passphrase"}
        ) as r:
            assert r.status == 200
            fresh = (await r.json())["token"]
        await refused_everywhere(server, token)
        await refused_everywhere(server, other_device)
        await accepted_everywhere(server, fresh)
        assert (await api_login(http, server.url, "Ana"))[0] == 401
        assert (await api_login(http, server.url, "Ana", "a new passphrase"))[0] == 200


async def test_a_password_set_from_the_cli_ends_the_running_servers_tokens(server):
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        token = await token_for(http, server.url, "Ana")
    cli = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "server",
            "--data-dir",
            server.cfg.data_dir,
            "--db",
            server.cfg.database,
            "user",
            "passwd",
            "Ana",
            "--password",
            "another passphrase",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    await refused_everywhere(server, token)
    async with aiohttp.ClientSession() as http:
        await accepted_everywhere(server, await token_for(http, server.url, "Ana", "another passphrase"))


async def test_a_ban_ends_the_token_even_after_it_is_lifted(server):
    fay = await server.bot("Fay", "facilitator", room="cafe")
    ana = await server.bot("Ana", room="cafe")
    token = ana.token
    await fay.call(ws.KICK, {"avatar": ana.avatar, "ban_minutes": 60})
    await refused_everywhere(server, token)
    uid = ana.user["id"]
    await server.store.aio.set_banned_until(uid, None)  # lifted: they log in again, the old token stays dead
    await refused_everywhere(server, token)
    async with aiohttp.ClientSession() as http:
        await accepted_everywhere(server, await token_for(http, server.url, "Ana"))


# --- hole 3 ----------------------------------------------------------------------------------------------
async def test_wrong_guesses_are_throttled_then_the_owner_gets_in(make_server):
    server = await make_server(login_free_per_name=3, login_backoff_base=0.5)
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        for _ in range(4):  # 3 free failures, the 4th starts the backoff
            assert (await api_login(http, server.url, "Ana", "guess"))[0] == 401
        status, body, headers = await api_login(http, server.url, "Ana", "guess")
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert body["error"]["code"] == "rate_limited" and "Please wait" in body["error"]["message"]
        status, _, _ = await api_login(http, server.url, "Ana")
        assert status == 429  # the right password too, while throttled
        await asyncio.sleep(0.6)
        # another wrong guess after the window: a longer wait (exponential backoff)
        assert (await api_login(http, server.url, "Ana", "guess"))[0] == 401
        status, _, headers = await api_login(http, server.url, "Ana", "guess")
        assert status == 429
        await asyncio.sleep(1.1)
        status, body, _ = await api_login(http, server.url, "Ana")  # after the window: no lockout
        assert status == 200 and body["token"]
        assert (await api_login(http, server.url, "Ana", "guess"))[0] == 401  # and the count starts again


async def test_guesses_from_one_address_across_names_are_throttled(make_server):
    server = await make_server(login_free_per_address=4, login_backoff_base=30)
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        for i in range(5):
            assert (await api_login(http, server.url, f"Someone{i}", "guess"))[0] == 401
        status, _, headers = await api_login(http, server.url, "Ana")
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 30


async def test_the_dashboard_login_form_shares_the_throttle(make_server):
    server = await make_server(login_free_per_name=2, login_backoff_base=30)
    server.add_user("Fay", "facilitator")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(server.url + "/dashboard/login") as r:
            csrf = form_csrf(await r.text())
        statuses = []
        for _ in range(4):
            async with http.post(
                server.url + "/dashboard/login",
                allow_redirects=False,
                data={"name": "Fay", "password": "guess", "csrf": csrf},
            ) as r:
                statuses.append(r.status)
                html, retry = await r.text(), r.headers.get("Retry-After")
        assert statuses == [401, 401, 401, 429] and int(retry) >= 1 and "Please wait" in html
        status, _, _ = await api_login(http, server.url, "Fay")  # the API shares the count
        assert status == 429


async def test_unknown_and_existing_names_take_alike(make_server):
    server = await make_server(login_free_per_name=1000, login_free_per_address=1000)
    server.add_user("Ana")
    times = {"Ana": [], "Nobody": []}
    async with aiohttp.ClientSession() as http:
        await api_login(http, server.url, "Ana", "warm up")
        for _ in range(7):
            for name in times:
                t0 = time.perf_counter()
                status, _, _ = await api_login(http, server.url, name, "wrong guess")
                times[name].append(time.perf_counter() - t0)
                assert status == 401
    known, unknown = statistics.median(times["Ana"]), statistics.median(times["Nobody"])
    assert known / unknown < 3 and unknown / known < 3, (known, unknown)


async def test_a_login_flood_does_not_stall_another_room(make_server):
    server = await make_server(login_free_per_name=100_000, login_free_per_address=100_000)
    server.add_user("Ana")
    bot = await server.bot("Bob", room="park")
    done = 0
    stop = asyncio.Event()

    async def guess(http):
        nonlocal done
        while not stop.is_set():
            await api_login(http, server.url, "Ana", "wrong guess")
            done += 1

    async def round_trips(n):
        rtts = []
        for _ in range(n):
            t0 = time.perf_counter()
            await bot.move(0.0)
            rtts.append(time.perf_counter() - t0)
            await asyncio.sleep(0.02)
        return rtts

    async with aiohttp.ClientSession() as http:
        flood = [asyncio.create_task(guess(http)) for _ in range(8)]
        await asyncio.sleep(0.3)
        during = await round_trips(40)
        stop.set()
        await asyncio.gather(*flood)
    assert done >= 8  # the flood really ran (scrypt on every guess)
    # With scrypt on the loop each round trip waited behind several hashes (median 214 ms measured);
    # loose here on purpose, the real figure comes from bench/attack_login.py.
    assert statistics.median(during) < 0.1, statistics.median(during)
