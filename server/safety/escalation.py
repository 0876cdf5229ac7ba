"""Escalation: an alert nobody acknowledges goes to the team's own channels, again and again, until a person does.

A crisis alert (or a help request) still open `cfg.escalation_after` seconds after it was raised is
escalated: a JSON POST to a webhook (a team chat's or pager's) and/or an email over SMTP, whichever the
service configured. While it stays open it is escalated again every `cfg.escalation_every` seconds.
"Acknowledged" is the alert's status leaving 'open' (acknowledged or handled, on the dashboard or live).

An escalation never carries what the participant said, nor their name: only the alert's id, kind,
severity, the room's name, its age, the escalation count and a link to the alert on the dashboard.

Each round is claimed in the store once (so two nodes, or a restart, never send the same round twice);
each channel is tried up to `cfg.escalation_attempts` times with doubling waits, stopping early if
someone acknowledges meanwhile; every attempt is recorded (channel, ok, a short error: a status or an
error class, never a server's own words) and counted on /metrics. Store calls run on the store thread,
the webhook through aiohttp with a timeout, SMTP (stdlib smtplib) on a small thread pool of its own:
nothing here waits on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from ..storage import RETRYABLE

if TYPE_CHECKING:
    from ..config import Config
    from ..world import World

log = logging.getLogger("peerspace.escalation")

# An alert's severity until the store keeps one per alert ("normal" for other kinds).
SEVERITY = {"crisis": "high"}
SMTP_SECURITY = ("starttls", "ssl", "none")
POLL_MAX = 5.0  # seconds between looks for due alerts, at most (shorter when the configured delays are short)
POLL_MIN = 0.05
# Rounds in flight at once on one node: a backlog of old open alerts (say, after an upgrade) goes out a few at a
# time instead of as one burst to a pager; the newest alerts go first.
MAX_RUNNING = 16


@dataclass(frozen=True)
class Escalated:
    """One escalation message: ids, kind, severity, room name, age, count and link. No words, no name."""

    alert: int
    kind: str
    severity: str
    room: str
    age_s: float
    escalation: int
    link: str
    test: bool = False  # `peerspace escalation test`: proves a channel works; about no alert

    def summary(self) -> str:
        if self.test:
            return f"peerspace escalation test: this channel works. Real escalations link to the alert: {self.link}"
        minutes = max(1, round(self.age_s / 60))
        return (
            f"Unacknowledged {self.kind.replace('_', ' ')} alert #{self.alert} ({self.severity}) in {self.room}, "
            f"waiting {minutes} min, escalation {self.escalation}. Please open it: {self.link}"
        )

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON; `text` lets a team chat's incoming webhook show it as it is."""
        return {
            "alert": self.alert,
            "kind": self.kind,
            "severity": self.severity,
            "room": self.room,
            "age_s": round(self.age_s),
            "escalation": self.escalation,
            "link": self.link,
            "text": self.summary(),
            **({"test": True} if self.test else {}),
        }


class DeliveryFailed(Exception):
    """The receiver answered, but not with success. The message is a status ("HTTP 500"), never content."""


def describe(e: BaseException) -> str:
    """A short error for the attempt record and the dashboard: a status or the error's kind, never the
    receiving server's own text (it may echo addresses, names or the message)."""
    if isinstance(e, DeliveryFailed):
        return str(e)
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, smtplib.SMTPResponseException):
        return f"SMTP {e.smtp_code}"
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "SMTP recipients refused"
    if isinstance(e, aiohttp.ClientConnectorError | ConnectionRefusedError):
        return "cannot connect"
    return type(e).__name__


class Channel(Protocol):
    name: str

    async def send(self, msg: Escalated) -> None: ...

    async def close(self) -> None: ...


class Webhook:
    """A JSON POST; any answer other than 2xx is a failure (redirects are not followed)."""

    name = "webhook"

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.token, self.timeout = url, token, timeout
        self._http: aiohttp.ClientSession | None = None

    async def send(self, msg: Escalated) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self._http.post(self.url, json=msg.payload(), headers=headers, allow_redirects=False) as r:
            if not 200 <= r.status < 300:
                raise DeliveryFailed(f"HTTP {r.status}")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


