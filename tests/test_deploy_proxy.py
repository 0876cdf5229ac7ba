"""docs/deploy/nginx.conf, run: nginx terminates TLS with a certificate from the test's own CA and forwards
to a real peerspace server on loopback; real bots log in, join, walk and chat through it over https/wss, and
the plain-http port redirects to https. Only the ports, the certificate paths and the include path are
changed from the documented file."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from conftest import ROOT, free_port
from test_deploy_tls import pki  # noqa: F401  (the fixture: a CA and a certificate for 127.0.0.1)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def nginx(tmp_path, pki, server):  # noqa: F811
    site = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    https_port, http_port = free_port(), free_port()
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen [::]:443 ssl;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "/etc/letsencrypt/live/peerspace.example.org/fullchain.pem": str(pki["cert"]),
        "/etc/letsencrypt/live/peerspace.example.org/privkey.pem": str(pki["key"]),
        "server 127.0.0.1:8642;": f"server 127.0.0.1:{server.port};",
        "/etc/nginx/proxy_params_peerspace": str(ROOT / "docs" / "deploy" / "proxy_params_peerspace"),
    }
    for old, new in replacements.items():
        assert old in site, f"docs/deploy/nginx.conf no longer has {old!r}: update this test with it"
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    main = f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "logs/error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "logs/error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    for port in (https_port, http_port):  # ready when both ports accept connections
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, (tmp_path / "logs/error.log").read_text()
                time.sleep(0.05)
    try:
        yield {"https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}"}
    finally:
        proc.terminate()
        proc.wait(15)


async def test_bots_play_through_the_documented_nginx_over_https_and_wss(nginx, server, pki):  # noqa: F811
    server.url = nginx["https"]  # the bots reach the server only through the proxy
    ana = await server.bot("Ana", room="cafe", ca_file=str(pki["ca"]))
    ben = await server.bot("Ben", room="cafe", ca_file=str(pki["ca"]))
    assert ana.sio.transport() == "websocket" and ana.sio.eio.base_url.startswith("wss://")
    await ana.move(1.0)
    await ben.wait_until(lambda: ana.avatar in ben.poses and ben.poses[ana.avatar][1] != 0.0)
    await ana.move(0.0)
    await ana.say("through the proxy")
    await ben.wait_until(lambda: any(s["text"] == "through the proxy" for s in ben.said))


def test_plain_http_is_redirected_to_https(nginx):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(nginx["http"] + "/api/health", timeout=10)
    assert answer.value.code == 301
    assert answer.value.headers["Location"].startswith("https://")


@pytest.fixture
def behind_nginx(monkeypatch):
    """The server's settings behind the documented nginx (before the `server` fixture reads them)."""
    monkeypatch.setenv("PEERSPACE_TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("PEERSPACE_LOGIN_FREE_PER_ADDRESS", "2")


async def test_the_server_counts_each_persons_address_through_nginx(behind_nginx, nginx, pki):  # noqa: F811
    ssl_context = ssl.create_default_context(cafile=str(pki["ca"]))

    async def failed_login(person: str) -> str:
        connector = aiohttp.TCPConnector(local_addr=(person, 0), ssl=ssl_context, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.post(
                nginx["https"] + "/api/login",
                json={"name": "nobody", "password": "wrong-password"},
                headers={"X-Forwarded-For": "10.9.8.7"},  # what a client writes itself is not believed
            ) as resp:
                return (await resp.json())["error"]["code"]

    assert [await failed_login("127.0.0.3") for _ in range(4)][-1] == "rate_limited"
    assert await failed_login("127.0.0.4") == "unauthorized"  # another person behind the same proxy
