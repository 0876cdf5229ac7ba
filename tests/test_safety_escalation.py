"""Escalation of alerts nobody acknowledges (docs/safety.md#escalation), against real local receivers.

The real server on loopback with tiny configured delays; a real aiohttp webhook receiver and a real SMTP
sink (aiosmtpd, on its own thread) started by the tests; a participant's crisis line from a real bot; the
alert acknowledged through the dashboard's own form.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import dashboard_login, eventually, form_csrf, free_port
from server import cli
from server.appkeys import SAFETY
from server.config import Config
from server.safety.escalation import MAX_RUNNING, channels
from server.storage import open_storage

SECRET = "I want to end my life tonight"  # the participant's words: never in an escalation
NAME = "Ana"  # the participant's name: never in an escalation either
PUBLIC = "https://peer.example.org"
TLS = Path(__file__).resolve().parent / "data" / "tls"


# --- the receivers -------------------------------------------------------------------------------------------
@dataclass
class Hook:
    """An aiohttp webhook receiver on loopback; answers `statuses` in turn (the last one from then on)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    got: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    url: str = ""
    runner: web.AppRunner | None = None
    gate: asyncio.Event | None = None  # while set up and not yet set, every request waits here before it is answered

    async def start(self, port: int = 0) -> Hook:
        async def receive(request: web.Request) -> web.Response:
            body = await request.read()
            if self.gate is not None:
                self.raw.append(body)
                await self.gate.wait()
                self.raw.remove(body)
            status = self.statuses[min(len(self.answered), len(self.statuses) - 1)]
            self.answered.append(status)
            self.raw.append(body)
            self.headers.append(dict(request.headers))
            if status == 200:
                self.got.append(json.loads(body))
            return web.json_response({"ok": status == 200}, status=status)

        app = web.Application()
        app.router.add_post("/hook", receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{bound}/hook"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


class Sink:
    """An SMTP sink (aiosmtpd on its own thread and loop) that keeps every message it is given."""

    def __init__(self, users: dict[str, str] | None = None, tls: str = ""):
        """`tls`: "starttls" (offered and required before anything is sent) or "ssl" (implicit TLS), with the
        test certificate for 127.0.0.1 (tests/data/tls, made with openssl; valid to 2126)."""
        self.messages: list[tuple[list[str], Message, bytes]] = []
        self.logins: list[str] = []
        self.tls_used: list[bool] = []
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if users is not None:

            def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and users.get(auth_data.login.decode()) == (
                    auth_data.password.decode()
                )
                if ok:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=ok)

            # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS ("ssl") is encrypted from the start
            kwargs = {"authenticator": authenticate, "auth_require_tls": tls == "starttls", "auth_required": True}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(TLS / "localhost.pem", TLS / "localhost.key")
            kwargs.update({"tls_context": context, "require_starttls": True} if tls == "starttls" else {})
            kwargs.update({"ssl_context": context} if tls == "ssl" else {})
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        self.tls_used.append(server.transport.get_extra_info("ssl_object") is not None)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(content), content))
        return "250 OK"

    async def start(self) -> Sink:
        await asyncio.to_thread(self.controller.start)  # it waits for its own thread: not on the test's loop
        return self

    async def stop(self) -> None:
        await asyncio.to_thread(self.controller.stop)


@pytest.fixture
async def hook():
    h = await Hook().start()
    yield h
    await h.stop()


@pytest.fixture
async def sink():
    s = await Sink().start()
    yield s
    await s.stop()


