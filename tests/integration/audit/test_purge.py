"""Retention purge on both backends: batches, checkpoints, concurrent appends, the trigger."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.retention import AUDIT_PURGED, purge_older_than
from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, audit_chain_hash
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.tables import audit_events
from tests.integration.audit.support import event, seed, tamper, verify

OLD, RECENT = timedelta(days=100), timedelta(days=1)
RETENTION = timedelta(days=30)


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlAuditRepository:
    return SqlAuditRepository(engine)


async def bulk_seed(engine: AsyncEngine, old: int, recent: int) -> None:
    """A valid chain of ``old`` then ``recent`` records in one INSERT (2,500 appends are slow)."""
    rows, prev = [], GENESIS_HASH
    for n in range(old + recent):
        record = event(n, age=OLD if n < old else RECENT)
        digest = audit_chain_hash(record, prev)
        rows.append({
            "occurred_at": record.occurred_at, "event_type": record.event_type, "outcome": record.outcome,
            "ip": record.ip, "user_agent": None, "request_id": None, "client_id": record.client_id,
            "subject_id": record.subject_id, "snils_masked": record.snils_masked, "details": record.details,
            "prev_hash": prev, "hash": digest,
        })
        prev = digest
    async with engine.begin() as conn:
        await conn.execute(audit_events.insert(), rows)


async def _all(repo: SqlAuditRepository) -> list[AuditRecord]:
    return list(await repo.list(limit=100_000))


async def test_purge_half_of_2500_in_batches_while_appends_run(
    repo: SqlAuditRepository, engine: AsyncEngine
) -> None:
    await bulk_seed(engine, 1250, 1250)
    assert (await verify(repo, batch=1000)).intact

    async def appends() -> None:
        for n in range(50):
            await repo.append(event(10_000 + n))
            await asyncio.sleep(0)

    result, _ = await asyncio.gather(purge_older_than(repo, RETENTION, batch=300), appends())
    assert (result.purged, result.batches, result.last_purged_id) == (1250, 5, 1250)

    stored = await _all(repo)
    checkpoints = [r for r in stored if r.event_type == AUDIT_PURGED]
    assert len(stored) == 1250 + 50 + 5
    assert [c.details["purged_count"] for c in checkpoints] == [300, 300, 300, 300, 50]
    assert checkpoints[-1].details["last_purged_id"] == 1250
    assert stored[0].id == 1251
    report = await verify(repo, batch=100)
    assert report.intact, report.broken
    assert report.records == len(stored)
    assert report.checkpoint_id == checkpoints[-1].id


async def test_nothing_old_enough_writes_nothing(repo: SqlAuditRepository) -> None:
    await seed(repo, 5, age=RECENT)
    result = await purge_older_than(repo, RETENTION)
    assert (result.purged, result.batches, result.last_purged_id) == (0, 0, None)
    assert len(await _all(repo)) == 5


async def test_a_second_purge_purges_the_first_checkpoint_and_stays_verifiable(
    repo: SqlAuditRepository,
) -> None:
    await seed(repo, 4, age=OLD)
    await purge_older_than(repo, RETENTION, batch=3)  # two checkpoints, written now
    await seed(repo, 3, age=RECENT)
    assert (await verify(repo)).intact
    second = await purge_older_than(repo, timedelta(0), batch=2)  # everything before this run
    assert second.purged == 2 + 3
    report = await verify(repo)
    assert report.intact, report.broken
    stored = await _all(repo)
    assert all(r.event_type == AUDIT_PURGED for r in stored)


async def test_the_purge_stops_at_the_first_recent_record(repo: SqlAuditRepository) -> None:
    """Only a prefix of the chain goes: an old record behind a recent one stays (no hole)."""
    await seed(repo, 2, age=OLD)
    await seed(repo, 1, age=RECENT)
    late = await repo.append(event(99, age=OLD))
    result = await purge_older_than(repo, RETENTION)
    assert result.purged == 2
    assert late in await _all(repo)
    assert (await verify(repo)).intact


async def test_an_edited_checkpoint_breaks_the_chain(repo: SqlAuditRepository, engine: AsyncEngine) -> None:
    await seed(repo, 6, age=OLD)
    await seed(repo, 2, age=RECENT)
    await purge_older_than(repo, RETENTION)
    (checkpoint,) = [r for r in await _all(repo) if r.event_type == AUDIT_PURGED]
    await tamper(engine, "UPDATE audit_events SET outcome = 'failure' WHERE id = :id", id=checkpoint.id)
    report = await verify(repo)
    assert report.broken is not None
    assert report.broken.record_id == checkpoint.id


async def test_the_trigger_still_refuses_delete_without_the_setting(
    repo: SqlAuditRepository, engine: AsyncEngine, sql_dialect: str
) -> None:
    if sql_dialect != "postgresql":
        pytest.skip("the append-only trigger exists only on PostgreSQL")
    await seed(repo, 3, age=OLD)
    await purge_older_than(repo, RETENTION, batch=2)
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.text("DELETE FROM audit_events"))
        await conn.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(sa.text("UPDATE audit_events SET outcome = 'x'"))


async def test_bad_arguments_are_refused(repo: SqlAuditRepository) -> None:
    with pytest.raises(ValueError, match="negative"):
        await purge_older_than(repo, timedelta(days=-1))
    with pytest.raises(ValueError, match="batch"):
        await purge_older_than(repo, RETENTION, batch=0)


async def test_verify_reads_one_snapshot_while_a_purge_runs(repo: SqlAuditRepository) -> None:
    await seed(repo, 10, age=OLD)
    await seed(repo, 5, age=RECENT)
    before = await _all(repo)
    async with aclosing(repo.chain(batch=3)) as records:
        first = await anext(records)
        result = await purge_older_than(repo, RETENTION, batch=4)
        rest = [record async for record in records]
    assert result.purged == 10
    assert [first, *rest] == before
    assert (await verify(repo)).intact
