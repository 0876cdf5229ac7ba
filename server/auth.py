"""Accounts and tokens.

Passwords: scrypt (stdlib), always hashed off the event loop on a small pool of its own.
Tokens: `base64url(json).base64url(hmac-sha256)`, carrying the user id and that person's
session epoch. Every use of a token (Socket.IO connect, a Bearer header, the dashboard
cookie) re-reads the user row: a token whose epoch is not the row's current one was
revoked (logout, password change, ban) and a token whose row is gone was deleted.
Ids are never reused (AUTOINCREMENT), so an old token cannot become someone else's.

Logging in is throttled per account name and per client address with exponential
backoff (LoginThrottle); an unknown name costs the same scrypt as a known one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wire import errors, events
from wire.errors import WireError

if TYPE_CHECKING:
    from .config import Config
    from .storage import Row, Storage

T = TypeVar("T")

log = logging.getLogger("peerspace.auth")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{1,30}[A-Za-z0-9]$")
NAME_RULE = "3 to 32 letters, digits, spaces, '.', '_' or '-', starting and ending with a letter or digit"


def hash_password(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt or os.urandom(16)
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1), salt


def check_password(password: str, pw_hash: bytes, salt: bytes) -> bool:
    return hmac.compare_digest(hash_password(password, salt)[0], pw_hash)


# scrypt takes ~40 ms of CPU; it runs here, never on the event loop (nor on the store's thread, which
# would queue every room's writes behind a login flood). Two threads: logins wait for each other, rooms don't.
_HASH_POOL: ThreadPoolExecutor | None = None
# A name that does not exist is checked against this, so it costs the same scrypt as a real one.
_DUMMY_HASH, _DUMMY_SALT = bytes(64), b"peerspace-dummy!"


def _hash_pool() -> ThreadPoolExecutor:
    global _HASH_POOL
    if _HASH_POOL is None:
        _HASH_POOL = ThreadPoolExecutor(2, thread_name_prefix="peerspace-scrypt")
    return _HASH_POOL


def _check_or_dummy(password: str, user: Row | None) -> bool:
    if user is None:
        check_password(password, _DUMMY_HASH, _DUMMY_SALT)
        return False
    return check_password(password, user["pw_hash"], user["pw_salt"])


async def off_loop_hash(fn: Callable[..., T], *args: Any) -> T:
    """Run a password function on the hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(_hash_pool(), fn, *args)


def load_secret(cfg: Config) -> bytes:
    if cfg.secret:
        return cfg.secret.encode()
    path = Path(cfg.data_dir) / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Tokens:
    def __init__(self, secret: bytes, ttl: float):
        self.secret, self.ttl = secret, ttl

    def issue(self, user: Row) -> str:
        """A token for this user's current session epoch (`user` is a fresh row)."""
        body = _b64(
            json.dumps(
                {
                    "uid": user["id"],
                    "role": user["role"],
                    "ep": user.get("session_epoch", 0),
                    "exp": time.time() + self.ttl,
                    "n": secrets.token_hex(4),
                }
            ).encode()
        )
        sig = _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def verify(self, token: object) -> dict[str, Any]:
        """The signed claims of a well-formed, unexpired token; does not say it was not revoked
        (that needs the user row: Accounts.session_user)."""
        # Tokens we issue are ASCII; anything else (a non-ASCII signature made compare_digest raise) is refused here.
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 512 or not token.isascii():
            raise WireError(errors.UNAUTHORIZED, "Please log in again.")
        body, sig = token.split(".")
        good = _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig.encode(), good.encode()):
            raise WireError(errors.UNAUTHORIZED, "Please log in again.")
        try:
            claims: dict[str, Any] = json.loads(_unb64(body))  # not a dict: the lookups below raise
            expired = claims["exp"] < time.time()
            int(claims["uid"]), int(claims["ep"])
        except (ValueError, TypeError, KeyError):  # signed by us but not a token we issue (an old format)
            raise WireError(errors.UNAUTHORIZED, "Please log in again.") from None
        if expired:
            raise WireError(errors.UNAUTHORIZED, "Your session has ended. Please log in again.")
        return claims


