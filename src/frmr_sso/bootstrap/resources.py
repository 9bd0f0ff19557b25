"""Shared resources of the composition root: upstream connectors, the key ring, the state stored at start."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.cabinet.mount import demo_cabinet_client
from frmr_sso.cabinet_backend.statements.signing import PdfSigner
from frmr_sso.config import ConfigurationError, Settings
from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.registry.demo import seed_demo_registry
from frmr_sso.registry.record_cache import CachedRegistry
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.storage.sql import SqlSigningKeyRepository
from frmr_sso.storage.sql.migrate import is_current
from frmr_sso.upstream.base import Connector
from frmr_sso.upstream.config import build_connectors, gost_engine, load_upstreams

log = logging.getLogger(__name__)
UPSTREAM_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ID_TOKEN_TTL_FLOOR = 3600  # id_tokens live up to an hour; their key must outlive them
CLOCK_SKEW = 300


def build_upstream_connectors(settings: Settings, http: httpx.AsyncClient) -> dict[str, Connector]:
    """Connectors of FRMR_SSO_UPSTREAMS_FILE (ESIA first); none when no file is configured."""
    if settings.upstreams_file is None:
        return {}
    cipher = FieldCipher.from_settings(settings, purpose="upstream-tokens")
    config = load_upstreams(settings.upstreams_file)
    engine = gost_engine(settings.gost_engine, settings.openssl_command, config)
    return build_connectors(config, http, cipher, gost_engine=engine)


def build_statement_signer(settings: Settings) -> PdfSigner | None:
    """The token's signer of FRMR_SSO_STATEMENT_SIGNER, opened now (a wrong PIN stops the start)."""
    if settings.statement_signer is None:
        return None
    try:
        return PdfSigner.on_token(settings.statement_signer)
    except ValueError as exc:
        raise ConfigurationError(f"FRMR_SSO_STATEMENT_SIGNER: {exc}") from None


def build_key_ring(settings: Settings, engine: AsyncEngine) -> KeyRing:
    """Keys sealed under FRMR_SSO_SECRET_KEY. Outside the demo several instances may run, so a
    rotated key waits two reload intervals before it signs: by then every instance publishes it."""
    retention = max(settings.access_token_ttl, ID_TOKEN_TTL_FLOOR) + CLOCK_SKEW
    delay = 0.0 if settings.is_demo else 2 * settings.key_refresh_interval
    return KeyRing(
        SqlSigningKeyRepository(engine),
        FieldCipher.from_settings(settings, purpose="signing-keys"),
        retention=timedelta(seconds=retention),
        activation_delay=timedelta(seconds=delay),
        refresh_interval=settings.key_refresh_interval,
    )


async def prepare_stored_state(
    settings: Settings, engine: AsyncEngine, clients: ClientService, registry: CachedRegistry,
    keys: KeyRing,
) -> None:
    """Demo clients, the clients file and signing keys; skipped (readiness says why) without the schema."""
    if not await is_current(engine):
        log.error("database schema is not current: run `frmr-sso migrate`; signing keys not loaded")
        return
    if settings.is_demo:
        await clients.seed_demo_clients()
        await clients.save(demo_cabinet_client(settings))
        await seed_demo_registry(registry)
    if settings.clients_file is not None:
        await clients.load_yaml(settings.clients_file, production=not settings.is_demo)
    await keys.ensure_keys()
