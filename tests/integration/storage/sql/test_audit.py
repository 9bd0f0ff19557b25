from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.ports import GENESIS_HASH, AuditRecord, audit_chain_hash
from frmr_sso.storage.sql import SqlAuditRepository

MOSCOW = timezone(timedelta(hours=3))


def event(n: int = 0, **changes: object) -> AuditRecord:
    base = AuditRecord(
        event_type="login.succeeded",
        outcome="success",
        occurred_at=datetime(2026, 2, 1, 10, 0, 0, 123456, tzinfo=UTC) + timedelta(seconds=n),
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64)",
        request_id=f"req-{n}",
        client_id="demo-web",
        subject_id="0b8c6f0e-6a43-4c55-9d6f-8d3f3f0f9e1a",
        snils_masked="***-***-445 95",
        details={"n": n, "amr": ["pwd", "sms"], "note": "вход"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def assert_chain(records: list[AuditRecord]) -> None:
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.id is not None
        assert before.id is not None
        assert after.id > before.id
        assert after.prev_hash == before.hash
    for record in records:
        assert record.hash == audit_chain_hash(record, record.prev_hash)


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlAuditRepository:
    return SqlAuditRepository(engine)


async def test_append_chains_and_reads_back_exactly(repo: SqlAuditRepository) -> None:
    first = await repo.append(event(1))
    second = await repo.append(event(2))
    assert first.prev_hash == GENESIS_HASH
    assert first.hash == audit_chain_hash(event(1), GENESIS_HASH)
    assert second.prev_hash == first.hash
    stored = list(await repo.list())
    assert stored == [first, second]
    assert_chain(stored)


async def test_times_are_stored_as_utc(repo: SqlAuditRepository) -> None:
    local = datetime(2026, 2, 1, 13, 0, 0, 1, tzinfo=MOSCOW)
    await repo.append(event(occurred_at=local))
    (stored,) = await repo.list()
    assert stored.occurred_at == local
    assert stored.occurred_at.tzinfo is UTC
    assert stored.occurred_at.hour == 10


async def test_naive_time_is_refused(repo: SqlAuditRepository) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await repo.append(event(occurred_at=datetime(2026, 2, 1)))
    assert await repo.list() == []


async def test_given_id_and_hashes_are_ignored(repo: SqlAuditRepository) -> None:
    stored = await repo.append(event(id=999, prev_hash="x", hash="y"))
    assert stored.id != 999
    assert stored.prev_hash == GENESIS_HASH
    assert stored.hash == audit_chain_hash(event(), GENESIS_HASH)


async def test_empty_optional_fields(repo: SqlAuditRepository) -> None:
    bare = AuditRecord(event_type="keys.rotated", outcome="success")
    stored = await repo.append(bare)
    assert await repo.list() == [stored]
    assert (stored.ip, stored.subject_id, stored.details) == (None, None, {})


async def test_list_pages_in_id_order(repo: SqlAuditRepository) -> None:
    appended = [await repo.append(event(n)) for n in range(5)]
    first_page = await repo.list(limit=2)
    assert first_page == appended[:2]
    last_id = first_page[-1].id
    assert last_id is not None
    assert await repo.list(after_id=last_id, limit=10) == appended[2:]


async def test_parallel_appends_keep_one_chain(repo: SqlAuditRepository) -> None:
    appended = await asyncio.gather(*(repo.append(event(n)) for n in range(20)))
    stored = list(await repo.list())
    assert len(stored) == 20
    assert sorted(r.details["n"] for r in stored) == list(range(20))
    assert sorted(appended, key=lambda r: r.id or 0) == stored
    assert_chain(stored)


async def test_a_custom_hasher_is_used(engine: AsyncEngine) -> None:
    repo = SqlAuditRepository(engine, hasher=lambda record, prev: f"{prev[:4]}:{record.request_id}")
    first = await repo.append(event(1))
    second = await repo.append(event(2))
    assert (first.hash, second.prev_hash, second.hash) == ("0000:req-1", "0000:req-1", "0000:req-2")
