"""The mock's SSO session (cookie ``esia_sid``) and CSRF tokens for its forms (cookie ``esia_csrf``).

SSO session: the cookie holds a random secret; the KV keeps the session under
the secret's SHA-256 (a store dump reveals no cookie), with the public ``sid``
that goes into tokens as ``urn:esia:sid``. A browser with a live session skips
the login form, as ESIA does.

CSRF: the browser holds a random secret in ``esia_csrf`` (HttpOnly); each form
carries ``HMAC(secret, purpose)`` where the purpose names what the form acts on
(``tx:<tx>``, ``recovery``). A forged cross-site POST has no way to learn the
token, and a token is good only for its own transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from dataclasses import asdict, dataclass

from starlette.requests import Request
from starlette.responses import Response

from frmr_sso.storage.ports import KeyValueStore

SESSION_COOKIE = "esia_sid"
CSRF_COOKIE = "esia_csrf"
SESSION_TTL = 8 * 3600
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True)
class SsoSession:
    sid: str
    oid: int
    auth_time: int
    amr: str


def _well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN_SHAPE.match(token) is not None


class SsoSessions:
    def __init__(self, kv: KeyValueStore, ttl: float = SESSION_TTL) -> None:
        self._kv = kv
        self._ttl = ttl

    @staticmethod
    def _key(token: str) -> str:
        return "sso:" + hashlib.sha256(token.encode()).hexdigest()

    async def start(self, *, oid: int, auth_time: int, amr: str) -> tuple[str, SsoSession]:
        """A new session; returns the cookie value and the session."""
        token = secrets.token_urlsafe(32)
        session = SsoSession(sid=str(uuid.uuid4()), oid=oid, auth_time=auth_time, amr=amr)
        await self._kv.set(self._key(token), json.dumps(asdict(session)), self._ttl)
        return token, session

    async def get(self, token: str | None) -> SsoSession | None:
        if token is None or not _well_formed(token):
            return None
        raw = await self._kv.get(self._key(token))
        return None if raw is None else SsoSession(**json.loads(raw))

    async def end(self, token: str | None) -> bool:
        if token is None or not _well_formed(token):
            return False
        return await self._kv.delete(self._key(token))


def secure_cookies(base_url: str) -> bool:
    return base_url.lower().startswith("https://")


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax")


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


class Csrf:
    """The browser's CSRF secret for this request: the cookie's, or a fresh one to be set."""

    def __init__(self, request: Request) -> None:
        existing = request.cookies.get(CSRF_COOKIE)
        self.fresh = not _well_formed(existing)
        self.secret = secrets.token_urlsafe(32) if self.fresh or existing is None else existing

    def token(self, purpose: str) -> str:
        return csrf_token(self.secret, purpose)

    def attach(self, response: Response, *, secure: bool) -> None:
        if self.fresh:
            set_cookie(response, CSRF_COOKIE, self.secret, secure=secure)


def csrf_token(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, purpose: str, submitted: str | None) -> bool:
    secret = request.cookies.get(CSRF_COOKIE)
    if not _well_formed(secret) or secret is None or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, purpose), submitted)
