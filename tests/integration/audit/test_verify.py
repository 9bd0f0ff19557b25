"""``verify_chain`` over the SQL chain on both backends: intact, edited, deleted, reordered."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.storage.ports import audit_chain_hash
from frmr_sso.storage.sql import SqlAuditRepository
from tests.integration.audit.support import event, seed, tamper, verify


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlAuditRepository:
    return SqlAuditRepository(engine)


async def test_an_empty_chain_is_intact(repo: SqlAuditRepository) -> None:
    report = await verify(repo)
    assert report.intact
    assert report.records == 0


@pytest.mark.parametrize("batch", [1, 7, 25, 1000])
async def test_an_intact_chain_in_any_batch_size(repo: SqlAuditRepository, batch: int) -> None:
    records = await seed(repo, 25)
    report = await verify(repo, batch=batch)
    assert report.intact, report.broken
    assert report.records == 25
    head = (records[0].id, records[-1].id, records[-1].hash)
    assert (report.first_id, report.head_id, report.head_hash) == head
    assert report.checkpoint_id is None


async def test_an_edited_record_is_named(repo: SqlAuditRepository, engine: AsyncEngine) -> None:
    records = await seed(repo, 20)
    await tamper(engine, "UPDATE audit_events SET outcome = 'failure' WHERE id = :id", id=records[11].id)
    report = await verify(repo)
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (records[11].id, "edited")
    assert "hash mismatch" in report.broken.detail
    assert report.records == 11


async def test_the_first_of_several_edits_is_reported(repo: SqlAuditRepository, engine: AsyncEngine) -> None:
    records = await seed(repo, 20)
    edit = "UPDATE audit_events SET ip = '198.51.100.1' WHERE id IN (:a, :b)"
    await tamper(engine, edit, a=records[4].id, b=records[15].id)
    report = await verify(repo)
    assert report.broken is not None
    assert report.broken.record_id == records[4].id


async def test_a_replaced_hash_is_an_edit(repo: SqlAuditRepository, engine: AsyncEngine) -> None:
    records = await seed(repo, 10)
    edit = "UPDATE audit_events SET hash = :hash WHERE id = :id"
    await tamper(engine, edit, hash="f" * 64, id=records[3].id)
    report = await verify(repo)
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (records[3].id, "edited")


async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    repo: SqlAuditRepository, engine: AsyncEngine
) -> None:
    records = await seed(repo, 10)
    forged = dataclasses.replace(records[3], outcome="failure")
    new_hash = audit_chain_hash(forged, forged.prev_hash)
    edit = "UPDATE audit_events SET outcome = 'failure', hash = :hash WHERE id = :id"
    await tamper(engine, edit, hash=new_hash, id=records[3].id)
    report = await verify(repo)
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (records[4].id, "unlinked")


async def test_a_deleted_middle_record_is_reported(repo: SqlAuditRepository, engine: AsyncEngine) -> None:
    records = await seed(repo, 20)
    await tamper(engine, "DELETE FROM audit_events WHERE id = :id", id=records[8].id)
    report = await verify(repo)
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (records[9].id, "unlinked")
    assert f"ids {records[8].id}..{records[8].id} missing" in report.broken.detail


async def test_deleted_first_records_without_a_checkpoint(
    repo: SqlAuditRepository, engine: AsyncEngine
) -> None:
    records = await seed(repo, 10)
    await tamper(engine, "DELETE FROM audit_events WHERE id <= :id", id=records[2].id)
    report = await verify(repo)
    assert report.broken is not None
    assert (report.broken.record_id, report.broken.kind) == (records[3].id, "unanchored")


async def test_a_deleted_last_record_leaves_a_shorter_intact_chain(
    repo: SqlAuditRepository, engine: AsyncEngine
) -> None:
    """The limit of any hash chain: the head hash must be kept elsewhere to notice a cut tail."""
    records = await seed(repo, 5)
    await tamper(engine, "DELETE FROM audit_events WHERE id = :id", id=records[4].id)
    report = await verify(repo)
    assert report.intact
    assert report.head_hash == records[3].hash != records[4].hash


async def test_batches_and_single_appends_form_one_intact_chain(repo: SqlAuditRepository) -> None:
    await seed(repo, 3)
    batch = await repo.append_batch([event(n) for n in range(3, 13)])
    assert [r.id for r in batch] == sorted(r.id for r in batch)
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(batch))
    writer = BatchingAuditWriter(repo, max_batch=4)
    stored = await asyncio.gather(*(writer.append(event(n)) for n in range(13, 40)))
    await writer.aclose()
    assert [r.details["n"] for r in stored] == list(range(13, 40))
    report = await verify(repo)
    assert report.intact, report.broken
    assert report.records == 40
    assert report.head_id == stored[-1].id
    assert await repo.append_batch([]) == []
