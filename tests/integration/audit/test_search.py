"""Audit search and export pages on both backends; index use on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.query import export
from frmr_sso.storage.ports import AuditFilter
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.audit import search_statement
from tests.integration.audit.support import NOW, event

SUBJECT_A, SUBJECT_B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"


@pytest.fixture
async def repo(engine: AsyncEngine) -> SqlAuditRepository:
    repo = SqlAuditRepository(engine)
    for n in range(30):
        await repo.append(
            event(
                n,
                age=timedelta(hours=30 - n),
                subject_id=SUBJECT_A if n % 2 else SUBJECT_B,
                client_id="emr" if n % 3 == 0 else "demo-web",
                event_type="login.success" if n % 5 else "login.no_frmr_record",
                ip="198.51.100.9" if n < 10 else "2001:db8::1",
            )
        )
    return repo


async def _ns(repo: SqlAuditRepository, where: AuditFilter, **page: int) -> list[int]:
    return [r.details["n"] for r in await repo.search(where, **page)]


async def test_each_filter_and_their_combination(repo: SqlAuditRepository) -> None:
    assert await _ns(repo, AuditFilter(subject_id=SUBJECT_A)) == list(range(1, 30, 2))
    assert await _ns(repo, AuditFilter(client_id="emr")) == list(range(0, 30, 3))
    assert await _ns(repo, AuditFilter(event_type="login.no_frmr_record")) == [0, 5, 10, 15, 20, 25]
    assert await _ns(repo, AuditFilter(ip="2001:db8::1")) == list(range(10, 30))
    window = AuditFilter(occurred_from=NOW - timedelta(hours=20), occurred_to=NOW - timedelta(hours=17))
    assert await _ns(repo, window) == [10, 11, 12]
    assert await _ns(repo, AuditFilter(subject_id=SUBJECT_B, client_id="emr")) == [0, 6, 12, 18, 24]
    every = AuditFilter(
        subject_id=SUBJECT_B, client_id="emr", event_type="login.no_frmr_record", ip="198.51.100.9"
    )
    assert await _ns(repo, every) == [0]
    assert await _ns(repo, AuditFilter(subject_id="nobody")) == []


async def test_keyset_pages(repo: SqlAuditRepository) -> None:
    first = list(await repo.search(AuditFilter(subject_id=SUBJECT_A), limit=4))
    assert [r.details["n"] for r in first] == [1, 3, 5, 7]
    assert first[-1].id is not None
    assert await _ns(repo, AuditFilter(subject_id=SUBJECT_A), after_id=first[-1].id, limit=3) == [9, 11, 13]


async def test_export_walks_every_page(repo: SqlAuditRepository) -> None:
    exported = [r.details["n"] async for r in export(repo, AuditFilter(client_id="demo-web"), page=4)]
    assert exported == [n for n in range(30) if n % 3]


async def _plan(engine: AsyncEngine, where: AuditFilter) -> str:
    stmt = search_statement(where, after_id=0, limit=100)
    compiled = stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        rows = (await conn.execute(sa.text(f"EXPLAIN {compiled}"))).scalars().all()
    return "\n".join(rows)


@pytest.fixture
def postgres(sql_dialect: str) -> None:
    if sql_dialect != "postgresql":
        pytest.skip("index use is checked on PostgreSQL")


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize(
    ("where", "index"),
    [
        (AuditFilter(subject_id=SUBJECT_A), "ix_audit_events_subject_id"),
        (AuditFilter(occurred_from=NOW - timedelta(days=9), occurred_to=NOW), "ix_audit_events_occurred_at"),
    ],
)
async def test_indexed_filters_use_their_index(
    repo: SqlAuditRepository, where: AuditFilter, index: str
) -> None:
    assert index in await _plan(repo._engine, where)


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize(
    ("where", "index"),
    [
        (AuditFilter(client_id="emr"), "ix_audit_events_client_id_id"),
        (AuditFilter(event_type="x"), "ix_audit_events_event_type_id"),
        (AuditFilter(ip="::1"), "ix_audit_events_ip_id"),
    ],
)
async def test_client_event_and_ip_filters_use_their_index(
    repo: SqlAuditRepository, where: AuditFilter, index: str
) -> None:
    plan = await _plan(repo._engine, where)
    assert index in plan, plan
