"""Composition root: settings in, every store and service out. No import-time globals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.config import Settings
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import upgrade

UPSTREAM_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    kv: KeyValueStore
    http: httpx.AsyncClient

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.kv.close()
        await self.engine.dispose()


async def build_container(settings: Settings) -> Container:
    if settings.is_demo:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    return Container(
        settings=settings,
        engine=engine,
        kv=open_kv(settings.redis_url),
        http=httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False),
    )
