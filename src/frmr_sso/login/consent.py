"""Consent of a person to a third-party client, as the login use case meets it.

``ConsentGate.decide`` applies the rule of ``oauth.consent`` to what the person allowed
before (``ConsentRepository``). When the page is needed, ``ask`` keeps the request as a
``PendingConsent`` in the KV store (bound to the SSO session that will receive the code,
for ``ttl`` seconds) and sends the browser to ``/login/consent?id=…``.

    GET  /login/consent?id ─ unknown, expired, another session ──▶ FailurePage(stale_login)
                           ─ else ───────────────────────────────▶ ConsentForm
    POST /login/consent    ─ wrong CSRF, unknown, another session ▶ FailurePage(stale_login)
                           ─ «Разрешить» ───▶ consent remembered, audited; Redirect(code)
                           ─ «Отказать» ────▶ audited; Redirect(error=access_denied, state, iss)

The form's CSRF token is the broker's (``security.csrf``, form kind ``consent``), bound to
the browser's SSO session; ``ConsentStep`` takes the two functions from the composition root.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.login.session_store import SessionStore, SsoSession
from frmr_sso.oauth.authorization import AuthorizationRequest, error_redirect
from frmr_sso.oauth.consent import ConsentDecision, decide
from frmr_sso.oauth.errors import AccessDenied, ConsentRequired
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.storage.ports import ConsentRepository, KeyValueStore

PAGE_PATH = "/login/consent"
_PREFIX = "login:consent:"
DEFAULT_TTL = 600


@dataclass(frozen=True, slots=True)
class PendingConsent:
    id: str
    session_id: str
    subject: str
    request: dict[str, Any]
    """``AuthorizationRequest.to_dict()`` of the request waiting for the answer."""
    expires_at: int
    reused: bool = False
    """The code goes to a live SSO session (not a login just finished): a sign-in of its own once allowed."""


@dataclass(frozen=True, slots=True)
class ConsentForm:
    pending_id: str
    csrf: str
    client_name: str
    scopes: tuple[str, ...]


class ConsentGate:
    def __init__(
        self, consents: ConsentRepository, kv: KeyValueStore, *, issuer: str, auditor: Auditor,
        ttl: int = DEFAULT_TTL, clock: Callable[[], float] = time.time,
    ) -> None:
        self.consents, self._kv, self.issuer = consents, kv, issuer
        self._audit, self.ttl, self._clock = auditor, ttl, clock

    async def decide(self, req: AuthorizationRequest, subject: str) -> ConsentDecision:
        if req.client.first_party:
            return ConsentDecision.GRANTED
        known = await self.consents.get(subject, req.client_id)
        allowed = None if known is None else known.scopes
        return decide(first_party=False, scope=req.scope, allowed=allowed, prompt=req.prompt)

    async def ask(
        self, req: AuthorizationRequest, session: SsoSession, context: AuditContext, *, reused: bool = False
    ) -> str:
        """Keep the request until the person answers; the consent page's URL."""
        now = int(self._clock())
        pending = PendingConsent(
            id=secrets.token_urlsafe(24), session_id=session.id, subject=session.subject,
            request=req.to_dict(), expires_at=now + self.ttl, reused=reused,
        )
        await self._kv.set(_PREFIX + pending.id, json.dumps(asdict(pending)), ttl=self.ttl)
        await self._audit.record(
            Event.CONSENT_REQUESTED, context, client_id=req.client_id, subject_id=session.subject,
            details={"scope": list(req.scope), "prompt": "consent" in req.prompt or None},
        )
        return f"{self.issuer}{PAGE_PATH}?{urlencode({'id': pending.id})}"

    async def refuse(self, req: AuthorizationRequest, subject: str, context: AuditContext) -> str:
        """``prompt=none`` and no consent: ``consent_required`` back to the client."""
        await self._audit.record(
            Event.CONSENT_REQUIRED, context, outcome=FAILURE, client_id=req.client_id, subject_id=subject,
            details={"scope": list(req.scope)},
        )
        error = req.redirect_error(ConsentRequired, "the person has not consented to this client")
        return error_redirect(error, issuer=self.issuer)

    async def pending(self, pending_id: str | None, *, take: bool = False) -> PendingConsent | None:
        if not _well_formed(pending_id) or pending_id is None:
            return None
        key = _PREFIX + pending_id
        raw = await (self._kv.get_and_delete(key) if take else self._kv.get(key))
        if raw is None:
            return None
        pending = PendingConsent(**json.loads(raw))
        return pending if pending.expires_at > int(self._clock()) else None


