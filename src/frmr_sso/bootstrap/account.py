"""Wiring of the person's consents and login history (the consent page, the account APIs)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.login_history import LoginHistory
from frmr_sso.login.consent import ConsentGate, ConsentStep
from frmr_sso.login.consents import AccountConsents
from frmr_sso.login.service import LoginService
from frmr_sso.login.session_store import SessionStore
from frmr_sso.oauth.ports import ClientLookup
from frmr_sso.security.csrf import CsrfTokens, FormKind
from frmr_sso.storage.ports import KeyValueStore, RefreshTokenRepository
from frmr_sso.storage.sql.account import SqlConsentRepository, SqlPersonAuditReader


def build_consent_gate(
    engine: AsyncEngine, kv: KeyValueStore, *, issuer: str, auditor: Auditor
) -> ConsentGate:
    return ConsentGate(SqlConsentRepository(engine), kv, issuer=issuer, auditor=auditor)


def build_consent_step(
    gate: ConsentGate, *, login: LoginService, sessions: SessionStore, clients: ClientLookup,
    csrf: CsrfTokens, auditor: Auditor,
) -> ConsentStep:
    """The consent form carries the broker's CSRF token of its own kind, bound to the SSO session."""
    return ConsentStep(
        gate=gate, sessions=sessions, clients=clients, issue=login.issue_code,
        csrf_token=partial(csrf.issue, FormKind.CONSENT), csrf_ok=partial(csrf.valid, FormKind.CONSENT),
        auditor=auditor,
    )


def build_account_consents(
    gate: ConsentGate, *, clients: ClientLookup, refresh: RefreshTokenRepository, auditor: Auditor
) -> AccountConsents:
    async def revoke_grants(subject: str, client_id: str, at: datetime) -> int:
        return await refresh.revoke_client_grants(subject, client_id, reason="consent_revoked", at=at)

    return AccountConsents(gate.consents, clients=clients, revoke_grants=revoke_grants, auditor=auditor)


def build_login_history(engine: AsyncEngine) -> LoginHistory:
    return LoginHistory(SqlPersonAuditReader(engine))
