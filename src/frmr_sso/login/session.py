"""The broker's SSO session: one login at the upstream serves later authorization requests.

Kept in the KV store under its id (``sid``, the ``session_id`` of codes and
refresh families). The browser holds ``frmr_sso_session = <sid>.<secret>``;
the store keeps only the secret's SHA-256. The session ends when idle for
``idle_ttl`` seconds or ``absolute_ttl`` seconds after the login, whichever
comes first; every use moves the idle deadline. Each login creates a new
session (a new id and secret) and ends the one the browser had: no fixation.

The claims snapshot holds personal data, so it is stored sealed
(``security.crypto.FieldCipher``, bound to the session id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from frmr_sso.storage.ports import KeyValueStore

SESSION_COOKIE = "frmr_sso_session"
_PREFIX = "login:session:"


class Sealer(Protocol):
    def encrypt(self, plaintext: bytes | str, *, associated_data: bytes | str = b"") -> str: ...

    def decrypt_text(self, token: str, *, associated_data: bytes | str = b"") -> str: ...


@dataclass(frozen=True, slots=True)
class SsoSession:
    id: str
    subject: str
    connector: str
    auth_time: int
    created_at: int
    last_seen: int
    acr: str | None = None
    amr: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict, repr=False)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def session_id_of(cookie: str | None) -> str | None:
    """The sid part of a session cookie, without checking it."""
    if not cookie or "." not in cookie:
        return None
    sid = cookie.split(".", 1)[0]
    return sid if len(sid) == 36 else None


class SessionStore:
    def __init__(
        self,
        kv: KeyValueStore,
        sealer: Sealer,
        *,
        idle_ttl: int,
        absolute_ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv, self._sealer, self._clock = kv, sealer, clock
        self.idle_ttl, self.absolute_ttl = idle_ttl, absolute_ttl

    async def create(self, session: SsoSession, *, replacing: str | None = None) -> tuple[SsoSession, str]:
        """Store a new session (new id, ``created_at`` now); returns it and the cookie value.

        ``replacing`` is the browser's previous session cookie, which ends here.
        """
        if replacing is not None:
            await self.end(replacing)
        now = int(self._clock())
        session = replace(session, id=str(uuid.uuid4()), created_at=now, last_seen=now)
        secret = secrets.token_urlsafe(32)
        await self._save(session, _digest(secret), now)
        return session, f"{session.id}.{secret}"

    async def get(self, cookie: str | None) -> SsoSession | None:
        """The live session of ``cookie``, its idle deadline moved; None when absent or ended."""
        found = await self._load(cookie)
        if found is None:
            return None
        session, secret_hash = found
        now = int(self._clock())
        session = replace(session, last_seen=now)
        await self._save(session, secret_hash, now)
        return session

    async def end(self, cookie: str | None) -> SsoSession | None:
        """Remove the session of ``cookie``; returns what it was, if it was live."""
        found = await self._load(cookie)
        if found is None:
            return None
        await self._kv.delete(_PREFIX + found[0].id)
        return found[0]

    async def end_by_id(self, session_id: str) -> bool:
        return await self._kv.delete(_PREFIX + session_id)

    async def _load(self, cookie: str | None) -> tuple[SsoSession, str] | None:
        sid = session_id_of(cookie)
        if sid is None or cookie is None:
            return None
        raw = await self._kv.get(_PREFIX + sid)
        if raw is None:
            return None
        data = json.loads(raw)
        secret_hash = data.pop("secret_hash")
        if not hmac.compare_digest(secret_hash, _digest(cookie.split(".", 1)[1])):
            return None
        data["claims"] = json.loads(self._sealer.decrypt_text(data["claims"], associated_data=sid))
        data["amr"], data["roles"] = tuple(data["amr"]), tuple(data["roles"])
        session = SsoSession(**data)
        if self._expired(session, int(self._clock())):
            await self._kv.delete(_PREFIX + sid)
            return None
        return session, secret_hash

    def _expired(self, session: SsoSession, now: int) -> bool:
        return now - session.created_at >= self.absolute_ttl or now - session.last_seen >= self.idle_ttl

    async def _save(self, session: SsoSession, secret_hash: str, now: int) -> None:
        data = asdict(session)
        data["claims"] = self._sealer.encrypt(
            json.dumps(session.claims, ensure_ascii=False), associated_data=session.id
        )
        data["secret_hash"] = secret_hash
        ttl = min(self.idle_ttl, session.created_at + self.absolute_ttl - now)
        await self._kv.set(_PREFIX + session.id, json.dumps(data, ensure_ascii=False), ttl=max(1, ttl))
