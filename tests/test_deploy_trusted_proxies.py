"""Per-address limits behind a reverse proxy: the forwarding header counts only from a trusted proxy's address.

Loopback has many addresses: the "proxy" connects from 127.0.0.2 (configured as trusted), anybody else from
127.0.0.1 with the very same headers. Real HTTP and Socket.IO clients, a real server.
"""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from conftest import PASSWORD
from server.proxies import ProxySettingsError, TrustedProxies

PROXY, STRANGER = "127.0.0.2", "127.0.0.1"


def session_from(address: str) -> aiohttp.ClientSession:
    # force_close: each request its own TCP connection, so the TCP cap never holds a finished request's connection
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0), force_close=True))


async def failed_logins(http: aiohttp.ClientSession, url: str, forwarded_for: list[str]) -> list[str]:
    """One wrong-password log-in per forwarded address (each for another account name); the error codes."""
    codes = []
    for i, hop in enumerate(forwarded_for):
        async with http.post(
            url + "/api/login",
            json={"name": f"nobody{i}", "password": "wrong-password"},
            headers={"X-Forwarded-For": hop},
        ) as resp:
            codes.append((await resp.json())["error"]["code"])
    return codes


async def test_the_login_throttle_counts_the_forwarded_address_only_from_a_trusted_proxy(make_server):
    srv = await make_server(trusted_proxies=f"{PROXY}, 10.0.0.0/8", login_free_per_address=2)
    people = [f"203.0.113.{i}" for i in range(1, 7)]
    async with session_from(PROXY) as proxy, session_from(STRANGER) as stranger:
        # through the proxy, six people who each mistype once are six addresses: none is throttled
        assert await failed_logins(proxy, srv.url, people) == ["unauthorized"] * 6
        # one person who keeps failing is throttled, at their own address: the next person through the proxy is not
        assert (await failed_logins(proxy, srv.url, ["198.51.100.9"] * 4))[-1] == "rate_limited"
        assert await failed_logins(proxy, srv.url, ["198.51.100.10"]) == ["unauthorized"]
        # a client that spoofs the header directly counts at its own address: a new "address" each time is no way out
        assert (await failed_logins(stranger, srv.url, [f"192.0.2.{i}" for i in range(1, 6)]))[-1] == "rate_limited"
        # the header is read from the right: what the client wrote before the proxy's entry is not believed, a
        # chain of trusted proxies is walked through (10.0.0.0/8 is trusted here)
        chained = [f"198.51.100.9, 203.0.113.{i}, 10.1.2.3" for i in range(20, 23)]
        assert await failed_logins(proxy, srv.url, chained) == ["unauthorized"] * 3


async def test_forwarded_header_rfc7239(make_server):
    srv = await make_server(trusted_proxies=PROXY, proxy_header="Forwarded", login_free_per_address=1)
    async with session_from(PROXY) as proxy:
        for hop in ["for=203.0.113.1;proto=https", 'for="[2001:db8::1]:4711"', "for=203.0.113.1:80"]:
            async with proxy.post(
                srv.url + "/api/login", json={"name": "nobody", "password": "x" * 8}, headers={"Forwarded": hop}
            ) as resp:
                assert (await resp.json())["error"]["code"] == "unauthorized"
        # the same client again (a port does not make another address): throttled now
        async with proxy.post(
            srv.url + "/api/login",
            json={"name": "nobody", "password": "x" * 8},
            headers={"Forwarded": "for=203.0.113.1"},
        ) as resp:
            assert resp.status == 429


async def sio_client(srv, source: str, forwarded_for: str, token: str) -> socketio.AsyncClient:
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False, http_session=http)
    try:
        await client.connect(
            srv.url,
            transports=["websocket"],
            auth={"token": token},
            headers={"X-Forwarded-For": forwarded_for},
            wait_timeout=5,
        )
    finally:
        if not client.connected:
            await http.close()
    return client


async def test_socketio_sessions_per_address_behind_a_trusted_proxy(make_server):
    srv = await make_server(trusted_proxies=PROXY, max_per_address=2)
    tokens = []
    async with aiohttp.ClientSession() as http:
        for i in range(7):  # one account per socket: the per-person socket limit plays no part here
            srv.add_user(f"Person{i}")
            async with http.post(srv.url + "/api/login", json={"name": f"Person{i}", "password": PASSWORD}) as resp:
                tokens.append((await resp.json())["token"])
    clients = []
    try:
        # the proxy's own address is not capped: four sockets through it, two people at two each
        for person in ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2"]:
            clients.append(await sio_client(srv, PROXY, person, tokens[len(clients)]))
        assert all(c.connected for c in clients)
        with pytest.raises(socketio.exceptions.ConnectionError):  # a third from one person: their limit
            await sio_client(srv, PROXY, "203.0.113.1", tokens[4])
        # a stranger's header is ignored: two sockets at its own address, then no more, whatever it claims
        for person in ["192.0.2.1", "192.0.2.2"]:
            clients.append(await sio_client(srv, STRANGER, person, tokens[len(clients)]))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio_client(srv, STRANGER, "192.0.2.3", tokens[4])
        assert all(c.connected for c in clients) and len(clients) == 6
    finally:
        for c in clients:
            http_session = c.eio.http
            await c.disconnect()
            await http_session.close()


def test_settings_that_cannot_be_read_stop_the_start():
    for spec, header in [("127.0.0.1, nginx.local", "X-Forwarded-For"), ("127.0.0.1", "X-Real-IP")]:
        with pytest.raises(ProxySettingsError) as e:
            TrustedProxies.parse(spec, header)
        assert "PEERSPACE_TRUSTED_PROXIES" in str(e.value) or "X-Forwarded-For" in str(e.value)


def test_serve_with_a_bad_trusted_proxies_setting_exits_2(server_process):
    proc = server_process(PEERSPACE_TRUSTED_PROXIES="nginx.local")
    result = proc.cli("serve", "--port", "0")
    assert result.returncode == 2 and "trusted_proxies" in result.stderr and "Traceback" not in result.stderr
