from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.storage.sql.migrate import (
    current_revisions,
    downgrade,
    head_revisions,
    is_current,
    script_location,
    upgrade,
)
from frmr_sso.storage.sql.tables import metadata

REPO = Path(__file__).resolve().parents[4]


def _schema(conn: Connection) -> dict[str, dict[str, Any]]:
    inspector = sa.inspect(conn)
    schema = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": {i["name"] for i in inspector.get_indexes(table) if not i.get("unique")},
            "unique": {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)},
        }
    return schema


def _declared() -> dict[str, dict[str, Any]]:
    schema = {}
    for table in metadata.sorted_tables:
        unique = {
            tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, sa.UniqueConstraint)
        }
        schema[table.name] = {
            "columns": {c.name: c.nullable for c in table.columns},
            "primary_key": [c.name for c in table.primary_key.columns],
            "indexes": {i.name for i in table.indexes},
            "unique": unique,
        }
    return schema


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    differences: list[Any] = compare_metadata(context, metadata)
    return differences


@pytest.fixture
async def empty_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()


async def test_head_creates_exactly_the_declared_tables(
    empty_database_url: str, empty_engine: AsyncEngine
) -> None:
    await asyncio.to_thread(upgrade, empty_database_url)
    async with empty_engine.connect() as conn:
        actual = await conn.run_sync(_schema)
        differences = await conn.run_sync(_differences)
    assert actual == _declared()
    assert set(actual) == {
        "clients",
        "signing_keys",
        "subjects",
        "subject_links",
        "audit_events",
        "refresh_families",
        "refresh_tokens",
        "frmr_persons",
        "frmr_employments",
        "frmr_documents",
        "frmr_education",
        "frmr_postgraduate",
        "frmr_courses",
        "frmr_certificates",
        "frmr_accreditations",
        "frmr_categories",
        "totp_credentials",
        "recovery_codes",
        "passkeys",
        "statements",
        "statement_signers",
        "change_requests",
        "change_request_documents",
        "support_requests",
        "consents",
    }
    assert differences == []


async def test_is_current_follows_upgrade_and_downgrade(
    empty_database_url: str, empty_engine: AsyncEngine
) -> None:
    assert await current_revisions(empty_engine) == frozenset()
    assert await is_current(empty_engine) is False
    await asyncio.to_thread(upgrade, empty_database_url)
    assert await current_revisions(empty_engine) == head_revisions() == frozenset({"0015"})
    assert await is_current(empty_engine) is True
    await asyncio.to_thread(downgrade, empty_database_url, "base")
    assert await is_current(empty_engine) is False
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(_schema) == {}


async def test_upgrade_twice_changes_nothing(migrated_database_url: str, engine: AsyncEngine) -> None:
    await asyncio.to_thread(upgrade, migrated_database_url)
    assert await is_current(engine) is True


async def test_upgrade_called_on_the_event_loop_thread_is_refused(empty_database_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match=r"asyncio\.to_thread"):
            upgrade(empty_database_url)


def test_migrations_come_from_the_source_tree() -> None:
    assert script_location() == REPO / "migrations"


async def test_alembic_command_line_takes_the_url_from_x_argument(
    empty_database_url: str, empty_engine: AsyncEngine
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"), "-x", f"url={empty_database_url}",
        "upgrade", "head",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert await is_current(empty_engine) is True