class Email:
    """A plain-text email over SMTP (STARTTLS, SSL, or none for a local relay; login when a user is set).
    smtplib blocks, so each session runs on this channel's own threads, never on the event loop."""

    name = "email"

    def __init__(self, cfg: Config):
        if cfg.escalation_smtp_security not in SMTP_SECURITY:
            raise ValueError(f"escalation_smtp_security must be one of {', '.join(SMTP_SECURITY)}")
        self.recipients = [a.strip() for a in cfg.escalation_email_to.split(",") if a.strip()]
        if not self.recipients or not cfg.escalation_email_from:
            raise ValueError("escalation by email needs escalation_email_from and escalation_email_to")
        self.cfg = cfg
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="peerspace-smtp")

    async def send(self, msg: Escalated) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._send, msg)

    def _send(self, msg: Escalated) -> None:  # on an SMTP thread
        cfg = self.cfg
        mail = EmailMessage()
        mail["Subject"] = (
            "peerspace: escalation test"
            if msg.test
            else f"peerspace: unacknowledged {msg.kind.replace('_', ' ')} alert #{msg.alert}"
        )
        mail["From"] = cfg.escalation_email_from
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(
            f"{msg.summary()}\n\nKind: {msg.kind}\nSeverity: {msg.severity}\nRoom: {msg.room}\n"
            f"Waiting: {round(msg.age_s)} s\nEscalation: {msg.escalation}\n\n"
            "This message is sent again until someone acknowledges the alert on the dashboard.\n"
        )
        security, timeout = cfg.escalation_smtp_security, cfg.escalation_timeout
        tls = ssl.create_default_context()  # the certificate and host name are checked
        if cfg.escalation_smtp_cafile:
            tls.load_verify_locations(cafile=cfg.escalation_smtp_cafile)
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.escalation_smtp_host, cfg.escalation_smtp_port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(cfg.escalation_smtp_host, cfg.escalation_smtp_port, timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=tls)
            if cfg.escalation_smtp_user:
                smtp.login(cfg.escalation_smtp_user, cfg.escalation_smtp_password)
            smtp.send_message(mail, to_addrs=self.recipients)

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def channels(cfg: Config) -> list[Channel]:
    """The channels this service configured (none: escalation is off)."""
    out: list[Channel] = []
    if cfg.escalation_webhook_url:
        out.append(Webhook(cfg.escalation_webhook_url, cfg.escalation_webhook_token, cfg.escalation_timeout))
    if cfg.escalation_smtp_host:
        out.append(Email(cfg))
    return out


def base_url(cfg: Config) -> str:
    """Where staff open the dashboard: the base of every link an escalation carries."""
    return (cfg.public_url or f"{'https' if cfg.tls_cert else 'http'}://{cfg.host}:{cfg.port}").rstrip("/")


async def send_test(cfg: Config) -> dict[str, str | None]:
    """One test message on every configured channel, no retries: channel -> None (sent) or the short error."""
    msg = Escalated(0, "test", "test", "-", 0.0, 0, f"{base_url(cfg)}/dashboard/safety", test=True)
    results: dict[str, str | None] = {}
    for channel in channels(cfg):
        try:
            await channel.send(msg)
            results[channel.name] = None
        except Exception as e:
            results[channel.name] = describe(e)
        finally:
            await channel.close()
    return results


