"""Backend selection for the whole suite.

The suite runs twice (see scripts/test.sh): once on the embedded stores
(SQLite + in-process KV) and once on PostgreSQL + Redis, chosen by
``FRMR_SSO_TEST_DATABASE_URL`` and ``FRMR_SSO_TEST_REDIS_URL``. Every test that
asks for a database gets a fresh one of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, settings

from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore
from tests.support.databases import Databases, PostgresDatabases, SqliteDatabases

REDIS_URL = os.environ.get("FRMR_SSO_TEST_REDIS_URL") or None
SERVER_URL = os.environ.get("FRMR_SSO_TEST_DATABASE_URL") or None
BACKEND = "postgresql+redis" if SERVER_URL and REDIS_URL else "sqlite+memory"
# Property tests check what is computed, never how fast: speed is measured by bench/. A per-example
# deadline would only fail on a busy machine.
settings.register_profile("frmr-sso", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("frmr-sso")


def pytest_report_header() -> str:
    return f"frmr-sso store backend: {BACKEND}"


@pytest.fixture(scope="session")
def backend() -> str:
    return BACKEND


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return REDIS_URL


@pytest.fixture
async def kv() -> AsyncIterator[KeyValueStore]:
    """A KV store of the configured backend, under a key prefix of its own."""
    store = open_kv(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    yield store
    await store.close()


@pytest.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Databases]:
    factory: Databases
    if SERVER_URL:
        factory = PostgresDatabases(SERVER_URL)
    else:
        factory = SqliteDatabases(tmp_path_factory.mktemp("databases"))
    yield factory
    await factory.close()


@pytest.fixture(scope="session")
def sql_dialect() -> str:
    return "postgresql" if SERVER_URL else "sqlite"


@pytest.fixture
async def empty_database_url(databases: Databases) -> AsyncIterator[str]:
    """A database of the configured backend with no tables at all."""
    url = await databases.empty()
    yield url
    await databases.drop(url)


@pytest.fixture
async def migrated_database_url(databases: Databases) -> AsyncIterator[str]:
    """A fresh database of the configured backend at the migration head."""
    url = await databases.migrated()
    yield url
    await databases.drop(url)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh, empty database of the configured backend (apply migrations yourself)."""
    return empty_database_url
