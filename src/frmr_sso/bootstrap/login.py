"""The composition root's login area: SSO sessions, the login and logout use cases, the second factor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.bootstrap.account import build_consent_gate, build_consent_step
from frmr_sso.bootstrap.security import namespace
from frmr_sso.config import Settings
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.consent import ConsentGate, ConsentStep
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.service import LoginService, LoginSettings
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.login.upstream_logout import UpstreamLogout
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.registry.record_cache import CachedRegistry
from frmr_sso.second_factor.ceremony import RelyingParty
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.enrolment import AccountSecondFactor
from frmr_sso.second_factor.login_step import SecondFactorStep
from frmr_sso.second_factor.passkey_account import AccountPasskeys
from frmr_sso.second_factor.passkey_login import PasskeyLoginStep
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.second_factor.policy import PendingLogins, SecondFactorGate, SecondFactorPolicy
from frmr_sso.security.crypto import FieldCipher, SecretKeys
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import (
    SqlPasskeyRepository,
    SqlSecondFactorRepository,
    SqlSubjectRepository,
)
from frmr_sso.upstream.base import Connector

RevokeSession = Callable[[str, datetime], Awaitable[int]]


@dataclass
class LoginArea:
    sessions: SessionStore
    account_sessions: SessionManager
    login: LoginService
    logout: LogoutService
    second_factor: SecondFactorStep
    totp: TotpCredentials
    account_second_factor: AccountSecondFactor
    passkeys: Passkeys
    passkey_login: PasskeyLoginStep
    account_passkeys: AccountPasskeys
    consent_gate: ConsentGate
    consent: ConsentStep


def build_login_area(
    settings: Settings, *, engine: AsyncEngine, kv: KeyValueStore, http: httpx.AsyncClient, keys: KeyRing,
    clients: ClientService, connectors: dict[str, Connector], registry: CachedRegistry,
    subjects: SqlSubjectRepository, security: Security, auditor: Auditor, revoke_session: RevokeSession,
) -> LoginArea:
    sessions = SessionStore(
        kv, FieldCipher.from_settings(settings, purpose="sso-session"),
        idle_ttl=settings.session_idle_ttl, absolute_ttl=settings.session_absolute_ttl,
    )
    backchannel = BackchannelLogout(
        issuer=settings.issuer, signer=keys, clients=clients.get, http=http, auditor=auditor,
        allow_http_loopback=settings.is_demo,
    )
    gate, credentials, passkeys = build_second_factor(settings, engine, kv, auditor)
    csrf = CsrfTokens.from_keys(SecretKeys.from_settings(settings))
    account_sessions = SessionManager(
        sessions=sessions, clients=clients.get, revoke_session=revoke_session, backchannel=backchannel,
        auditor=auditor, csrf=csrf,
    )
    consent = build_consent_gate(engine, kv, issuer=settings.issuer, auditor=auditor)
    login = LoginService(
        login_settings(settings),
        clients=clients.get, connectors=connectors, sessions=sessions, session_manager=account_sessions,
        registry=registry, roles=registry.roles_of,
        transactions=LoginTransactions(kv, ttl=settings.login_transaction_ttl),
        subjects=subjects, kv=kv, auditor=auditor, second_factor=gate, consent=consent,
    )
    step = SecondFactorStep(
        pending=gate.pending, credentials=credentials, security=security, clients=clients.get,
        complete=login.complete, auditor=auditor, csrf=csrf, passkeys=passkeys,
    )
    return LoginArea(
        sessions=sessions,
        account_sessions=account_sessions,
        login=login,
        logout=LogoutService(
            issuer=settings.issuer, clients=clients.get, sessions=sessions,
            key_lookup=keys.verification_key, auditor=auditor, csrf=csrf,
            revoke_session=revoke_session, backchannel=backchannel,
            upstream=UpstreamLogout(issuer=settings.issuer, connectors=connectors, kv=kv),
        ),
        second_factor=step,
        totp=credentials,
        account_second_factor=AccountSecondFactor(
            sessions=sessions, credentials=credentials, security=security, kv=kv, auditor=auditor,
            sealer=FieldCipher.from_settings(settings, purpose="second-factor-account"), csrf=csrf,
            enrolled=step.enrolled,
        ),
        passkeys=passkeys,
        passkey_login=PasskeyLoginStep(
            step=step, passkeys=passkeys, security=security, auditor=auditor
        ),
        account_passkeys=AccountPasskeys(
            sessions=sessions, passkeys=passkeys, security=security, kv=kv, auditor=auditor,
            sealer=FieldCipher.from_settings(settings, purpose="second-factor-account"), csrf=csrf,
            enrolled=step.enrolled,
        ),
        consent_gate=consent,
        consent=build_consent_step(
            consent, login=login, sessions=sessions, clients=clients.get, csrf=csrf,
            auditor=auditor,
        ),
    )


def build_second_factor(
    settings: Settings, engine: AsyncEngine, kv: KeyValueStore, auditor: Auditor
) -> tuple[SecondFactorGate, TotpCredentials, Passkeys]:
    """The broker's own second factor: when it is asked (policy), the logins waiting for it, the TOTP
    credentials and the passkeys (relying party: the issuer's host and origin)."""
    pending = PendingLogins(
        kv, FieldCipher.from_settings(settings, purpose="second-factor-pending"),
        ttl=settings.second_factor_pending_ttl,
    )
    policy = SecondFactorPolicy(frozenset(settings.second_factor_roles))
    keys = SecretKeys.from_settings(settings)
    repository = SqlSecondFactorRepository(engine)
    credentials = TotpCredentials(
        repository, kv, keys.cipher("totp"),
        recovery_key=keys.derive_key("recovery-codes"),
        older_recovery_keys=keys.earlier_keys("recovery-codes"),  # codes given out before still count
        namespace=namespace(settings),
    )
    relying_party = RelyingParty.from_issuer(settings.issuer)
    passkeys = Passkeys(SqlPasskeyRepository(engine), kv, relying_party, namespace=namespace(settings))

    # a TOTP secret or a passkey, in one statement
    enrolled = repository.any_enrolled
    gate = SecondFactorGate(policy, pending, issuer=settings.issuer, auditor=auditor, enrolled=enrolled)
    return gate, credentials, passkeys


def login_settings(settings: Settings) -> LoginSettings:
    """With the HMAC key that turns a SNILS into the subject's lookup hash (never stored in clear)."""
    keys = SecretKeys.from_settings(settings)
    return LoginSettings(
        issuer=settings.issuer, code_ttl=settings.code_ttl,
        snils_key=keys.derive_key("snils-hash"), earlier_snils_keys=keys.earlier_keys("snils-hash"),
    )
