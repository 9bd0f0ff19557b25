"""A person's own SSO sessions: list them and end one, or all but the current one.

Used by the ``/account/sessions`` page (the browser's live SSO cookie, a CSRF
token on every form) and by ``/api/v1/me/sessions`` (a bearer access token of
the subject). Ending a session is what logout does to it: the session goes,
its refresh-token families are revoked, its clients get back-channel logout
tokens, and one audit record says who ended which session. A session that is
not the caller's, or no longer live, is refused the same way (nothing changes,
audited), so one subject cannot probe another's session ids.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.session import SessionStore, SsoSession
from frmr_sso.oauth.ports import ClientLookup

RevokeSession = Callable[[str, datetime], Awaitable[int]]


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
        csrf_key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions, self._clients, self._revoke = sessions, clients, revoke_session
        self._backchannel, self._audit, self._csrf_key, self._clock = backchannel, auditor, csrf_key, clock

    def csrf_token(self, session_id: str) -> str:
        """The forms' token for the browser holding ``session_id``; unknowable without the server key."""
        message = b"account-sessions\x00" + session_id.encode()
        return hmac.new(self._csrf_key, message, hashlib.sha256).hexdigest()

    def csrf_ok(self, session_id: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token(session_id), token)

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

    async def end_others(self, subject: str, current: str, context: AuditContext, *, via: str) -> int:
        ended = []
        for session in await self._sessions.sessions_of(subject):
            if session.id != current and (gone := await self._sessions.end_by_id(session.id)) is not None:
                ended.append(gone)
        await self.terminate(ended, context, by=subject, via=via)
        return len(ended)

    async def terminate(self, ended: list[SsoSession], context: AuditContext, *, by: str, via: str) -> None:
        """After the store ended ``ended``: revoke their refresh families, audit, tell their clients."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        for session in ended:
            revoked = await self._revoke(session.id, now)
            await self._audit.record(
                Event.SESSION_ENDED,
                context,
                outcome=SUCCESS,
                subject_id=session.subject,
                details={
                    "session": session.id,
                    "by": by,
                    "via": via,
                    "refresh_families": revoked,
                    "clients": list(session.clients),
                },
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
