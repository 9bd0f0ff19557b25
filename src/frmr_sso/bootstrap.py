"""Composition root: settings in, every store and service out. No import-time globals."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.config import Settings
from frmr_sso.oauth.registry import ClientService
from frmr_sso.oidc.discovery import ProviderMetadata
from frmr_sso.oidc.keys import KeyRing
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import SqlClientRepository, SqlSigningKeyRepository
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import is_current, upgrade

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

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.kv.close()
        await self.engine.dispose()


async def build_container(settings: Settings) -> Container:
    if settings.is_demo:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    container = Container(
        settings=settings,
        engine=engine,
        kv=open_kv(settings.redis_url),
        http=httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False),
        keys=build_key_ring(settings, engine),
        clients=ClientService(SqlClientRepository(engine)),
        discovery=ProviderMetadata.build(settings),
    )
    try:
        await _prepare_stored_state(container)
    except StorageError as exc:  # the database is down: start anyway, /health/ready reports it
        log.error("stored state not prepared; keys load on first use", extra={"error": str(exc)})
    except BaseException:
        await container.aclose()
        raise
    return container


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
    if settings.clients_file is not None:
        await container.clients.load_yaml(settings.clients_file)
    await container.keys.ensure_keys()
