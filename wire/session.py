"""The reference client session of the protocol: the 3D client, the headless bot and remote agents use it.

Logs in over HTTP, connects Socket.IO (msgpack, websocket), says `hello`
after every (re)connect so the server resumes the same avatar, and hands
events to registered callbacks. Needs asyncio only; no Panda3D here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import ssl
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

import wire
from wire import events
from wire.errors import WireError

log = logging.getLogger("peerspace.session")

CONNECTION = "_connection"  # local pseudo-event: {'state': 'connected'|'reconnecting'|'disconnected'}
WELCOME = "welcome"  # local pseudo-event: the server's answer to hello


# The system's CA lists, where Linux distributions keep them. The installed client's OpenSSL (tools/bundle.py) was
# built elsewhere and looks in its build's folder; the first of these that exists is trusted as well.
SYSTEM_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # Alpine
)


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A client context that verifies the server's certificate and name: the system's CAs, or only ca_file's."""
    try:
        ctx = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as e:
        raise WireError("tls", f"Cannot read the CA file {ca_file}: {e}. Check the --ca-file path.") from e
    if not ca_file and getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
        system = next((f for f in SYSTEM_CA_FILES if os.path.isfile(f)), None)
        if system is not None:
            ctx.load_verify_locations(cafile=system)
    return ctx


def untrusted_message(base_url: str) -> str:
    return (
        f"The server at {base_url} has a certificate this computer does not trust, so nothing was sent. "
        "If the service uses its own certificate authority, give its CA file with --ca-file "
        "(or PEERSPACE_CA_FILE)."
    )


def _certificate_refused(exc: BaseException | None) -> bool:
    """Whether a connection failed on the server's certificate (the client libraries wrap that error)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (ssl.SSLCertVerificationError, aiohttp.ClientConnectorCertificateError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class Session:
    def __init__(
        self, base_url: str, *, reconnect: bool = True, call_timeout: float = 10.0, ca_file: str | None = None
    ):
        self.base_url = base_url.rstrip("/")
        # https/wss: the certificate is always verified, against the system's CAs or, with ca_file, a service's own
        self.ssl: ssl.SSLContext | None = tls_context(ca_file) if self.base_url.startswith("https:") else None
        self.call_timeout = call_timeout
        self.token: str | None = None
        # the language the person reads (client/i18n.py), sent in the connect auth so the server can pick
        # per-language scenario text; None sends none (the server's default, English)
        self.language: str | None = None
        self.user: dict[str, Any] | None = None
        self.state = "disconnected"
        self._handlers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)
        self._welcomed: asyncio.Future[dict[str, Any]] | None = None
        self._closing = False
        self.sio = socketio.AsyncClient(
            serializer="msgpack",
            reconnection=reconnect,
            reconnection_delay=0.5,
            reconnection_delay_max=4,
            randomization_factor=0.3,
            logger=False,
            engineio_logger=False,
            websocket_extra_options={"ssl": self.ssl} if self.ssl else {},
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)
        self._refusal: dict[str, Any] | None = None
        self.sio.on("*", self._on_any)

    # --- callbacks -----------------------------------------------------------------------
    def on(self, event: str, handler: Callable[[Any], Any]) -> None:
        self._handlers[event].append(handler)

    async def _fire(self, event: str, data: Any) -> None:
        for handler in list(self._handlers.get(event, ())):
            result = handler(data)
            if inspect.isawaitable(result):
                await result

    async def _on_any(self, event: str, data: Any = None) -> None:
        await self._fire(event, data)

    async def _set_state(self, state: str) -> None:
        self.state = state
        await self._fire(CONNECTION, {"state": state})

    async def _on_connect(self) -> None:
        asyncio.get_running_loop().create_task(self._hello())

    async def _on_connect_error(self, data: Any = None) -> None:
        self._refusal = data if isinstance(data, dict) else None
        if self._refusal and self._refusal.get("code") == "unauthorized":
            await self._set_state("disconnected")  # retrying with a dead token cannot help

    async def _on_disconnect(self, reason: Any = None) -> None:
        await self._set_state("disconnected" if self._closing else "reconnecting")

    async def _hello(self) -> None:
        try:
            ack = await self.call(events.HELLO, {"protocol": wire.PROTOCOL_VERSION})
        except (TimeoutError, WireError, socketio.exceptions.SocketIOError) as e:
            if self._welcomed and not self._welcomed.done():
                self._welcomed.set_exception(
                    e if isinstance(e, WireError) else WireError("network", "The server did not answer.")
                )
            return
        self.user = ack["user"]
        await self._set_state("connected")
        await self._fire(WELCOME, ack)
        if self._welcomed and not self._welcomed.done():
            self._welcomed.set_result(ack)

    # --- verbs -----------------------------------------------------------------------------
    async def login(self, name: str, password: str) -> dict[str, Any]:
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(
                    f"{self.base_url}/api/login",
                    json={"name": name, "password": password},
                    timeout=aiohttp.ClientTimeout(total=self.call_timeout),
                    ssl=self.ssl if self.ssl else True,
                ) as resp:
                    body = await resp.json(content_type=None)
        except aiohttp.ClientConnectorCertificateError as e:
            raise WireError("tls", untrusted_message(self.base_url)) from e
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            raise WireError("network", "Cannot reach the server. Check the address and your connection.") from e
        if not body.get("ok"):
            err = body.get("error", {})
            raise WireError(err.get("code", "unauthorized"), err.get("message", "Login failed."))
        self.token, self.user = body["token"], body["user"]
        return self.user

    async def connect(self) -> dict[str, Any]:
        """Connect and wait for the server's welcome (which says whether we resumed a room)."""
        self._welcomed = asyncio.get_running_loop().create_future()
        self._refusal = None
        try:
            auth: dict[str, Any] = {"token": self.token}
            if self.language:
                auth["language"] = self.language
            await self.sio.connect(self.base_url, transports=["websocket"], auth=auth, wait_timeout=self.call_timeout)
        except socketio.exceptions.ConnectionError as e:
            detail = self._refusal
            if _certificate_refused(e):
                raise WireError("tls", untrusted_message(self.base_url)) from e
            if detail:
                raise WireError(detail.get("code", "unauthorized"), detail.get("message", "Connection refused.")) from e
            raise WireError("network", "Cannot reach the server. Check the address and your connection.") from e
        return await asyncio.wait_for(self._welcomed, self.call_timeout)

    async def call(self, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        ack = await self.sio.call(event, payload if payload is not None else {}, timeout=self.call_timeout)
        if not isinstance(ack, dict) or not ack.get("ok"):
            err = (ack or {}).get("error", {}) if isinstance(ack, dict) else {}
            raise WireError(err.get("code", "error"), err.get("message", "The server refused that."))
        return ack

    async def emit(self, event: str, payload: dict[str, Any] | None = None) -> None:
        await self.sio.emit(event, payload if payload is not None else {})

    @property
    def connected(self) -> bool:
        return self.sio.connected and self.state == "connected"

    async def close(self) -> None:
        self._closing = True
        await self.sio.shutdown()
