"""Optional authentication for the whole REST API: HTTP basic and bearer tokens.

Off unless the hub is given an auth file (``HubConfig.auth_file``, env ``HUB_AUTH_FILE``)::

    {"users": {"alice": "s3cret"}, "tokens": ["3f1c...long random token"]}

With it on, every request except ``GET /`` (which load balancers and `make run` poll)
needs ``Authorization: Basic <base64 user:password>`` or ``Authorization: Bearer <token>``,
and is answered 401 otherwise. Secrets are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.services import HubServices

REALM = "cdchub"


@dataclass(frozen=True)
class Credentials:
    """Who may call the API."""

    users: dict[str, str] = field(default_factory=dict)
    tokens: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> Credentials:
        """Read an auth file; ValueError says what is wrong with it."""
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            msg = f"cannot read the auth file {path}: {exc}"
            raise ValueError(msg) from None
        users = data.get("users", {}) if isinstance(data, dict) else None
        tokens = data.get("tokens", []) if isinstance(data, dict) else None
        if not isinstance(users, dict) or not isinstance(tokens, list):
            msg = f'{path} must hold {{"users": {{"name": "password"}}, "tokens": ["..."]}}'
            raise ValueError(msg)
        return cls({str(k): str(v) for k, v in users.items()}, tuple(str(t) for t in tokens))

    def allows(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header value carries valid credentials."""
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer":
            return any(hmac.compare_digest(value, t) for t in self.tokens)
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = self.users.get(user)
        return bool(sep) and expected is not None and hmac.compare_digest(password, expected)


class AuthMiddleware:
    """ASGI middleware answering 401 to requests without valid credentials."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] == "GET" and scope["path"] == "/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization")
        if self.credentials.allows(raw.decode("latin-1") if raw else None):
            await self.app(scope, receive, send)
            return
        body = orjson.dumps(
            {
                "error_code": 401,
                "message": "Authentication required: send "
                "HTTP basic credentials or a bearer token configured on the hub.",
            }
        )
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"),
            (b"www-authenticate", f'Basic realm="{REALM}"'.encode()),
            (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def auth_file(services: HubServices) -> Path | None:
    """The configured auth file (``HubConfig.auth_file``; ``hub up`` reads HUB_AUTH_FILE)."""
    configured = getattr(services.config, "auth_file", None)
    return Path(configured) if configured else None


def register(app: object, services: HubServices) -> None:
    """Install the middleware when an auth file is configured (startup fails if unreadable)."""
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    path = auth_file(services)
    if path is not None:
        app.add_middleware(AuthMiddleware, credentials=Credentials.load(path))
