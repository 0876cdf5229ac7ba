"""Accounts and tokens.

Passwords: scrypt (stdlib). Tokens: `base64url(json).base64url(hmac-sha256)`;
small, stateless, and verified on every Socket.IO connect. The token carries
the user id and role; the user row is re-read on connect so a ban or a role
change takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from pathlib import Path

from wire import errors, events
from wire.errors import WireError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{1,30}[A-Za-z0-9]$")
NAME_RULE = "3 to 32 letters, digits, spaces, '.', '_' or '-', starting and ending with a letter or digit"


def hash_password(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt or os.urandom(16)
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1), salt


def check_password(password: str, pw_hash: bytes, salt: bytes) -> bool:
    return hmac.compare_digest(hash_password(password, salt)[0], pw_hash)


def load_secret(cfg) -> bytes:
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

    def issue(self, user: dict) -> str:
        body = _b64(json.dumps({"uid": user["id"], "role": user["role"], "exp": time.time() + self.ttl,
                                "n": secrets.token_hex(4)}).encode())
        sig = _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def verify(self, token) -> dict:
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 512:
            raise WireError(errors.UNAUTHORIZED, "Please log in again.")
        body, sig = token.split(".")
        good = _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, good):
            raise WireError(errors.UNAUTHORIZED, "Please log in again.")
        claims = json.loads(_unb64(body))
        if claims["exp"] < time.time():
            raise WireError(errors.UNAUTHORIZED, "Your session has ended. Please log in again.")
        return claims


class Accounts:
    def __init__(self, store):
        self.store = store

    def add(self, name: str, password: str, role: str) -> dict:
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

    def login(self, name: str, password: str) -> dict:
        user = self.store.find_user(name) if isinstance(name, str) else None
        if user is None or not isinstance(password, str) or not check_password(password, user["pw_hash"],
                                                                                 user["pw_salt"]):
            raise WireError(errors.UNAUTHORIZED, "That name and password do not match.")
        self.check_not_banned(user)
        return user

    @staticmethod
    def check_not_banned(user: dict) -> None:
        if user.get("banned_until") and user["banned_until"] > time.time():
            raise WireError(errors.FORBIDDEN, "This account is paused by the group's staff. Please contact them.")


def public_user(user: dict) -> dict:
    return {"id": user["id"], "name": user["name"], "role": user["role"]}
