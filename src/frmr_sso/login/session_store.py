"""The broker's SSO session: one login at the upstream serves later authorization requests.

Kept in the KV store under its id (``sid``, the ``session_id`` of codes and
refresh families). The browser holds ``frmr_sso_session = <sid>.<secret>``;
the store keeps only the secret's SHA-256. The session ends when idle for
``idle_ttl`` seconds or ``absolute_ttl`` seconds after the login, whichever
comes first; every use moves the idle deadline. Each login creates a new
session (a new id and secret): no fixation. The one the browser had is ended by
the login use case through ``login.sessions.SessionManager.end_replaced``, like
every other ending (refresh families, audit, back-channel logout), never here.

The claims snapshot holds personal data, so it is stored sealed
(``security.crypto.FieldCipher``, bound to the session id).

Beside each session the store keeps two KV sets: the subject's live session
ids (``sessions_of`` lists them; ids whose session expired are dropped as they
are met) and the clients that received a code in the session (for
back-channel logout). Ending a session leaves a short marker, so a request that
was using it at that moment cannot write it back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from frmr_sso.records import field_values
from frmr_sso.storage.ports import KeyValueStore

SESSION_COOKIE = "frmr_sso_session"
_PREFIX = "login:session:"
_BY_SUBJECT = "login:subject-sessions:"
_CLIENTS = "login:session-clients:"
_ENDED = "login:session-ended:"
MAX_LISTED = 100
MAX_USER_AGENT = 512
ENDED_MARKER_TTL = 300  # outlives any request that was using the session when it ended


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
    ip: str | None = None
    user_agent: str | None = None
    clients: tuple[str, ...] = ()  # filled by ``end*`` and ``sessions_of`` only, never stored here


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

    async def create(self, session: SsoSession) -> tuple[SsoSession, str]:
        """Store a new session (new id, ``created_at`` now); returns it and the cookie value.

        Other sessions stay as they are: ending the browser's previous one is the caller's
        (``SessionManager.end_replaced``), so it is revoked, audited and announced.
        """
        now = int(self._clock())
        session = replace(
            session, id=str(uuid.uuid4()), created_at=now, last_seen=now, clients=(),
            ip=session.ip[:64] if session.ip else None,
            user_agent=session.user_agent[:MAX_USER_AGENT] if session.user_agent else None,
        )
        secret = secrets.token_urlsafe(32)
        await self._save(session, _digest(secret), now)
        await self._kv.set_add(_BY_SUBJECT + session.subject, session.id, ttl=self.absolute_ttl)
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
        if await self._kv.get(_ENDED + session.id) is not None:  # ended while we were writing
            await self._kv.delete(_PREFIX + session.id)
            return None
        return session

    async def peek(self, session_id: str) -> SsoSession | None:
        """The live session of that id, unchanged (no cookie check: for its owner's list)."""
        found = await self._load_id(session_id)
        return None if found is None else found[0]

    async def add_client(self, session_id: str, client_id: str) -> None:
        """Remember that ``client_id`` received a code in this session (back-channel logout)."""
        await self._kv.set_add(_CLIENTS + session_id, client_id, ttl=self.absolute_ttl)

    async def sessions_of(self, subject: str) -> list[SsoSession]:
        """The subject's live sessions with their clients, newest first; expired ids leave the index."""
        index = _BY_SUBJECT + subject
        found: list[SsoSession] = []
        for session_id in sorted(await self._kv.set_members(index))[: MAX_LISTED * 2]:
            session = await self.peek(session_id) if _is_id(session_id) else None
            if session is None or session.subject != subject:
                await self._kv.set_remove(index, session_id)
                continue
            clients = tuple(sorted(await self._kv.set_members(_CLIENTS + session_id)))
            found.append(replace(session, clients=clients))
        found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return found[:MAX_LISTED]

    async def end(self, cookie: str | None) -> SsoSession | None:
        """End the session of ``cookie``; returns what it was (with its clients), if it was live."""
        found = await self._load(cookie)
        return None if found is None else await self._finish(found[0])

    async def end_by_id(self, session_id: str) -> SsoSession | None:
        """End the session of that id, whoever holds it; what it was, if it was live."""
        found = await self._load_id(session_id)
        return None if found is None else await self._finish(found[0])

    async def _finish(self, session: SsoSession) -> SsoSession | None:
        await self._kv.set(_ENDED + session.id, "1", ttl=ENDED_MARKER_TTL)
        if not await self._kv.delete(_PREFIX + session.id):
            return None  # another request ended it first: it notifies the clients
        await self._kv.set_remove(_BY_SUBJECT + session.subject, session.id)
        clients = tuple(sorted(await self._kv.set_members(_CLIENTS + session.id)))
        await self._kv.delete(_CLIENTS + session.id)
        return replace(session, clients=clients)

    async def _load(self, cookie: str | None) -> tuple[SsoSession, str] | None:
        sid = session_id_of(cookie)
        if sid is None or cookie is None:
            return None
        found = await self._load_id(sid)
        if found is None or not hmac.compare_digest(found[1], _digest(cookie.split(".", 1)[1])):
            return None
        return found

    async def _load_id(self, sid: str) -> tuple[SsoSession, str] | None:
        if not _is_id(sid):
            return None
        raw = await self._kv.get(_PREFIX + sid)
        if raw is None:
            return None
        data = json.loads(raw)
        secret_hash = data.pop("secret_hash")
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
        data = field_values(session)
        del data["clients"]
        data["claims"] = self._sealer.encrypt(
            json.dumps(session.claims, ensure_ascii=False), associated_data=session.id
        )
        data["secret_hash"] = secret_hash
        ttl = min(self.idle_ttl, session.created_at + self.absolute_ttl - now)
        await self._kv.set(_PREFIX + session.id, json.dumps(data, ensure_ascii=False), ttl=max(1, ttl))


def _is_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
