"""Issue #11, hole 10 and the first small one, over real HTTP against the real server.

Hole 10: /api/me/delete and /api/me/consent accepted the dashboard cookie with any Content-Type and any
Origin, so a cross-origin text/plain form post deleted a staff account. State-changing JSON endpoints now
take the Bearer token only; the cookie is Secure over TLS; the login form has a CSRF token; every
response says nosniff and no-referrer.
Small one: a non-ASCII bearer signature and a deeply nested JSON login body gave a 500.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess

import aiohttp
from aiohttp import web

from conftest import PASSWORD, dashboard_login, form_csrf

EVIL = "http://evil.example"


async def dashboard_session(url: str, name: str) -> aiohttp.ClientSession:
    http, status = await dashboard_login(url, name)
    assert status == 303
    return http


async def test_a_cross_origin_text_plain_post_with_the_cookie_does_nothing(server):
    adi = server.add_user("Adi", "admin")
    server.store.set_consent(adi["id"], True)
    http = await dashboard_session(server.url, "Adi")
    async with http:
        # what a page on another site can make a browser send: a "simple" request, no custom headers
        attack = {"Content-Type": "text/plain", "Origin": EVIL, "Referer": EVIL + "/"}
        for path, body in (
            ("/api/me/delete", '{"confirm": "Adi"}'),
            ("/api/me/consent", '{"recording": false}'),
            ("/api/me/password", '{"old": "correct horse", "new": "attacker chose this"}'),
            ("/api/logout", ""),
        ):
            async with http.post(server.url + path, data=body, headers=attack) as r:
                assert r.status == 401, path
                err = (await r.json())["error"]
                assert err["code"] == "unauthorized" and "Bearer" in err["message"], path
        # nothing happened: the account, its consent, its password and its session are all as they were
        user = server.store.find_user("Adi")
        assert user is not None and user["consent_recording"] == 1
        async with http.get(server.url + "/dashboard", allow_redirects=False) as r:
            assert r.status == 200
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Adi", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        # the app's own client, with its Bearer token, still can
        async with http.post(
            server.url + "/api/me/consent", json={"recording": False}, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            assert r.status == 200
    assert server.store.find_user("Adi")["consent_recording"] == 0


async def test_the_login_form_needs_its_csrf_token(server):
    server.add_user("Fay", "facilitator")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        # a cross-site form post: no login nonce cookie (SameSite=Strict), no token
        async with http.post(
            server.url + "/dashboard/login",
            allow_redirects=False,
            data={"name": "Fay", "password": PASSWORD},
            headers={"Origin": EVIL},
        ) as r:
            assert r.status == 403 and "expired" in await r.text()
        assert not any(c.key == "ps_token" for c in http.cookie_jar)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as mine:
        async with mine.get(server.url + "/dashboard/login") as r:
            csrf = form_csrf(await r.text())
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        async with other.get(server.url + "/dashboard/login") as r:
            pass
        # a token from another browser's form does not fit this browser's nonce
        async with other.post(
            server.url + "/dashboard/login",
            allow_redirects=False,
            data={"name": "Fay", "password": PASSWORD, "csrf": csrf},
        ) as r:
            assert r.status == 403
        assert not any(c.key == "ps_token" for c in other.cookie_jar)


def _self_signed(tmp_path) -> ssl.SSLContext:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def _login_cookie(url: str, **kw) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url + "/dashboard/login", **kw) as r:
            csrf = form_csrf(await r.text())
        async with http.post(
            url + "/dashboard/login",
            data={"name": "Fay", "password": PASSWORD, "csrf": csrf},
            allow_redirects=False,
            **kw,
        ) as r:
            assert r.status == 303
            return next(v for k, v in r.headers.items() if k.lower() == "set-cookie" and v.startswith("ps_token="))


async def test_the_session_cookie_is_secure_over_tls(server, tmp_path):
    server.add_user("Fay", "facilitator")
    site = web.TCPSite(server.runner, "127.0.0.1", 0, ssl_context=await asyncio.to_thread(_self_signed, tmp_path))
    await site.start()
    tls_port = site._server.sockets[0].getsockname()[1]
    over_tls = await _login_cookie(f"https://127.0.0.1:{tls_port}", ssl=False)
    plain = await _login_cookie(server.url)
    for cookie in (over_tls, plain):
        attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert {"httponly", "samesite"} <= attrs and "samesite=strict" in cookie.lower().replace(" ", "")
    assert "secure" in {a.strip().lower() for a in over_tls.split(";")}
    assert "secure" not in {a.strip().lower() for a in plain.split(";")}  # plain-HTTP local use still works


async def test_every_response_says_nosniff_and_no_referrer(server):
    server.add_user("Fay", "facilitator")
    async with aiohttp.ClientSession() as http:
        for method, path, kw in (
            ("GET", "/api/health", {}),
            ("GET", "/metrics", {}),
            ("POST", "/api/login", {"json": {"name": "Fay", "password": PASSWORD}}),
            ("POST", "/api/login", {"json": {"name": "Fay", "password": "wrong"}}),
            ("GET", "/api/rooms", {}),
            ("GET", "/dashboard/login", {}),
            ("GET", "/dashboard", {"allow_redirects": False}),
            ("GET", "/no/such/page", {}),
        ):
            async with http.request(method, server.url + path, **kw) as r:
                assert r.headers.get("X-Content-Type-Options") == "nosniff", path
                assert r.headers.get("Referrer-Policy") == "no-referrer", path


async def _raw_request(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return int(data.split(b" ", 2)[1]), data


async def test_a_non_ascii_bearer_signature_is_a_401_not_a_500(server):
    server.add_user("Ana")
    async with aiohttp.ClientSession() as http:
        async with http.post(server.url + "/api/login", json={"name": "Ana", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
    body, _ = token.split(".")
    forged = f"{body}.sïgnätüre".encode()
    for path in (b"/api/rooms", b"/api/me/export"):
        status, data = await _raw_request(
            server.port,
            b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + forged + b"\r\nConnection: close\r\n\r\n",
        )
        assert status == 401, data
        assert b"unauthorized" in data and b"Traceback" not in data
    status, data = await _raw_request(
        server.port,
        b"GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ps_token=" + forged + b"\r\nConnection: close\r\n\r\n",
    )
    assert status == 303, data


async def test_a_deeply_nested_json_login_body_is_a_400_not_a_500(server):
    nested = "[" * 5000 + "]" * 5000  # under the 16 KiB limit, past the parser's recursion limit
    async with aiohttp.ClientSession() as http:
        for body in (nested, '{"name": ' + nested + ', "password": "x"}'):
            async with http.post(
                server.url + "/api/login", data=body, headers={"Content-Type": "application/json"}
            ) as r:
                assert r.status == 400, body[:20]
                assert (await r.json())["error"]["code"] == "invalid"
