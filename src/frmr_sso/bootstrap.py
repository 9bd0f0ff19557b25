"""Composition root: settings in, every store and service out. No import-time globals."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.config import Settings
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from frmr_sso.oauth.registry import ClientService
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenLifetimes, TokenService
from frmr_sso.oidc.discovery import ProviderMetadata
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.registry.demo import seed_demo_registry
from frmr_sso.security.crypto import FieldCipher
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
    connectors: dict[str, Connector]

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.kv.close()
        await self.engine.dispose()


async def build_container(settings: Settings) -> Container:
    if settings.is_demo:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    kv = open_kv(settings.redis_url)
    http = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False)
    keys = build_key_ring(settings, engine)
    verifier = KeyLookupVerifier(keys.verification_key, issuer=settings.issuer)
    tokens = TokenService(
        issuer=settings.issuer,
        signer=keys,
        refresh_tokens=SqlRefreshTokenRepository(engine),
        kv=kv,
        lifetimes=TokenLifetimes.from_settings(settings),
    )
    container = Container(
        settings=settings,
        engine=engine,
        kv=kv,
        http=http,
        keys=keys,
        clients=ClientService(SqlClientRepository(engine)),
        discovery=ProviderMetadata.build(settings),
        tokens=tokens,
        verifier=verifier,
        introspection=IntrospectionService(
            issuer=settings.issuer, refresh_tokens=tokens.refresh_tokens, kv=kv, verifier=verifier
        ),
        revocation=RevocationService(refresh_tokens=tokens.refresh_tokens, kv=kv, verifier=verifier),
        registry=SqlRegistryRepository(engine),
        subjects=SqlSubjectRepository(engine),
        audit=SqlAuditRepository(engine),
        connectors={},
    )
    try:
        container.connectors = build_upstream_connectors(settings, http)
        await _prepare_stored_state(container)
    except StorageError as exc:  # the database is down: start anyway, /health/ready reports it
        log.error("stored state not prepared; keys load on first use", extra={"error": str(exc)})
    except BaseException:
        await container.aclose()
        raise
    return container


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
