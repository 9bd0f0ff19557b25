"""Throwaway databases, created only by the migrations.

SQLite: the migrations run once per session into a template file and every test
gets a copy. PostgreSQL (``FRMR_SSO_TEST_DATABASE_URL``, a URL of the server):
they run once into a template database and every test gets
``CREATE DATABASE test_<hex> TEMPLATE <template>``, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from frmr_sso.storage.sql.engine import async_url
from frmr_sso.storage.sql.migrate import upgrade


class SqliteDatabases:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._template: Path | None = None

    def _url(self, path: Path) -> str:
        return f"sqlite+aiosqlite:///{path}"

    async def empty(self) -> str:
        return self._url(self._dir / f"test_{uuid.uuid4().hex}.db")

    async def migrated(self) -> str:
        if self._template is None:
            template = self._dir / "template.db"
            await asyncio.to_thread(upgrade, self._url(template))
            self._template = template
        copy = self._dir / f"test_{uuid.uuid4().hex}.db"
        shutil.copyfile(self._template, copy)
        return self._url(copy)

    async def drop(self, url: str) -> None:
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    async def close(self) -> None:
        pass


class PostgresDatabases:
    def __init__(self, server_url: str) -> None:
        self._server = async_url(server_url)
        self._admin = create_async_engine(
            self._server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self._template: str | None = None

    def _url(self, name: str) -> str:
        return self._server.set(database=name).render_as_string(hide_password=False)

    async def _create(self, name: str, template: str = "template0") -> str:
        async with self._admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return self._url(name)

    async def empty(self) -> str:
        return await self._create(f"test_{uuid.uuid4().hex}")

    async def migrated(self) -> str:
        if self._template is None:
            name = f"frmr_sso_template_{uuid.uuid4().hex[:12]}"
            await asyncio.to_thread(upgrade, await self._create(name))
            self._template = name
        return await self._create(f"test_{uuid.uuid4().hex}", self._template)

    async def drop(self, url: str) -> None:
        name = make_url(url).database
        async with self._admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    async def close(self) -> None:
        if self._template is not None:
            await self.drop(self._url(self._template))
        await self._admin.dispose()


Databases = SqliteDatabases | PostgresDatabases
