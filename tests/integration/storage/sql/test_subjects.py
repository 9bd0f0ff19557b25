from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.sql import SqlSubjectRepository
from frmr_sso.storage.sql.tables import subjects


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlSubjectRepository:
    return SqlSubjectRepository(engine)


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(subjects))).scalar_one())


async def test_first_sight_creates_then_returns_the_same_subject(repo: SqlSubjectRepository) -> None:
    before = datetime.now(UTC)
    created = await repo.get_or_create_by_esia_oid("1000299353", snils_hash="h1")
    assert uuid.UUID(created.id).version == 4
    assert (created.esia_oid, created.snils_hash, created.last_login_at) == ("1000299353", "h1", None)
    assert before - timedelta(seconds=1) <= created.created_at <= datetime.now(UTC)
    again = await repo.get_or_create_by_esia_oid("1000299353", snils_hash="ignored")
    assert again == created
    assert await repo.get(created.id) == created
    assert await repo.get_by_esia_oid("1000299353") == created


async def test_unknown_subject(repo: SqlSubjectRepository) -> None:
    assert await repo.get(str(uuid.uuid4())) is None
    assert await repo.get_by_esia_oid("42") is None


async def test_distinct_oids_get_distinct_subjects(repo: SqlSubjectRepository) -> None:
    first = await repo.get_or_create_by_esia_oid("1")
    second = await repo.get_or_create_by_esia_oid("2")
    assert first.id != second.id


async def test_one_snils_cannot_belong_to_two_subjects(repo: SqlSubjectRepository) -> None:
    await repo.get_or_create_by_esia_oid("1", snils_hash="same")
    with pytest.raises(StorageConflict):
        await repo.get_or_create_by_esia_oid("2", snils_hash="same")
    assert await repo.get_by_esia_oid("2") is None


async def test_a_snils_hash_keyed_the_earlier_way_is_rekeyed_and_still_conflicts(
    repo: SqlSubjectRepository,
) -> None:
    created = await repo.get_or_create_by_esia_oid("1", snils_hash="old-hash")
    earlier = ["old-hash"]
    with pytest.raises(StorageConflict):  # the same SNILS, hashed under the current key, from another account
        await repo.get_or_create_by_esia_oid("2", snils_hash="new-hash", earlier_snils_hashes=earlier)
    assert await repo.get_by_esia_oid("2") is None
    again = await repo.get_or_create_by_esia_oid("1", snils_hash="new-hash", earlier_snils_hashes=earlier)
    assert (again.id, again.snils_hash) == (created.id, "new-hash")
    assert await repo.get(created.id) == again
    unrelated = await repo.get_or_create_by_esia_oid("1", snils_hash="other", earlier_snils_hashes=["x"])
    assert unrelated.snils_hash == "new-hash"  # only a recognised earlier hash is replaced
    with pytest.raises(StorageConflict):
        await repo.get_or_create_by_esia_oid("3", snils_hash="new-hash", earlier_snils_hashes=earlier)


async def test_subjects_without_snils_do_not_conflict(repo: SqlSubjectRepository) -> None:
    await repo.get_or_create_by_esia_oid("1")
    await repo.get_or_create_by_esia_oid("2")
    assert (await repo.get_by_esia_oid("2")) is not None


async def test_parallel_first_logins_create_one_subject(
    repo: SqlSubjectRepository, engine: AsyncEngine
) -> None:
    results = await asyncio.gather(
        *(repo.get_or_create_by_esia_oid("777", snils_hash="h") for _ in range(20))
    )
    assert len({r.id for r in results}) == 1
    assert await _count(engine) == 1


async def test_touch_login(repo: SqlSubjectRepository) -> None:
    subject = await repo.get_or_create_by_esia_oid("1")
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert await repo.touch_login(subject.id, at) is True
    touched = await repo.get(subject.id)
    assert touched is not None
    assert touched.last_login_at == at
    assert await repo.touch_login(subject.id) is True
    now = await repo.get(subject.id)
    assert now is not None
    assert now.last_login_at is not None
    assert now.last_login_at > at
    assert await repo.touch_login(str(uuid.uuid4())) is False