def _drop_result(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: the store has logged it already


class Escalation:
    """Looks for due alerts every few seconds (its own task, started with the world) and escalates each
    in a task of its own."""

    def __init__(self, world: World, count: Callable[[str, str | None], None]):
        self.world, self.count = world, count
        cfg = world.cfg
        self.channels = channels(cfg)
        self.kinds = [k.strip() for k in cfg.escalation_kinds.split(",") if k.strip()]
        self.first_after, self.every = max(0.0, cfg.escalation_after), max(0.1, cfg.escalation_every)
        self.attempts, self.backoff = max(1, cfg.escalation_attempts), max(0.0, cfg.escalation_retry_backoff)
        self.poll_every = max(POLL_MIN, min(POLL_MAX, self.first_after / 4, self.every / 4))
        self.base_url = base_url(cfg)
        self._task: asyncio.Task[None] | None = None
        self._running: dict[int, asyncio.Task[None]] = {}  # alert id -> its round being delivered
        if self.channels:
            log.info(
                "escalation on (%s): after %.0f s, then every %.0f s",
                ", ".join(c.name for c in self.channels),
                self.first_after,
                self.every,
            )
            if not cfg.public_url:
                log.warning("public_url is not set: escalation links point at %s", self.base_url)

    def link(self, alert_id: int) -> str:
        return f"{self.base_url}/dashboard/safety#alert-{alert_id}"

    def start(self) -> None:
        """Start looking for due alerts (only where a channel is configured)."""
        if self.channels:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_every)
            try:
                await self.poll()
            except Exception as e:  # a failing store delays escalation to the next look; it never ends the watch
                log.warning("escalation could not look for due alerts (%s)", describe(e))

    async def poll(self) -> None:
        """Claim and start the next round of every due alert not already being delivered on this node."""
        store = self.world.store
        due = await store.aio.alerts_to_escalate(self.kinds, self.first_after, self.every, time.time())
        for row in due:
            alert_id = row["id"]
            if len(self._running) >= MAX_RUNNING:
                break  # the rest on a later look, once some of these are done
            if alert_id in self._running:
                continue
            round_no = row["rounds"] + 1
            if not await store.aio.write(store.claim_escalation_round, alert_id, round_no, time.time()):
                continue  # another node took it, or someone acknowledged the alert just now
            self._running[alert_id] = asyncio.get_running_loop().create_task(self._escalate(row, round_no))

    async def _escalate(self, row: dict[str, Any], round_no: int) -> None:
        try:
            await self._send_round(row, round_no)
        except Exception:  # logged with ids only; the next round comes on schedule
            log.exception("escalation of alert %s, round %d, failed", row["id"], round_no)
        finally:
            self._running.pop(row["id"], None)

    async def _send_round(self, row: dict[str, Any], round_no: int) -> None:
        store = self.world.store
        alert_id, kind = row["id"], row["kind"]
        try:
            severity = await store.aio.alert_severity(alert_id) or SEVERITY.get(kind, "normal")
        except RETRYABLE:  # a store that cannot answer now does not hold the escalation back
            severity = SEVERITY.get(kind, "normal")
        msg = Escalated(
            alert=alert_id,
            kind=kind,
            severity=severity,
            room=row["room_name"],
            age_s=max(0.0, time.time() - row["ts"]),
            escalation=round_no,
            link=self.link(alert_id),
        )
        log.warning("escalating alert %s (%s), round %d", alert_id, kind, round_no)
        await asyncio.gather(*(self._deliver(channel, msg) for channel in self.channels))

    async def _deliver(self, channel: Channel, msg: Escalated) -> None:
        wait = self.backoff
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(wait)
                wait *= 2
                if not await self._still_open(msg.alert):
                    return  # a person acknowledged it while we waited
            try:
                await channel.send(msg)
            except Exception as e:
                error = describe(e)
                self.count("escalations_failed_total", channel.name)
                log.warning(
                    "escalation of alert %s by %s failed (%s), try %d of %d",
                    msg.alert,
                    channel.name,
                    error,
                    attempt,
                    self.attempts,
                )
                self._record(msg, channel.name, False, error)
                continue
            self.count("escalations_sent_total", channel.name)
            self._record(msg, channel.name, True, None)
            return
        log.error("escalation of alert %s by %s gave up after %d tries", msg.alert, channel.name, self.attempts)

    async def _still_open(self, alert_id: int) -> bool:
        """Is the alert still unacknowledged? While the store cannot say, it is taken to be (people first)."""
        try:
            return bool(await self.world.store.aio.alert_is_open(alert_id))
        except RETRYABLE:
            return True

    def _record(self, msg: Escalated, channel: str, ok: bool, error: str | None) -> None:
        """The attempt's record, written on the store thread (retried while the store cannot write; a refusal,
        e.g. the alert deleted with its person meanwhile, is logged by the store and dropped here)."""
        task = self.world.store.aio.persist(
            f"escalation attempt for alert {msg.alert}",
            "add_escalation_attempt",
            msg.alert,
            msg.escalation,
            channel,
            time.time(),
            ok,
            error,
        )
        task.add_done_callback(_drop_result)

    async def stop(self) -> None:
        """At shutdown: rounds in progress end (the next start picks up the schedule); channels close."""
        if self._task is not None:
            self._task.cancel()
        running = [t for t in (self._task, *self._running.values()) if t is not None]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for channel in self.channels:
            await channel.close()
