"""The brokered login: ``authorize`` (start or reuse a session) and ``callback`` (finish it).

    /authorize ─ invalid client/redirect_uri ─────────────▶ FailurePage(invalid_request)
               ─ other invalid request ───────────────────▶ Redirect(error, state, iss)
               ─ SSO session fits prompt/max_age ─────────▶ Redirect(code), or the consent page
               ─ prompt=none ─────────────────────────────▶ Redirect(login_required)
               ─ several upstreams, no idp_hint ──────────▶ ChooseUpstream
               ─ else open a transaction ─────────────────▶ Redirect(upstream, frmr_sso_tx)
    /callback/{name} ─ no transaction for state+browser ──▶ FailurePage(stale_login)
                     ─ upstream / mapping failure ────────▶ FailurePage(...) or Redirect(access_denied)
                     ─ success: subject, session, code ───▶ Redirect(code, frmr_sso_session)

Before a code goes to a third-party client the person's consent is checked
(``login.consent``): a code, the consent page, or ``consent_required`` under
``prompt=none``.

A login always creates a new session; the one the browser had ends through
``SessionManager.end_replaced`` (see there: revoked, audited, announced by
back-channel logout), right after the new one exists, or after the second
factor when one is asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.identity.snils import Snils
from frmr_sso.login import mapping
from frmr_sso.login.consent import ConsentGate
from frmr_sso.login.failures import FailureMapper
from frmr_sso.login.outcomes import ChooseUpstream, Failure, FailurePage, Outcome, Redirect, UpstreamChoice
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore, SsoSession
from frmr_sso.login.transaction import LoginTransactions, is_browser_binding, new_browser_binding
from frmr_sso.login.upstream_logout import UPSTREAM_ID_TOKEN
from frmr_sso.oauth import codes
from frmr_sso.oauth.authorization import (
    AuthorizationRequest,
    authorization_response,
    error_redirect,
    validate_authorization_request,
)
from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.oauth.consent import ConsentDecision
from frmr_sso.oauth.errors import OAuthError
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.oauth.privileged import PERSON_KEY, RoleLookup, privileged
from frmr_sso.oauth.request import OAuthRequest
from frmr_sso.oidc.claims import SCOPE_CLAIMS
from frmr_sso.second_factor.policy import CONFIRMED_ACR, SecondFactorGate
from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.ports import KeyValueStore, SubjectRepository
from frmr_sso.upstream.base import Connector, UpstreamIdentity
from frmr_sso.upstream.errors import UpstreamFailure


@dataclass(frozen=True, slots=True)
class LoginSettings:
    issuer: str
    code_ttl: int
    snils_key: bytes
    # keys of SNILS hashes stored before (a previous secret key, an earlier derivation):
    # recognised, then re-keyed at the person's next login
    earlier_snils_keys: tuple[bytes, ...] = ()


class LoginService:
    def __init__(
        self,
        settings: LoginSettings,
        *,
        clients: ClientLookup,
        connectors: Mapping[str, Connector],
        transactions: LoginTransactions,
        sessions: SessionStore,
        session_manager: SessionManager,
        registry: mapping.PersonLookup,
        subjects: SubjectRepository,
        kv: KeyValueStore,
        auditor: Auditor,
        clock: Callable[[], float] = time.time,
        second_factor: SecondFactorGate | None = None,
        roles: RoleLookup | None = None,
        consent: ConsentGate | None = None,
    ) -> None:
        self.settings = settings
        self._clients, self._connectors = clients, connectors
        self._transactions, self._sessions, self._manager = transactions, sessions, session_manager
        self._registry, self._subjects, self._kv = registry, subjects, kv
        self._audit, self._clock = auditor, clock
        self._second_factor = second_factor
        self._roles = roles
        self._consent = consent
        self._failures = FailureMapper(settings.issuer, auditor)

    def callback_uri(self, connector: str) -> str:
        return f"{self.settings.issuer}/callback/{connector}"

    async def authorize(
        self, request: OAuthRequest, *, session_cookie: str | None, browser_cookie: str | None,
        context: AuditContext,
    ) -> Outcome:
        try:
            req = await validate_authorization_request(request, self._clients)
        except OAuthError as exc:
            return await self._failures.invalid_request(exc, context)
        session = await self._sessions.get(session_cookie)
        if session is not None and req.accepts_session(session.auth_time, int(self._clock())):
            return await self._from_session(req, session, context, browser_cookie)
        if "none" in req.prompt:
            await self._audit.record(Event.LOGIN_REQUIRED, context, outcome=FAILURE, client_id=req.client_id)
            return Redirect(error_redirect(req.login_required(), issuer=self.settings.issuer))
        return await self._start(req, browser_cookie, context)

    async def callback(
        self, name: str, params: Mapping[str, str], *, browser_cookie: str | None,
        session_cookie: str | None, context: AuditContext,
    ) -> Outcome:
        connector = self._connectors.get(name)
        tx = None
        if connector is not None:
            tx = await self._transactions.consume(params.get("state"), browser_cookie, connector=name)
        client = None if tx is None else await self._clients(tx.request["client_id"])
        if connector is None or tx is None or client is None:
            details = {"connector": name, "cookie": browser_cookie is not None}
            await self._audit.record(Event.STALE_TRANSACTION, context, outcome=FAILURE, details=details)
            return FailurePage(Failure.STALE_LOGIN, 400)
        req = AuthorizationRequest.from_dict(tx.request, client)
        identity: UpstreamIdentity | None = None
        try:
            identity = await connector.complete(
                params=params, expected_state=tx.state, nonce=tx.nonce,
                code_verifier=tx.code_verifier, redirect_uri=self.callback_uri(name),
            )
            person = await mapping.find_person(identity, self._registry)
            mapping.check_rights(req, person.roles)
            earlier = [mapping.snils_hash(identity.snils, k) for k in self.settings.earlier_snils_keys]
            found = await self._subjects.for_login(
                mapping.link_key(identity, connector.kind), connector=name,
                snils_hash=mapping.snils_hash(identity.snils, self.settings.snils_key),
                earlier_snils_hashes=earlier,
            )
        except UpstreamFailure as exc:
            return await self._failures.upstream(exc, req, context, connector=connector)
        except (mapping.MappingFailure, StorageConflict) as exc:
            assert identity is not None  # both follow a completed upstream login
            return await self._failures.identity(exc, req, tx, identity, context, connector=connector)
        subject = found.subject
        if found.linked:
            await self._audit.record(
                Event.SUBJECT_LINKED, context, outcome=SUCCESS, client_id=req.client_id,
                subject_id=subject.id, snils=identity.snils, details={"connector": name},
            )
        now = int(self._clock())
        today = datetime.fromtimestamp(now, UTC).date()
        draft = SsoSession(
            id="", subject=subject.id, connector=name, auth_time=identity.auth_time or now,
            created_at=now, last_seen=now, acr=CONFIRMED_ACR, amr=identity.amr, roles=person.roles,
            claims=mapping.claims_snapshot(identity, person, today)
            | ({UPSTREAM_ID_TOKEN: identity.id_token} if identity.id_token else {}),
            ip=context.ip, user_agent=context.user_agent,
        )
        previous = await self._sessions.get(session_cookie)
        replacing = previous.id if previous else None
        gate = self._second_factor
        if gate is not None and await gate.required(req, subject.id, person.roles):
            return await gate.begin(req, draft, browser=browser_cookie, context=context, replacing=replacing)
        snils = identity.snils
        return await self.complete(req, draft, context=context, replacing=replacing, snils=snils)

    async def complete(
        self, req: AuthorizationRequest, draft: SsoSession, *, context: AuditContext,
        replacing: str | None = None, snils: Snils | None = None, details: Mapping[str, Any] | None = None,
    ) -> Redirect:
        """Create the session of a finished login (also after the second factor) and send the code.

        ``replacing`` is the id of the browser's live session (its cookie checked by the caller),
        whoever it belongs to: it ends through ``SessionManager.end_replaced`` once the new session
        exists, so its refresh families are revoked and its clients told by back-channel logout,
        for another person (a shared workstation) and for the same person alike, whose old sid is
        gone all the same.
        """
        session, cookie = await self._sessions.create(draft)
        replaced = None
        if replacing is not None:
            replaced = await self._manager.end_replaced(replacing, session, context)
        extra = {"replaced": replaced.id} if replaced is not None else {}
        await self._audit.record(
            Event.LOGIN_SUCCESS, context, outcome=SUCCESS, client_id=req.client_id,
            subject_id=session.subject, snils=snils,
            details={"connector": session.connector, "amr": list(session.amr), "session": session.id,
                     **extra, **(details or {})},
        )
        location, _ = await self._deliver(req, session, context, reused=False)
        return Redirect(location, session_cookie=cookie)

    async def _from_session(
        self, req: AuthorizationRequest, session: SsoSession, context: AuditContext, browser: str | None
    ) -> Outcome:
        try:
            mapping.check_rights(req, await self._current_roles(req, session))
        except mapping.InsufficientRights as exc:
            return await self._failures.rights(exc, req, session.subject, context)
        if self._second_factor is not None and self._second_factor.needs_step_up(req, session):
            return await self._second_factor.step_up(req, session, browser=browser, context=context)
        location, issued = await self._deliver(req, session, context, reused=True)
        if issued:
            await self._audit.record(
                Event.SSO_REUSED, context, outcome=SUCCESS, client_id=req.client_id,
                subject_id=session.subject, details={"session": session.id, "connector": session.connector},
            )
        return Redirect(location)

    async def _deliver(
        self, req: AuthorizationRequest, session: SsoSession, context: AuditContext, *, reused: bool
    ) -> tuple[str, bool]:
        """Where the browser goes with a live session: the code (True), or the consent page or
        ``consent_required`` (False) when a third-party client lacks the person's consent."""
        gate = self._consent
        decision = ConsentDecision.GRANTED if gate is None else await gate.decide(req, session.subject)
        if gate is not None and decision is ConsentDecision.ASK:
            return await gate.ask(req, session, context, reused=reused), False
        if gate is not None and decision is ConsentDecision.REQUIRED:
            return await gate.refuse(req, session.subject, context), False
        return await self.issue_code(req, session), True

    async def issue_code(self, req: AuthorizationRequest, session: SsoSession) -> str:
        """The authorization response carrying a new code for ``session`` (also after consent)."""
        code = await self._issue(req, session)
        return authorization_response(req, code, issuer=self.settings.issuer)

    async def _current_roles(self, req: AuthorizationRequest, session: SsoSession) -> tuple[str, ...]:
        """The person's FRMR roles now, when the request asks for a privileged scope; else the login's."""
        frmr_id = session.claims.get(PERSON_KEY)
        if not privileged(req.requested_scope) or self._roles is None or not isinstance(frmr_id, str):
            return session.roles
        return await self._roles(frmr_id) or ()

    async def _start(self, req: AuthorizationRequest, browser: str | None, context: AuditContext) -> Outcome:
        if not self._connectors:
            await self._audit.record(Event.NO_UPSTREAM, context, outcome=FAILURE, client_id=req.client_id)
            return FailurePage(Failure.NO_UPSTREAM, 503)
        connector = self._pick(req.idp_hint)
        if connector is None:
            await self._audit.record(Event.UPSTREAM_CHOOSER, context, client_id=req.client_id)
            choices = (UpstreamChoice(c.name, c.display_name) for c in self._connectors.values())
            return ChooseUpstream(tuple(choices))
        if browser is None or not is_browser_binding(browser):
            browser = new_browser_binding()
        tx = await self._transactions.open(
            connector=connector.name, request=req.to_dict(), browser=browser, pkce=connector.kind == "oidc"
        )
        try:
            url = await connector.authorization_url(
                state=tx.state, nonce=tx.nonce, code_verifier=tx.code_verifier,
                redirect_uri=self.callback_uri(connector.name),
            )
        except UpstreamFailure as exc:
            return await self._failures.upstream(exc, req, context, connector=connector)
        await self._audit.record(
            Event.LOGIN_STARTED, context, client_id=req.client_id, details={"connector": connector.name}
        )
        return Redirect(url, browser_cookie=browser)

    def _pick(self, hint: str | None) -> Connector | None:
        if hint is not None and hint in self._connectors:
            return self._connectors[hint]
        if len(self._connectors) == 1:
            return next(iter(self._connectors.values()))
        return None

    async def _issue(self, req: AuthorizationRequest, session: SsoSession) -> str:
        released = {name for scope in req.scope for name in SCOPE_CLAIMS.get(scope, ())}
        if privileged(req.scope):  # a refresh looks the person's roles up again by it
            released.add(PERSON_KEY)
        grant = CodeGrant.for_request(
            req, subject=session.subject, auth_time=session.auth_time,
            claims={k: v for k, v in session.claims.items() if k in released},
            acr=session.acr, amr=session.amr, session_id=session.id,
        )
        await self._sessions.add_client(session.id, req.client_id)  # for back-channel logout
        return await codes.issue(self._kv, grant, ttl=self.settings.code_ttl)