def retry_message(seconds: int) -> str:
    wait = f"{seconds} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"
    return (
        f"Too many unsuccessful log-ins for this name or from this network. Please wait {wait} and try "
        f"again. If you have forgotten your password, an admin can set a new one for you."
    )


class Throttled(WireError):
    """A login refused without checking the password; `retry_after` is whole seconds (HTTP Retry-After)."""

    def __init__(self, retry_after: int):
        super().__init__(errors.RATE_LIMITED, retry_message(retry_after))
        self.retry_after = retry_after


@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failed log-ins per account name and per client address, with exponential backoff.

    Each key may fail `free` times; after that every failure blocks the key for
    base * 2**(extra failures - 1) seconds, capped at `cap`: never a permanent lockout, so the real
    owner gets in once the window has passed. An attempt is counted as a failure before its password
    is checked (parallel guesses cannot slip past the count) and forgiven if it succeeds. A key with no
    failure for `forget` seconds starts again from zero.
    """

    MAX_KEYS = 100_000  # bounded memory under a flood of made-up names

    def __init__(
        self,
        free_per_name: int = 5,
        free_per_address: int = 20,
        base: float = 1.0,
        cap: float = 300.0,
        forget: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free = {"name": free_per_name, "addr": free_per_address}
        self.base, self.cap, self.forget, self.clock = base, cap, forget, clock
        self.keys: dict[tuple[str, str], _Failures] = {}

    @staticmethod
    def _keys(name: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("name", name.casefold())]
        if address:
            keys.append(("addr", address))
        return keys

    def _get(self, key: tuple[str, str], now: float) -> _Failures:
        f = self.keys.get(key)
        if f is not None and now - f.last > self.forget and now >= f.blocked_until:
            f = None
        if f is None:
            if len(self.keys) >= self.MAX_KEYS:
                self._prune(now)
            f = self.keys[key] = _Failures()
        return f

    def _prune(self, now: float) -> None:
        for key in [k for k, f in self.keys.items() if now - f.last > self.forget and now >= f.blocked_until]:
            del self.keys[key]
        if len(self.keys) >= self.MAX_KEYS * 0.9:  # still full: keep the newest half (amortised: rare)
            newest = sorted(self.keys.items(), key=lambda kv: kv[1].last)[-self.MAX_KEYS // 2 :]
            self.keys = dict(newest)

    def begin(self, name: str, address: str | None) -> None:
        """Raise Throttled if this name or address must wait; else count the attempt as a failure."""
        now = self.clock()
        keys = self._keys(name, address)
        wait = max((self.keys[k].blocked_until - now for k in keys if k in self.keys), default=0.0)
        if wait > 0:
            raise Throttled(max(1, int(wait + 0.999)))
        for key in keys:
            f = self._get(key, now)
            f.count += 1
            f.last = now
            extra = f.count - self.free[key[0]]
            if extra > 0:
                wait = min(self.cap, self.base * 2 ** min(extra - 1, 30))
                f.blocked_until = now + wait
                # one line per block, not per refused attempt (a flood is thousands a second); no name, no address
                log.info(
                    "login throttled: %s after %d failures, %.0f s",
                    "an account name" if key[0] == "name" else "a client address",
                    f.count,
                    wait,
                )

    def succeeded(self, name: str, address: str | None) -> None:
        """The right password: this name starts again from zero; the address forgets this one attempt."""
        self.keys.pop(("name", name.casefold()), None)
        f = self.keys.get(("addr", address)) if address else None
        if f is not None:
            f.count = max(0, f.count - 1)
            if f.count <= self.free["addr"]:
                f.blocked_until = 0.0


class Accounts:
    def __init__(self, store: Storage, throttle: LoginThrottle | None = None):
        self.store = store
        self.throttle = throttle or LoginThrottle()

    def add(self, name: str, password: str, role: str) -> Row:
        if not NAME_RE.match(name or ""):
            raise WireError(errors.INVALID, f"A display name must be {NAME_RULE}.")
        if role not in events.ROLES:
            raise WireError(errors.INVALID, f"Role must be one of: {', '.join(events.ROLES)}.")
        if len(password or "") < 8:
            raise WireError(errors.INVALID, "A password needs at least 8 characters.")
        if self.store.find_user(name):
            raise WireError(errors.CONFLICT, f"The name '{name}' is taken; please choose another.")
        pw_hash, salt = hash_password(password)
        return self.store.create_user(name, role, pw_hash, salt)

    async def login(self, name: object, password: object, address: str | None = None) -> Row:
        """The user row for a right name and password, or WireError (`unauthorized`, `rate_limited` as
        Throttled, `forbidden` when banned). Never blocks the event loop."""
        if (
            not isinstance(name, str)
            or not isinstance(password, str)
            or not name
            or len(name) > 64
            or len(password) > 1024
        ):
            raise WireError(errors.UNAUTHORIZED, "That name and password do not match.")
        self.throttle.begin(name, address)
        user: Row | None = await self.store.aio.find_user(name)
        if not await off_loop_hash(_check_or_dummy, password, user) or user is None:  # None: it said False
            log.info("login failed for %s", f"user {user['id']}" if user else "an unknown name")
            raise WireError(errors.UNAUTHORIZED, "That name and password do not match.")
        self.throttle.succeeded(name, address)
        self.check_not_banned(user)
        return user

    async def session_user(self, claims: dict[str, Any]) -> Row:
        """The current user row for verified token claims, if that session is still valid."""
        user: Row | None = await self.store.aio.get_user(int(claims["uid"]))
        if user is None:
            raise WireError(errors.UNAUTHORIZED, "This account no longer exists.")
        self.check_not_banned(user)  # first: a paused person is told why, not just "log in again"
        if claims.get("ep") != user["session_epoch"]:
            raise WireError(errors.UNAUTHORIZED, "Your session has ended. Please log in again.")
        return user

    def set_password(self, user: Row, password: str, reason: str = "password") -> int:
        """A new password ends every session of this person; returns the new session epoch. Blocking:
        from async code, use change_password."""
        if len(password or "") < 8:
            raise WireError(errors.INVALID, "A password needs at least 8 characters.")
        pw_hash, salt = hash_password(password)
        self.store.set_password(user["id"], pw_hash, salt)
        return self.store.revoke_sessions(user["id"], reason)

    async def change_password(self, user: Row, old: object, new: object, address: str | None = None) -> Row:
        """Check the old password (throttled like a login), set the new one, end every session.
        Returns the fresh user row, for a new token."""
        if not isinstance(old, str) or not isinstance(new, str):
            raise WireError(errors.INVALID, 'Send {"old": "<current password>", "new": "<new password>"}.')
        if len(new) < 8 or len(new) > 1024:
            raise WireError(errors.INVALID, "A password needs 8 to 1024 characters.")
        try:
            await self.login(user["name"], old, address)
        except WireError as e:
            if e.code != errors.UNAUTHORIZED:
                raise
            raise WireError(errors.FORBIDDEN, "That is not your current password, so nothing was changed.") from None
        pw_hash, salt = await off_loop_hash(hash_password, new)
        await self.store.aio.set_password(user["id"], pw_hash, salt)
        await self.store.aio.revoke_sessions(user["id"], "password")
        log.info("user %s changed their password", user["id"])
        fresh: Row | None = await self.store.aio.get_user(user["id"])
        if fresh is None:  # deleted while the password was being changed
            raise WireError(errors.UNAUTHORIZED, "This account no longer exists.")
        return fresh

    @staticmethod
    def check_not_banned(user: Row) -> None:
        if user.get("banned_until") and user["banned_until"] > time.time():
            raise WireError(errors.FORBIDDEN, "This account is paused by the group's staff. Please contact them.")


def public_user(user: Row) -> dict[str, Any]:
    return {"id": user["id"], "name": user["name"], "role": user["role"]}
