"""Composition root: settings in, every store and service out. No import-time globals."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.config import Settings
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.service import LoginService, LoginSettings
from frmr_sso.login.session import SessionStore
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from frmr_sso.oauth.registry import ClientService
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenLifetimes, TokenService
from frmr_sso.oidc.discovery import ProviderMetadata
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.oidc.userinfo import UserInfoService
from frmr_sso.registry.demo import seed_demo_registry
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.services import Security, build_security
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlRegistryRepository,
    SqlSigningKeyRepository,
    SqlSubjectRepository,
)
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import is_current, upgrade
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from frmr_sso.upstream.base import Connector
from frmr_sso.upstream.config import build_connectors, load_upstreams
from frmr_sso.web.metrics import Metrics

log = logging.getLogger(__name__)
UPSTREAM_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
KEY_REFRESH_INTERVAL = 30.0
ID_TOKEN_TTL_FLOOR = 3600  # id_tokens live up to an hour; their key must outlive them
CLOCK_SKEW = 300


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    kv: KeyValueStore
    http: httpx.AsyncClient
    keys: KeyRing
    clients: ClientService
    discovery: ProviderMetadata
    tokens: TokenService
    verifier: KeyLookupVerifier
    introspection: IntrospectionService
    revocation: RevocationService
    registry: SqlRegistryRepository
    subjects: SqlSubjectRepository
    audit: SqlAuditRepository
    metrics: Metrics
    connectors: dict[str, Connector]
    userinfo: UserInfoService
    sessions: SessionStore
    login: LoginService
    logout: LogoutService
    security: Security

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.kv.close()
        await self.engine.dispose()


async def build_container(settings: Settings) -> Container:
    if settings.is_demo:
        await asyncio.to_thread(upgrade, settings.database_url)
    http = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False)
    try:
        connectors = build_upstream_connectors(settings, http)
    except BaseException:
        await http.aclose()
        raise
    engine = create_engine(settings.database_url)
    kv = open_kv(settings.redis_url)
    keys = build_key_ring(settings, engine)
    verifier = KeyLookupVerifier(keys.verification_key, issuer=settings.issuer)
    refresh_repository = SqlRefreshTokenRepository(engine)
    tokens = TokenService(
        issuer=settings.issuer,
        signer=keys,
        refresh_tokens=refresh_repository,
        kv=kv,
        lifetimes=TokenLifetimes.from_settings(settings),
    )
    clients = ClientService(SqlClientRepository(engine))
    registry, subjects = SqlRegistryRepository(engine), SqlSubjectRepository(engine)
    audit = SqlAuditRepository(engine)
    metrics = Metrics()
    auditor = Auditor(audit, observers=[metrics.observe])
    sessions = SessionStore(
        kv, FieldCipher.from_settings(settings, purpose="sso-session"),
        idle_ttl=settings.session_idle_ttl, absolute_ttl=settings.session_absolute_ttl,
    )
    container = Container(
        settings=settings,
        engine=engine,
        kv=kv,
        http=http,
        keys=keys,
        clients=clients,
        discovery=ProviderMetadata.build(settings),
        tokens=tokens,
        verifier=verifier,
        introspection=IntrospectionService(
            issuer=settings.issuer, refresh_tokens=tokens.refresh_tokens, kv=kv, verifier=verifier
        ),
        revocation=RevocationService(refresh_tokens=tokens.refresh_tokens, kv=kv, verifier=verifier),
        registry=registry,
        subjects=subjects,
        audit=audit,
        metrics=metrics,
        connectors=connectors,
        userinfo=UserInfoService(issuer=settings.issuer, verifier=verifier, kv=kv),
        sessions=sessions,
        login=LoginService(
            LoginSettings(issuer=settings.issuer, code_ttl=settings.code_ttl, snils_key=_snils_key(settings)),
            clients=clients.get, connectors=connectors, sessions=sessions, registry=registry,
            transactions=LoginTransactions(kv, ttl=settings.login_transaction_ttl),
            subjects=subjects, kv=kv, auditor=auditor,
        ),
        logout=LogoutService(
            issuer=settings.issuer, clients=clients.get, sessions=sessions, kv=kv,
            key_lookup=keys.verification_key, auditor=auditor,
            revoke_session=lambda sid, at: refresh_repository.revoke_session(sid, reason="logout", at=at),
        ),
        security=build_security(settings, kv, auditor),
    )
    try:
        await _prepare_stored_state(container)
    except StorageError as exc:  # the database is down: start anyway, /health/ready reports it
        log.error("stored state not prepared; keys load on first use", extra={"error": str(exc)})
    except BaseException:
        await container.aclose()
        raise
    return container


def _snils_key(settings: Settings) -> bytes:
    """The HMAC key that turns a SNILS into the subject's lookup hash (never stored in clear)."""
    secret = settings.secret_key.get_secret_value().encode()
    return hashlib.sha256(b"frmr-sso/snils-hash\x00" + secret).digest()


def build_upstream_connectors(settings: Settings, http: httpx.AsyncClient) -> dict[str, Connector]:
    """Connectors of FRMR_SSO_UPSTREAMS_FILE (ESIA first); none when no file is configured."""
    if settings.upstreams_file is None:
        return {}
    cipher = FieldCipher.from_settings(settings, purpose="upstream-tokens")
    return build_connectors(load_upstreams(settings.upstreams_file), http, cipher)


def build_key_ring(settings: Settings, engine: AsyncEngine) -> KeyRing:
    """Keys sealed under FRMR_SSO_SECRET_KEY. Outside the demo several instances may run, so a
    rotated key waits two reload intervals before it signs: by then every instance publishes it."""
    retention = max(settings.access_token_ttl, ID_TOKEN_TTL_FLOOR) + CLOCK_SKEW
    delay = 0.0 if settings.is_demo else 2 * KEY_REFRESH_INTERVAL
    return KeyRing(
        SqlSigningKeyRepository(engine),
        FieldCipher.from_settings(settings, purpose="signing-keys"),
        retention=timedelta(seconds=retention),
        activation_delay=timedelta(seconds=delay),
        refresh_interval=KEY_REFRESH_INTERVAL,
    )


async def _prepare_stored_state(container: Container) -> None:
    """Demo clients, the clients file and signing keys; skipped (readiness says why) without the schema."""
    settings = container.settings
    if not await is_current(container.engine):
        log.error("database schema is not current: run `frmr-sso migrate`; signing keys not loaded")
        return
    if settings.is_demo:
        await container.clients.seed_demo_clients()
        await seed_demo_registry(container.registry)
    if settings.clients_file is not None:
        await container.clients.load_yaml(settings.clients_file)
    await container.keys.ensure_keys()