def escalating(hook_url: str = "", sink: Sink | None = None, **more: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = dict(
        escalation_after=0.3, escalation_every=0.6, escalation_retry_backoff=0.05, public_url=PUBLIC + "/"
    )
    if hook_url:
        cfg["escalation_webhook_url"] = hook_url
    if sink is not None:
        cfg.update(
            escalation_smtp_host="127.0.0.1",
            escalation_smtp_port=sink.port,
            escalation_smtp_security="none",
            escalation_email_from="peerspace@peer.example.org",
            escalation_email_to="duty@example.org, lead@example.org",
        )
    cfg.update(more)
    return cfg


async def crisis_alert(server) -> dict[str, Any]:
    """A participant says a crisis line with no staff online; returns the alert row once written."""
    ana = await server.bot(NAME, room="cafe")
    await ana.say(SECRET)
    rows = await eventually(server.app[SAFETY].db.alerts, timeout=5)
    assert rows and rows[0]["kind"] == "crisis" and rows[0]["status"] == "open"
    return rows[0]


async def metric(server, name: str, channel: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as r:
        text = await r.text()
    m = re.search(rf'^peerspace_{name}_total{{channel="{channel}"}} ([0-9.e+]+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


async def until(read, ok, timeout: float = 8.0):
    """Poll `read()` (sync) until `ok(value)`; returns the last value for the caller's assertion."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        value = read()
    return value


def no_personal_data(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace").lower()
    assert SECRET.lower() not in text and "end my life" not in text and NAME.lower() not in text


# --- the whole flow --------------------------------------------------------------------------------------------
async def test_an_unacknowledged_crisis_escalates_by_webhook_and_email_until_it_is_handled(
    make_server, hook, sink, caplog
):
    caplog.set_level(logging.DEBUG)
    server = await make_server(**escalating(hook.url, sink))
    alert = await crisis_alert(server)
    link = f"{PUBLIC}/dashboard/safety#alert-{alert['id']}"

    # the first escalation, after the configured delay, on both channels
    got = await until(lambda: hook.got, lambda g: len(g) >= 1)
    first = got[0]
    assert first == {
        "alert": alert["id"],
        "kind": "crisis",
        "severity": "high",
        "room": "The cafe",
        "age_s": first["age_s"],
        "escalation": 1,
        "link": link,
        "text": first["text"],
    }
    assert link in first["text"] and "crisis alert" in first["text"]
    assert time.time() - alert["ts"] >= 0.3  # not before the configured delay
    mails = await until(lambda: sink.messages, lambda m: len(m) >= 1)
    rcpts, mail, raw = mails[0]
    assert sorted(rcpts) == ["duty@example.org", "lead@example.org"]
    assert f"#{alert['id']}" in mail["Subject"] and link in mail.get_payload(decode=True).decode()
    for body in hook.raw + [raw]:
        no_personal_data(body)

    # escalated again on schedule while nobody acknowledges it
    got = await until(lambda: hook.got, lambda g: len(g) >= 2)
    assert [g["escalation"] for g in got[:2]] == [1, 2] and got[1]["age_s"] >= got[0]["age_s"]
    mails = await until(lambda: sink.messages, lambda m: len(m) >= 2)
    assert "escalation 2" in mails[1][1].get_payload(decode=True).decode()
    for body in hook.raw + [m[2] for m in mails]:
        no_personal_data(body)

    # a staff member sees the escalation on the dashboard and marks the alert handled with its form
    server.add_user("Adi", "admin")
    http, status = await dashboard_login(server.url, "Adi")
    try:
        assert status == 303
        async with http.get(server.url + "/dashboard/safety") as r:
            page = await r.text()
        row = re.search(rf"<tr id='alert-{alert['id']}'[^>]*>.*?</tr>", page, re.S)
        assert row is not None and "Escalated" in row.group(0) and "webhook sent" in row.group(0)
        assert "email sent" in row.group(0)
        handled = f"{server.url}/dashboard/alerts/{alert['id']}/handled"
        async with http.post(handled, data={"csrf": form_csrf(page)}, allow_redirects=False) as r:
            assert r.status == 303
        assert server.store.alert(alert["id"])["status"] == "handled"
        # a round claimed just before the form went through may still land; then nothing more
        rounds = len({a["round"] for a in server.store.escalation_attempts(alert["id"])})
        await until(lambda: hook.got, lambda g: len(g) >= rounds)
        await until(lambda: sink.messages, lambda m: len(m) >= rounds)
        webhooks, emails = len(hook.got), len(sink.messages)
        await asyncio.sleep(3 * 0.6)  # three escalation periods
        assert len(hook.got) == webhooks and len(sink.messages) == emails  # escalation stopped
        assert webhooks == emails == rounds >= 2
        assert await metric(server, "escalations_sent", "webhook") == webhooks
        assert await metric(server, "escalations_sent", "email") == emails
        assert await metric(server, "escalations_failed", "webhook") == 0
    finally:
        await http.close()
    # the escalation records go with the alert when the person's records are deleted
    assert await server.store.aio.delete_user(alert["user_id"])
    assert server.store.escalation_attempts(alert["id"]) == [] and server.store.escalation_status([alert["id"]]) == {}
    assert not any(SECRET in r.getMessage() for r in caplog.records)


async def test_an_alert_acknowledged_in_time_and_a_report_never_escalate(make_server, hook):
    server = await make_server(**escalating(hook.url, escalation_after=0.5))
    alert = await crisis_alert(server)
    # someone saw it before the delay ran out (the app's alert_ack / the dashboard's "I have seen it"): still
    # open, not yet handled, but acknowledged
    assert server.store.acknowledge_alert(alert["id"], server.add_user("Fay", "facilitator")["id"])
    report = server.store.add_alert("cafe", None, "report", "harassment", None, 0)
    await asyncio.sleep(0.5 + 2 * 0.6)
    assert hook.answered == [] and server.store.escalation_attempts(alert["id"]) == []
    assert server.store.escalation_attempts(report) == []


# --- failures: retried, recorded, shown --------------------------------------------------------------------------
async def test_a_failing_webhook_is_retried_and_the_failure_shows_on_the_dashboard_and_in_metrics(make_server, sink):
    failing = await Hook(statuses=[500]).start()
    try:
        server = await make_server(**escalating(failing.url, sink, escalation_every=60, escalation_attempts=3))
        alert = await crisis_alert(server)
        await until(lambda: failing.answered, lambda a: len(a) >= 3)
        attempts = await until(
            lambda: server.store.escalation_attempts(alert["id"]),
            lambda rows: len([r for r in rows if r["channel"] == "webhook"]) >= 3,
        )
        webhook = [(r["round"], r["ok"], r["error"]) for r in attempts if r["channel"] == "webhook"]
        assert webhook == [(1, 0, "HTTP 500")] * 3  # three tries of round 1, then it gave up
        email = [(r["round"], r["ok"], r["error"]) for r in attempts if r["channel"] == "email"]
        assert email == [(1, 1, None)]  # one channel failing does not hold up the other
        assert len(sink.messages) == 1
        await asyncio.sleep(0.3)
        assert len(failing.answered) == 3  # no fourth try

        server.add_user("Adi", "admin")
        http, _ = await dashboard_login(server.url, "Adi")
        try:
            async with http.get(server.url + "/dashboard/safety") as r:
                page = await r.text()
            row = re.search(rf"<tr id='alert-{alert['id']}'[^>]*>.*?</tr>", page, re.S)
            assert row is not None and "webhook failed: HTTP 500" in row.group(0) and "email sent" in row.group(0)
            assert await metric(server, "escalations_failed", "webhook") == 3
            assert await metric(server, "escalations_sent", "webhook") == 0
            assert await metric(server, "escalations_sent", "email") == 1
        finally:
            await http.close()
    finally:
        await failing.stop()


async def test_a_webhook_on_a_closed_port_is_retried_until_it_answers(make_server):
    port = free_port()  # nothing listens here yet
    server = await make_server(
        **escalating(
            f"http://127.0.0.1:{port}/hook", escalation_every=60, escalation_attempts=8, escalation_retry_backoff=0.1
        )
    )
    alert = await crisis_alert(server)
    first = await until(lambda: server.store.escalation_attempts(alert["id"]), bool)
    assert [(r["ok"], r["error"]) for r in first] == [(0, "cannot connect")]
    late = await Hook().start(port)  # the receiver comes up: a later try of the same round gets through
    try:
        got = await until(lambda: late.got, bool)
        assert got[0]["alert"] == alert["id"] and got[0]["escalation"] == 1
        attempts = await until(lambda: server.store.escalation_attempts(alert["id"]), lambda r: r and r[-1]["ok"])
        assert [r["error"] for r in attempts[:-1]] == ["cannot connect"] * (len(attempts) - 1) and attempts[-1]["ok"]
        assert {r["round"] for r in attempts} == {1}
    finally:
        await late.stop()


# --- SMTP login and the settings a service gets wrong ----------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the sink, on loopback only
async def test_email_logs_in_when_a_user_is_set(make_server):
    sink = await Sink(users={"peerspace": "s3cret"}).start()
    try:
        server = await make_server(
            **escalating(
                sink=sink, escalation_every=60, escalation_smtp_user="peerspace", escalation_smtp_password="s3cret"
            )
        )
        alert = await crisis_alert(server)
        mails = await until(lambda: sink.messages, bool)
        assert sink.logins == ["peerspace"] and f"#{alert['id']}" in mails[0][1]["Subject"]
    finally:
        await sink.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS: aiosmtpd cannot tell
@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_email_over_tls_checks_the_certificate_and_logs_in_only_encrypted(make_server, security):
    sink = await Sink(users={"peerspace": "s3cret"}, tls=security).start()
    try:
        server = await make_server(
            **escalating(
                sink=sink,
                escalation_every=60,
                escalation_attempts=1,
                escalation_smtp_security=security,
                escalation_smtp_cafile=str(TLS / "localhost.pem"),  # the test certificate's own CA
                escalation_smtp_user="peerspace",
                escalation_smtp_password="s3cret",
            )
        )
        alert = await crisis_alert(server)
        mails = await until(lambda: sink.messages, bool)
        assert sink.tls_used == [True] and sink.logins == ["peerspace"] and f"#{alert['id']}" in mails[0][1]["Subject"]
    finally:
        await sink.stop()


async def test_email_refuses_a_certificate_it_cannot_trust(make_server):
    sink = await Sink(tls="starttls").start()  # the same server, but its CA is not given to the server
    try:
        server = await make_server(
            **escalating(sink=sink, escalation_every=60, escalation_attempts=2, escalation_smtp_security="starttls")
        )
        alert = await crisis_alert(server)
        attempts = await until(lambda: server.store.escalation_attempts(alert["id"]), lambda r: len(r) >= 2)
        assert [(r["ok"], r["error"]) for r in attempts] == [(0, "SSLCertVerificationError")] * 2
        assert sink.messages == []
    finally:
        await sink.stop()


async def test_help_requests_escalate_and_two_servers_on_one_database_send_each_round_once(
    make_server, hook, database_url
):
    settings = escalating(hook.url, escalation_every=0.5, database_url=database_url)  # a SQLite file, PostgreSQL
    first = await make_server(**settings)
    second = await make_server(**settings)  # a second node on the same database
    assert (first.cfg.database_url, first.cfg.database) == (second.cfg.database_url, second.cfg.database)
    ana = first.add_user(NAME)
    help_request = await first.store.aio.add_alert("cafe", ana["id"], "help_request", None, None, 0)
    got = await until(lambda: hook.got, lambda g: len(g) >= 3)
    assert [g["escalation"] for g in got[:3]] == [1, 2, 3]  # each round once, from whichever node claimed it
    assert {(g["alert"], g["kind"], g["severity"]) for g in got} == {(help_request, "help_request", "normal")}
    await first.store.aio.set_alert_status(help_request, "handled")
    # the rounds claimed until now, and no more: a round is claimed only while the alert is open. (Not the
    # attempts: one is recorded when the hook has answered, so a round on its way was missing from them.)
    rounds = first.store.escalation_status([help_request])[help_request]["rounds"]
    await until(lambda: hook.got, lambda g: len(g) >= rounds)
    await asyncio.sleep(2 * 0.5)
    assert len(hook.got) == rounds and sorted(g["escalation"] for g in hook.got) == list(range(1, rounds + 1))


async def test_a_backlog_of_open_alerts_goes_out_a_few_at_a_time_newest_first(make_server, tmp_path):
    store = open_storage(str(tmp_path / "peerspace.db"))  # twenty alerts left open from before escalation was on
    backlog = [store.add_alert("cafe", None, "crisis", "end_life", None, 0) for _ in range(20)]
    store.close()
    hook = await Hook(gate=asyncio.Event()).start()
    try:
        await make_server(**escalating(hook.url, escalation_after=0.3, escalation_every=60))
        waiting = await until(lambda: hook.raw, lambda r: len(r) >= MAX_RUNNING)
        await asyncio.sleep(0.3)
        assert len(waiting) == MAX_RUNNING  # no more in flight at once
        assert sorted(json.loads(b)["alert"] for b in waiting) == backlog[-MAX_RUNNING:]  # the newest first
        hook.gate.set()
        got = await until(lambda: hook.got, lambda g: len(g) >= len(backlog))
        assert sorted(g["alert"] for g in got) == backlog and {g["escalation"] for g in got} == {1}
    finally:
        await hook.stop()


async def test_the_escalation_test_command_proves_each_channel_works(monkeypatch, capsys, sink):
    failing = await Hook(statuses=[200, 500]).start()
    try:
        for name, value in escalating(failing.url, sink).items():
            monkeypatch.setenv("PEERSPACE_" + name.upper(), str(value))
        assert await asyncio.to_thread(cli.main, ["escalation", "test"]) == 0
        assert capsys.readouterr().out.splitlines() == ["webhook: sent", "email: sent"]
        assert failing.got[0]["test"] is True and failing.got[0]["link"] == f"{PUBLIC}/dashboard/safety"
        assert sink.messages[0][1]["Subject"] == "peerspace: escalation test"
        assert await asyncio.to_thread(cli.main, ["escalation", "test"]) == 1  # the webhook answers 500 now
        assert capsys.readouterr().out.splitlines() == ["webhook: failed (HTTP 500)", "email: sent"]
    finally:
        await failing.stop()


def test_incomplete_email_settings_are_refused_at_start():
    with pytest.raises(ValueError, match="escalation_email_to"):
        channels(Config(escalation_smtp_host="smtp.example.org", escalation_email_from="a@example.org"))
    with pytest.raises(ValueError, match="starttls"):
        channels(Config(escalation_smtp_host="smtp.example.org", escalation_smtp_security="tls"))
    assert channels(Config()) == []  # no channel configured: escalation is off
