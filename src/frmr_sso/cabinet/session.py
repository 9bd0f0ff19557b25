"""The cabinet's own server-side sessions and login transactions, sealed in the key-value store.

The browser holds only a random session id (cookie ``frmr_cabinet_session``);
the KV keeps, under the id's SHA-256, the sealed session: the person's ``sub``
and name, the broker's tokens and the ETag cache of the API sections. The forms'
CSRF token is not stored: it is derived from the session id (``security.csrf``).
Login transactions (state → nonce, PKCE verifier, where to return)
are one-time reads. Nothing here knows HTTP.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from frmr_sso.cabinet.oidc_client import LoginStart, Tokens
from frmr_sso.security.crypto import DecryptionError, FieldCipher
from frmr_sso.security.csrf import CsrfTokens, FormKind
from frmr_sso.storage.ports import KeyValueStore

LOGIN_TTL = 600
_SESSION = "cabinet:session:"
_LOGIN = "cabinet:login:"
_BY_SID = "cabinet:by-sid:"  # the broker's session id (``sid``) → the cabinet sessions opened in it


@dataclass
class CabinetSession:
    id: str = field(repr=False)
    sub: str
    name: str
    tokens: Tokens = field(repr=False)
    csrf: str = field(repr=False)
    """The forms' token, bound to this session; never stored."""
    created_at: float
    cache: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    notice: str | None = None
    sid: str | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "name": self.name,
            "tokens": self.tokens.to_json(),
            "created_at": self.created_at,
            "cache": self.cache,
            "notice": self.notice,
            "sid": self.sid,
        }


@dataclass(frozen=True, slots=True)
class PendingLogin:
    nonce: str
    verifier: str
    next_path: str


def _key(prefix: str, secret: str) -> str:
    return prefix + hashlib.sha256(secret.encode()).hexdigest()


class CabinetSessions:
    def __init__(
        self, kv: KeyValueStore, cipher: FieldCipher, *, csrf: CsrfTokens, idle_ttl: int, absolute_ttl: int
    ) -> None:
        self._kv, self._cipher, self.csrf = kv, cipher, csrf
        self.idle_ttl, self.absolute_ttl = idle_ttl, absolute_ttl

    async def begin_login(self, start: LoginStart, next_path: str) -> None:
        key = _key(_LOGIN, start.state)
        value = {"nonce": start.nonce, "verifier": start.verifier, "next": next_path}
        await self._kv.set(key, self._seal(key, value), ttl=LOGIN_TTL)

    async def take_login(self, state: str) -> PendingLogin | None:
        key = _key(_LOGIN, state)
        raw = await self._kv.get_and_delete(key)
        data = self._open(key, raw)
        return None if data is None else PendingLogin(data["nonce"], data["verifier"], data["next"])

    async def create(self, *, sub: str, name: str, tokens: Tokens, sid: str | None = None) -> CabinetSession:
        session_id = secrets.token_urlsafe(32)
        session = CabinetSession(
            id=session_id,
            sub=sub,
            name=name,
            tokens=tokens,
            csrf=self.csrf.issue(FormKind.CABINET, session_id),
            created_at=time.time(),
            sid=sid,
        )
        await self.save(session)
        if sid:
            key = _key(_BY_SID, sid)
            opened = [*(self._open(key, await self._kv.get(key)) or {}).get("ids", []), session.id]
            await self._kv.set(key, self._seal(key, {"ids": opened[-20:]}), ttl=self.absolute_ttl)
        return session

    async def end_broker_session(self, sid: str) -> int:
        """Deletes every cabinet session opened in the broker's session ``sid``; how many there were."""
        key = _key(_BY_SID, sid)
        found = self._open(key, await self._kv.get_and_delete(key)) or {}
        ended = 0
        for session_id in found.get("ids", []):
            ended += await self.get(session_id) is not None
            await self.delete(session_id)
        return ended

    async def get(self, session_id: str) -> CabinetSession | None:
        if not session_id or len(session_id) > 128:
            return None
        key = _key(_SESSION, session_id)
        data = self._open(key, await self._kv.get(key))
        if data is None:
            return None
        if data["created_at"] + self.absolute_ttl <= time.time():
            await self._kv.delete(key)  # over its absolute lifetime: gone from the server too
            return None
        return CabinetSession(
            id=session_id,
            sub=data["sub"],
            name=data["name"],
            tokens=Tokens.from_json(data["tokens"]),
            csrf=self.csrf.issue(FormKind.CABINET, session_id),
            created_at=data["created_at"],
            cache=data.get("cache") or {},
            notice=data.get("notice"),
            sid=data.get("sid"),
        )

    def csrf_ok(self, session: CabinetSession | None, token: object) -> bool:
        """Whether a form posted with ``token`` came from a page of ``session``."""
        return session is not None and self.csrf.valid(FormKind.CABINET, session.id, token)

    async def save(self, session: CabinetSession) -> None:
        key = _key(_SESSION, session.id)
        left = session.created_at + self.absolute_ttl - time.time()
        await self._kv.set(key, self._seal(key, session.to_json()), ttl=max(1.0, min(self.idle_ttl, left)))

    async def delete(self, session_id: str) -> None:
        await self._kv.delete(_key(_SESSION, session_id))

    def _seal(self, key: str, value: dict[str, Any]) -> str:
        return self._cipher.encrypt(json.dumps(value, ensure_ascii=False), associated_data=key)

    def _open(self, key: str, raw: str | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            data: dict[str, Any] = json.loads(self._cipher.decrypt(raw, associated_data=key))
        except (DecryptionError, ValueError):
            return None
        return data
