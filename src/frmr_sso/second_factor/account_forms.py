"""The form CSRF of the ``/account/2fa`` pages, in one place.

A page keeps a draft in the KV store (sealed, bound to the SSO session id) with
a random CSRF token its forms carry back; a post is taken only from the live
session whose draft holds the same token. A broker-wide CSRF mechanism can
replace this class without touching the use cases that call it.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from frmr_sso.login.session_store import Sealer, SessionStore, SsoSession
from frmr_sso.storage.ports import KeyValueStore

ENROLMENT_TTL = 600


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Literal["not_signed_in", "needs_second_factor", "stale"]


class AccountForms:
    def __init__(
        self,
        sessions: SessionStore,
        kv: KeyValueStore,
        sealer: Sealer,
        *,
        prefix: str,
        ttl: int = ENROLMENT_TTL,
    ) -> None:
        self._sessions, self._kv, self._sealer = sessions, kv, sealer
        self._prefix, self._ttl = prefix, ttl

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)

    async def session(self, session_cookie: str | None) -> SsoSession | None:
        return await self._sessions.get(session_cookie)

    async def posted(
        self, session_cookie: str | None, csrf: str | None
    ) -> tuple[SsoSession, dict[str, Any]] | Refused:
        """The live session and the page's draft a form was posted from, its CSRF token checked."""
        session = await self._sessions.get(session_cookie)
        if session is None:
            return Refused("not_signed_in")
        draft = await self.draft(session.id)
        if draft is None or csrf is None or not hmac.compare_digest(draft["csrf"].encode(), csrf.encode()):
            return Refused("stale")
        return session, draft

    async def draft(self, session_id: str) -> dict[str, Any] | None:
        raw = await self._kv.get(self._prefix + session_id)
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(self._sealer.decrypt_text(raw, associated_data=session_id))
        return data

    async def save(self, session_id: str, draft: dict[str, Any]) -> None:
        sealed = self._sealer.encrypt(json.dumps(draft), associated_data=session_id)
        await self._kv.set(self._prefix + session_id, sealed, ttl=self._ttl)

    async def drop(self, session_id: str) -> None:
        await self._kv.delete(self._prefix + session_id)