def _well_formed(pending_id: str | None) -> bool:
    return (
        pending_id is not None
        and 16 <= len(pending_id) <= 64
        and pending_id.replace("-", "").replace("_", "").isalnum()
    )


class ConsentStep:
    """The consent page as a use case: show what the client asks for, then allow or refuse."""

    def __init__(
        self, *, gate: ConsentGate, sessions: SessionStore, clients: ClientLookup,
        issue: Callable[[AuthorizationRequest, SsoSession], Awaitable[str]],
        csrf_token: Callable[[str], str], csrf_ok: Callable[[str, str | None], bool],
        auditor: Auditor, clock: Callable[[], float] = time.time,
    ) -> None:
        self._gate, self._sessions, self._clients, self._issue = gate, sessions, clients, issue
        self._csrf_token, self._csrf_ok, self._audit, self._clock = csrf_token, csrf_ok, auditor, clock

    async def page(
        self, pending_id: str | None, session_cookie: str | None, context: AuditContext
    ) -> ConsentForm | FailurePage:
        found = await self._open(pending_id, session_cookie)
        if found is None:
            return await self._stale(context, "page")
        pending, session, req = found
        return ConsentForm(pending.id, self._csrf_token(session.id), req.client.name, req.scope)

    async def answer(
        self, pending_id: str | None, csrf: str | None, allow: bool, session_cookie: str | None,
        context: AuditContext,
    ) -> Redirect | FailurePage:
        found = await self._open(pending_id, session_cookie)
        if found is None or not self._csrf_ok(found[1].id, csrf):
            return await self._stale(context, "answer")
        pending, session, req = found
        if await self._gate.pending(pending.id, take=True) is None:  # one answer, however many race
            return await self._stale(context, "answer")
        details = {"scope": list(req.scope), "session": session.id}
        if not allow:
            await self._audit.record(
                Event.CONSENT_DENIED, context, outcome=FAILURE, client_id=req.client_id,
                subject_id=session.subject, details=details,
            )
            error = req.redirect_error(AccessDenied, "the person refused consent")
            return Redirect(error_redirect(error, issuer=self._gate.issuer))
        now = datetime.fromtimestamp(self._clock(), UTC)
        record = await self._gate.consents.grant(session.subject, req.client_id, req.scope, at=now)
        await self._audit.record(
            Event.CONSENT_GRANTED, context, outcome=SUCCESS, client_id=req.client_id,
            subject_id=session.subject, details={**details, "allowed": list(record.scopes)},
        )
        location = await self._issue(req, session)
        if pending.reused:  # the sign-in by the live session happens now (a fresh login was audited already)
            await self._audit.record(
                Event.SSO_REUSED, context, outcome=SUCCESS, client_id=req.client_id,
                subject_id=session.subject, details={"session": session.id, "connector": session.connector},
            )
        return Redirect(location)

    async def _open(
        self, pending_id: str | None, session_cookie: str | None
    ) -> tuple[PendingConsent, SsoSession, AuthorizationRequest] | None:
        pending = await self._gate.pending(pending_id)
        if pending is None:
            return None
        session = await self._sessions.get(session_cookie)
        client = await self._clients(pending.request["client_id"])
        if session is None or session.id != pending.session_id or client is None:
            return None
        return pending, session, AuthorizationRequest.from_dict(pending.request, client)

    async def _stale(self, context: AuditContext, where: str) -> FailurePage:
        await self._audit.record(
            Event.STALE_TRANSACTION, context, outcome=FAILURE, details={"consent": where}
        )
        return FailurePage(Failure.STALE_LOGIN, 400)
