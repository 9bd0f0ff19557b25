"""Ending SSO sessions: a person's own (list them, end one or all but the current one), a leaked
one, and the one a new login in the same browser replaces.

Used by the ``/account/sessions`` page (the browser's live SSO cookie, a CSRF
token on every form), by ``/api/v1/me/sessions`` (a bearer access token of
the subject), by the token endpoint (a reused refresh token) and by the login
use case (``end_replaced``). Ending a session is what logout does to it: the
session goes, its refresh-token families are revoked, its clients get
back-channel logout tokens, and one ``session.ended`` audit record says who
ended which session and how (``via``). A session that is not the caller's, or
no longer live, is refused the same way (nothing changes, audited), so one
subject cannot probe another's session ids.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.session_store import SessionStore, SsoSession
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.security.csrf import CsrfTokens, FormKind

RevokeSession = Callable[[str, datetime], Awaitable[int]]
REPLACED = "replaced"
"""``via`` of a session ended because a new login in the same browser replaced it."""


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    name: str


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    created_at: int
    last_seen: int
    auth_time: int
    connector: str
    ip: str | None
    user_agent: str | None
    clients: tuple[ClientView, ...]
    current: bool

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created_at": _iso(self.created_at),
            "last_seen": _iso(self.last_seen),
            "auth_time": _iso(self.auth_time),
            "connector": self.connector,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "clients": [{"client_id": c.client_id, "name": c.name} for c in self.clients],
            "current": self.current,
        }


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class SessionManager:
    def __init__(
        self,
        *,
        sessions: SessionStore,
        clients: ClientLookup,
        revoke_session: RevokeSession,
        backchannel: BackchannelLogout,
        auditor: Auditor,
        csrf: CsrfTokens,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions, self._clients, self._revoke = sessions, clients, revoke_session
        self._backchannel, self._audit, self._csrf, self._clock = backchannel, auditor, csrf, clock

    def csrf_token(self, session_id: str) -> str:
        """The forms' token for the browser holding ``session_id`` (``security.csrf``)."""
        return self._csrf.issue(FormKind.ACCOUNT_SESSIONS, session_id)

    def csrf_ok(self, session_id: str, token: object) -> bool:
        return self._csrf.valid(FormKind.ACCOUNT_SESSIONS, session_id, token)

    async def views(self, subject: str, *, current: str | None = None) -> list[SessionView]:
        views = []
        for session in await self._sessions.sessions_of(subject):
            clients = []
            for client_id in session.clients:
                client = await self._clients(client_id)
                clients.append(ClientView(client_id, client.name if client is not None else client_id))
            views.append(
                SessionView(
                    session.id,
                    session.created_at,
                    session.last_seen,
                    session.auth_time,
                    session.connector,
                    session.ip,
                    session.user_agent,
                    tuple(clients),
                    current=session.id == current,
                )
            )
        return views

    async def end(self, subject: str, session_id: str, context: AuditContext, *, via: str) -> bool:
        """End the subject's session ``session_id``; False (audited, nothing changed) if not theirs."""
        session = await self._sessions.peek(session_id)
        ended = await self._sessions.end_by_id(session_id) if session and session.subject == subject else None
        if ended is None:
            await self.refuse(subject, "not a live session of the subject", context, via=via)
            return False
        await self.terminate([ended], context, by=subject, via=via)
        return True

    async def end_compromised(self, session_id: str, context: AuditContext, *, by: str) -> bool:
        """End a session whose token leaked (a refresh token reused outside its grace window):
        all its refresh families revoked, its clients told by back-channel logout."""
        ended = await self._sessions.end_by_id(session_id)
        if ended is not None:
            await self.terminate([ended], context, by=by, via="token")
        return ended is not None

    async def end_replaced(
        self, session_id: str, new: SsoSession, context: AuditContext
    ) -> SsoSession | None:
        """End the session ``session_id`` that the login of ``new`` replaces in the same browser.

        Every login gets a new session id (no fixation), so the browser's previous
        session is over whoever logged in: another person at a shared workstation,
        or the same person again (``prompt=login``, ``max_age``, a step-up to the
        second factor). Its sid is gone either way, so it ends like any other
        ending: its refresh-token families are revoked (``/logout`` and the sessions
        page treat them as part of the session, and a gone sid could not be ended
        there any more), its clients get back-channel logout tokens and may sign in
        again silently against the new session, and ``session.ended`` records
        ``by`` the new login's subject, ``via`` ``replaced`` and the new session as
        ``replaced_by``. Call it once ``new`` exists, so a login that fails before
        leaves the browser's session as it was. None when nothing was live.
        """
        ended = await self._sessions.end_by_id(session_id) if session_id != new.id else None
        if ended is not None:
            await self.terminate([ended], context, by=new.subject, via=REPLACED, replaced_by=new.id)
        return ended

    async def end_others(self, subject: str, current: str, context: AuditContext, *, via: str) -> int:
        ended = []
        for session in await self._sessions.sessions_of(subject):
            if session.id != current and (gone := await self._sessions.end_by_id(session.id)) is not None:
                ended.append(gone)
        await self.terminate(ended, context, by=subject, via=via)
        return len(ended)

    async def terminate(
        self,
        ended: list[SsoSession],
        context: AuditContext,
        *,
        by: str,
        via: str,
        replaced_by: str | None = None,
    ) -> None:
        """After the store ended ``ended``: revoke their refresh families, audit, tell their clients."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        for session in ended:
            revoked = await self._revoke(session.id, now)
            details: dict[str, object] = {
                "session": session.id,
                "by": by,
                "via": via,
                "refresh_families": revoked,
                "clients": list(session.clients),
            }
            if replaced_by is not None:
                details["replaced_by"] = replaced_by
            await self._audit.record(
                Event.SESSION_ENDED, context, outcome=SUCCESS, subject_id=session.subject, details=details
            )
        await self._backchannel.notify(ended, context)

    async def refuse(self, subject: str | None, reason: str, context: AuditContext, *, via: str) -> None:
        await self._audit.record(
            Event.SESSION_END_REFUSED,
            context,
            outcome=FAILURE,
            subject_id=subject,
            details={"reason": reason, "via": via},
        )
