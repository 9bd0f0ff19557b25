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
from tests.integration.storage.sql.round_trips import sent_to


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


async def test_every_login_is_recorded_on_its_subject(repo: SqlSubjectRepository) -> None:
    created = await repo.for_login("1000299353", connector="esia", snils_hash="h")
    linked = await repo.for_login("partner:abc", connector="partner", snils_hash="h")
    first, second = created.subject.last_login_at, linked.subject.id
    stored = await repo.get(second)
    assert first is not None
    assert stored is not None
    assert stored.last_login_at is not None
    assert stored.last_login_at >= first  # the linking login, recorded on the same subject
    again = await repo.for_login("1000299353", connector="esia", snils_hash="h")
    assert again.subject.last_login_at is not None
    assert again.subject.last_login_at >= stored.last_login_at
    assert await repo.get(again.subject.id) == again.subject


async def test_a_returning_persons_login_is_one_statement_without_a_transaction(
    repo: SqlSubjectRepository, engine: AsyncEngine, sql_dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await repo.for_login("1000299353", connector="esia", snils_hash="old")
    with sent_to(engine, monkeypatch) as sent:
        again = await repo.for_login(
            "1000299353", connector="esia", snils_hash="h", earlier_snils_hashes=["old"]
        )
        rekeyed = await repo.for_login("1000299353", connector="esia", snils_hash="h")
    assert (again.subject.id, again.subject.snils_hash, again.linked) == (first.subject.id, "h", False)
    assert rekeyed.subject == await repo.get(first.subject.id)
    # the re-keying login: its UPDATE RETURNING, then the re-key; the next one: its UPDATE alone
    assert sent.statements[-1:] == ["UPDATE"]
    assert sent.statements.count("SELECT") == 0
    if sql_dialect == "postgresql":  # only the re-key's transaction
        assert sent.transaction_control == ["BEGIN ISOLATION LEVEL READ COMMITTED;", "COMMIT;"]


async def test_a_login_through_another_upstream_links_to_the_subject_of_its_snils(
    repo: SqlSubjectRepository,
) -> None:
    first = await repo.for_login("1000299353", connector="esia", snils_hash="h")
    assert (first.linked, first.subject.esia_oid) == (False, "1000299353")
    linked = await repo.for_login("partner:abc", connector="partner", snils_hash="h")
    assert (linked.subject.id, linked.linked) == (first.subject.id, True)
    again = await repo.for_login("partner:abc", connector="partner", snils_hash="h")
    assert (again.subject.id, again.linked) == (first.subject.id, False)
    [link] = await repo.links_of(first.subject.id)
    assert (link.link_key, link.connector, link.subject_id) == ("partner:abc", "partner", first.subject.id)
    assert await repo.get_by_esia_oid("partner:abc") is None  # a link, not a second subject


async def test_a_link_found_by_an_earlier_snils_hash_rekeys_the_subject(repo: SqlSubjectRepository) -> None:
    first = await repo.for_login("1", connector="esia", snils_hash="old")
    linked = await repo.for_login("p:1", connector="p", snils_hash="new", earlier_snils_hashes=["old"])
    assert (linked.subject.id, linked.subject.snils_hash, linked.linked) == (first.subject.id, "new", True)
    assert (await repo.for_login("1", connector="esia", snils_hash="new")).subject.snils_hash == "new"


async def test_unlink_removes_the_links_of_one_upstream_only(repo: SqlSubjectRepository) -> None:
    first = (await repo.for_login("1", connector="esia", snils_hash="h")).subject
    await repo.for_login("a:1", connector="a", snils_hash="h")
    await repo.for_login("b:1", connector="b", snils_hash="h")
    assert await repo.unlink(first.id, "a") == 1
    assert await repo.unlink(first.id, "a") == 0
    assert await repo.unlink(first.id, "esia") == 0  # the first identity is the subject itself
    assert [link.connector for link in await repo.links_of(first.id)] == ["b"]
    relinked = await repo.for_login("a:1", connector="a", snils_hash="h")  # its next login links it again
    assert (relinked.subject.id, relinked.linked) == (first.id, True)


async def test_parallel_first_logins_through_two_upstreams_end_on_one_subject(
    repo: SqlSubjectRepository, engine: AsyncEngine
) -> None:
    results = await asyncio.gather(*(
        repo.for_login(key, connector=key.split(":")[0], snils_hash="same")
        for _ in range(5) for key in ("esia-oid", "a:1", "b:1")
    ))
    [subject_id] = {r.subject.id for r in results if not r.linked}  # the first identity seen created it
    assert {r.subject.id for r in results} == {subject_id}
    subject = await repo.get(subject_id)
    assert subject is not None
    assert await _count(engine) == 1
    links = await repo.links_of(subject.id)
    assert sorted([link.link_key for link in links] + [subject.esia_oid]) == ["a:1", "b:1", "esia-oid"]
    assert sum(r.linked for r in results) == 2
