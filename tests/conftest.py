"""Backend selection for the whole suite.

The suite runs twice (see scripts/test.sh): once on the embedded stores
(SQLite + in-process KV) and once on PostgreSQL + Redis, chosen by
``FRMR_SSO_TEST_DATABASE_URL`` and ``FRMR_SSO_TEST_REDIS_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore

REDIS_URL = os.environ.get("FRMR_SSO_TEST_REDIS_URL") or None
DATABASE_URL = os.environ.get("FRMR_SSO_TEST_DATABASE_URL") or None
BACKEND = "postgresql+redis" if DATABASE_URL and REDIS_URL else "sqlite+memory"


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


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A database URL of the configured backend (SQLite: a fresh file per test)."""
    if DATABASE_URL:
        return DATABASE_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'frmr_sso.db'}"
