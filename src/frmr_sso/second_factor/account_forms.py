"""The forms of the ``/account/2fa`` pages, in one place: the live session, the page's draft, CSRF.

A page may keep a draft in the KV store (sealed, bound to the SSO session id), such as a new
authenticator's secret. Its forms carry the broker's CSRF token (``security.csrf``) of the page's
form kind, bound to the SSO session: a post is taken only from the live session it was made for
(and, where the page keeps one, while its draft lives).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from frmr_sso.login.session_store import Sealer, SessionStore, SsoSession
from frmr_sso.security.csrf import CsrfTokens, FormKind
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
        csrf: CsrfTokens,
        kind: FormKind,
        prefix: str,
        ttl: int = ENROLMENT_TTL,
    ) -> None:
        self._sessions, self._kv, self._sealer = sessions, kv, sealer
        self._csrf, self._kind, self._prefix, self._ttl = csrf, kind, prefix, ttl

    def token(self, session: SsoSession) -> str:
        """The CSRF token the page's forms carry for ``session``."""
        return self._csrf.issue(self._kind, session.id)

    async def session(self, session_cookie: str | None) -> SsoSession | None:
        return await self._sessions.get(session_cookie)

    async def posted(
        self, session_cookie: str | None, csrf: str | None, *, with_draft: bool = True
    ) -> tuple[SsoSession, dict[str, Any]] | Refused:
        """The live session and the page's draft (empty ``without_draft``) a form was posted from, its
        CSRF token checked."""
        session = await self._sessions.get(session_cookie)
        if session is None:
            return Refused("not_signed_in")
        draft = await self.draft(session.id) if with_draft else {}
        if draft is None or not self._csrf.valid(self._kind, session.id, csrf):
            return Refused("stale")
        return session, draft

    async def draft(self, session_id: str) -> dict[str, Any] | None:
        raw = await self._kv.get(self._prefix + session_id)
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(self._sealer.decrypt_text(raw, associated_data=session_id))
        data.pop("csrf", None)  # kept by earlier versions; the token is now derived (``security.csrf``)
        return data

    async def save(self, session_id: str, draft: dict[str, Any]) -> None:
        sealed = self._sealer.encrypt(json.dumps(draft), associated_data=session_id)
        await self._kv.set(self._prefix + session_id, sealed, ttl=self._ttl)

    async def drop(self, session_id: str) -> None:
        await self._kv.delete(self._prefix + session_id)
