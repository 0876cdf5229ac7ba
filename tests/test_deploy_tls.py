"""TLS: the server serves https/wss with --tls-cert/--tls-key; the clients verify its certificate.

The test makes its own certificate authority and a server certificate for 127.0.0.1 with the `openssl`
command line, so what is tested is what a service with its own CA runs: the real server (in this
process and as `python -m server serve`), the real bot, and the real desktop client, over TLS.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from client.bot import Bot
from conftest import PASSWORD, ROOT
from wire import events
from wire.errors import WireError


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A CA, and a server certificate for 127.0.0.1 and localhost signed by it; plus an unrelated second CA."""
    d = tmp_path_factory.mktemp("pki")
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=peerspace test {ca}",
                "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=d)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr", cwd=d)  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=d)  # fmt: skip
    return {
        "ca": d / "ca.pem",
        "other": d / "other-ca.pem",
        "other-key": d / "other-ca.key",
        "cert": d / "server.pem",
        "key": d / "server.key",
    }


@pytest.fixture
async def tls_server(make_server, pki):
    srv = await make_server(tls_cert=str(pki["cert"]), tls_key=str(pki["key"]))
    srv.url = f"https://127.0.0.1:{srv.port}"
    return srv


async def test_bots_log_in_join_walk_and_chat_over_tls_trusting_the_services_ca(tls_server, pki):
    srv = tls_server
    ana = await srv.bot("Ana", room="cafe", ca_file=str(pki["ca"]))
    ben = await srv.bot("Ben", room="cafe", ca_file=str(pki["ca"]))
    assert ana.sio.transport() == "websocket" and ana.sio.eio.base_url.startswith("wss://")
    await ana.move(1.0)
    await ben.wait_until(lambda: ana.avatar in ben.poses and ben.poses[ana.avatar][1] != 0.0)
    await ana.move(0.0)
    await ana.say("hello over tls")
    await ben.wait_until(lambda: any(s["text"] == "hello over tls" for s in ben.said))


async def test_without_the_ca_the_client_refuses_the_server_and_says_what_to_do(tls_server, pki):
    srv = tls_server
    srv.add_user("Cleo")
    for ca_file in (None, str(pki["other"])):  # the system's CAs, and a CA that did not sign the certificate
        bot = Bot(srv.url, reconnect=False, ca_file=ca_file)
        with pytest.raises(WireError) as refused:
            await bot.login("Cleo", PASSWORD)
        assert refused.value.code == "tls"
        assert "does not trust" in refused.value.message and "--ca-file" in refused.value.message
        assert bot.token is None
        await bot.close()

    # the Socket.IO connection verifies too, not only the log-in request
    trusted = Bot(srv.url, reconnect=False, ca_file=str(pki["ca"]))
    await trusted.login("Cleo", PASSWORD)
    untrusted = Bot(srv.url, reconnect=False)
    untrusted.token = trusted.token
    with pytest.raises(WireError) as refused:
        await untrusted.connect()
    assert refused.value.code == "tls" and "--ca-file" in refused.value.message
    await trusted.close()
    await untrusted.close()


def test_a_missing_ca_file_is_a_clear_error():
    with pytest.raises(WireError) as refused:
        Bot("https://127.0.0.1:1", ca_file="/nonexistent/ca.pem")
    assert refused.value.code == "tls" and "/nonexistent/ca.pem" in refused.value.message


def test_cli_serves_tls_and_the_command_line_bot_joins_with_ca_file(server_process, pki):
    srv = server_process(PEERSPACE_TLS_CERT=str(pki["cert"]), PEERSPACE_TLS_KEY=str(pki["key"]))
    assert srv.cli("user", "add", "Dana", "--password", PASSWORD).returncode == 0
    srv.start()
    url = f"https://127.0.0.1:{srv.port}"
    log = Path(srv.log.name).read_text()
    assert f"listening on https://127.0.0.1:{srv.port}" in log

    def bot(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "client.bot", "--server", url, "--user", "Dana", "--password", PASSWORD,
             "--walk", "0.3", "--say", "hi", *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    ok = bot("--ca-file", str(pki["ca"]))
    assert ok.returncode == 0, ok.stderr
    assert "joined" in ok.stdout and "said: hi" in ok.stdout
    refused = bot()
    assert refused.returncode == 1
    assert refused.stderr.startswith("tls: ") and "--ca-file" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("cert", "key", "says"),
    [
        ("cert", None, "give both --tls-cert and --tls-key"),
        ("cert", "other-key", "the key must match the certificate"),
        ("missing", "key", "cannot load the TLS certificate"),
    ],
)
def test_serve_with_bad_tls_settings_does_not_start_and_says_why(server_process, pki, tmp_path, cert, key, says):
    files = {**pki, "missing": tmp_path / "nope.pem"}
    srv = server_process()
    args = ["serve", "--port", str(srv.port), "--tls-cert", str(files[cert])]
    if key:
        args += ["--tls-key", str(files[key])]
    out = srv.cli(*args)
    assert out.returncode == 2
    assert says in out.stderr and "not started" in out.stderr
    assert "Traceback" not in out.stderr


async def test_desktop_client_logs_in_and_joins_over_tls_with_ca_file(tls_server, pki, tmp_path):
    srv = tls_server
    srv.add_user("Eli")
    ben = await srv.bot("Ben", room="cafe", ca_file=str(pki["ca"]))
    out = tmp_path / "shot.png"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "client", "--server", srv.url, "--ca-file", str(pki["ca"]),
        "--user", "Eli", "--password", PASSWORD, "--room", "cafe", "--screenshot", str(out), "--frames", "10",
        "--size", "320x200", "--settings", str(tmp_path / "s.json"), "--offscreen",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert out.exists() and out.stat().st_size > 1000
    await ben.wait_until(
        lambda: (
            any(m["name"] == "Eli" for m in ben.members.values())
            or any(ev == events.MEMBER_LEFT for ev, _ in ben.inbox)
        )
    )


def test_escalation_links_default_to_https_when_the_server_serves_tls():
    from server.config import Config
    from server.safety.escalation import base_url

    assert base_url(Config(host="10.0.0.5", port=8642)) == "http://10.0.0.5:8642"
    assert base_url(Config(host="10.0.0.5", port=8642, tls_cert="c.pem", tls_key="k.pem")) == "https://10.0.0.5:8642"
    assert base_url(Config(public_url="https://peerspace.example.org/", tls_cert="c.pem")) == (
        "https://peerspace.example.org"
    )
