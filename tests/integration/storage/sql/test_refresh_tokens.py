from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.ports import RefreshFamilyRecord, RefreshTokenRecord
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from frmr_sso.storage.sql.tables import refresh_families, refresh_tokens

NOW = datetime(2026, 1, 20, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlRefreshTokenRepository:
    return SqlRefreshTokenRepository(engine)


def family(**changes: object) -> RefreshFamilyRecord:
    record = RefreshFamilyRecord(
        id=str(uuid.uuid4()),
        client_id="demo-web",
        subject="sub-1",
        scope=("openid", "profile", "offline_access"),
        auth_time=NOW - timedelta(seconds=5),
        created_at=NOW,
        absolute_expires_at=NOW + timedelta(days=30),
        session_id="sid-1",
        acr="urn:frmr-sso:acr:esia-confirmed",
        amr=("pwd", "sms"),
        claims={"family_name": "Иванова", "frmr_organizations": [{"oid": "1.2.3"}]},
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def token(family_id: str, name: str, parent: str | None = None) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        token_hash=name.ljust(64, "0"),
        family_id=family_id,
        parent_hash=None if parent is None else parent.ljust(64, "0"),
        created_at=NOW,
        idle_expires_at=NOW + timedelta(days=7),
    )


async def _count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_a_family_and_its_first_token_round_trip(repo: SqlRefreshTokenRepository) -> None:
    fam, first = family(), None
    first = token(fam.id, "a")
    await repo.create_family(fam, first)
    assert await repo.find(first.token_hash) == (first, fam)
    assert await repo.find("f" * 64) is None


async def test_rotation_consumes_the_parent_once(repo: SqlRefreshTokenRepository) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "a"))
    later = NOW + timedelta(minutes=1)
    assert await repo.rotate("a".ljust(64, "0"), token(fam.id, "b", parent="a"), now=later) is True
    assert await repo.rotate("a".ljust(64, "0"), token(fam.id, "c", parent="a"), now=later) is False
    parent = await repo.find("a".ljust(64, "0"))
    assert parent is not None
    assert parent[0].used_at == later
    child = await repo.find("b".ljust(64, "0"))
    assert child is not None
    assert child[0].parent_hash == "a".ljust(64, "0")
    assert child[0].used_at is None
    assert await repo.find("c".ljust(64, "0")) is None


async def test_extend_moves_the_idle_expiry_of_a_live_token_only(repo: SqlRefreshTokenRepository) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "a"))
    a, later = "a".ljust(64, "0"), NOW + timedelta(days=8)
    assert await repo.extend(a, idle_expires_at=later, now=NOW + timedelta(days=1)) is True
    found = await repo.find(a)
    assert found is not None
    assert found[0].idle_expires_at == later
    assert await repo.extend(a, idle_expires_at=later, now=later) is False  # idle-expired by then
    assert await repo.rotate(a, token(fam.id, "b", parent="a"), now=NOW)
    assert await repo.extend(a, idle_expires_at=later, now=NOW) is False  # consumed
    assert await repo.extend("f" * 64, idle_expires_at=later, now=NOW) is False  # unknown


@pytest.mark.parametrize("step", ["rotate", "consume"])
async def test_the_child_keeps_its_sealed_copy_until_it_is_consumed_itself(
    repo: SqlRefreshTokenRepository, step: str
) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "a"))
    a, b, c = ("a".ljust(64, "0"), "b".ljust(64, "0"), "c".ljust(64, "0"))
    assert await repo.find_child(a) is None
    await repo.rotate(a, dataclasses.replace(token(fam.id, "b", parent="a"), grace_token="sealed-b"), now=NOW)
    found = await repo.find_child(a)
    assert found is not None
    assert (found[0].token_hash, found[0].grace_token, found[1].id) == (b, "sealed-b", fam.id)
    if step == "rotate":
        child = dataclasses.replace(token(fam.id, "c", parent="b"), grace_token="sealed-c")
        assert await repo.rotate(b, child, now=NOW) is True
    else:
        consumed = await repo.consume(
            b, client_id=fam.client_id, child_hash=c, idle_expires_at=NOW + timedelta(days=1), now=NOW,
            grace_token="sealed-c",
        )
        assert consumed is not None
        assert consumed.id == fam.id
    after = await repo.find(b)
    assert after is not None
    assert (after[0].used_at, after[0].grace_token) == (NOW, None)  # consumed: its sealed copy is gone
    grandchild = await repo.find_child(b)
    assert grandchild is not None
    assert (grandchild[0].token_hash, grandchild[0].grace_token) == (c, "sealed-c")


async def test_parallel_rotations_of_one_parent_have_one_winner(
    repo: SqlRefreshTokenRepository, engine: AsyncEngine
) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "p"))

    async def rotate(i: int) -> bool:
        return await repo.rotate("p".ljust(64, "0"), token(fam.id, f"c{i}", parent="p"), now=NOW)

    results = await asyncio.gather(*(rotate(i) for i in range(10)))
    assert results.count(True) == 1
    assert await _count(engine, refresh_tokens) == 2


async def test_a_parent_has_at_most_one_child(repo: SqlRefreshTokenRepository, engine: AsyncEngine) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "a"))
    async with engine.begin() as conn:
        await conn.execute(
            refresh_tokens.insert().values(
                token_hash="b".ljust(64, "0"),
                family_id=fam.id,
                parent_hash="a".ljust(64, "0"),
                created_at=NOW,
                idle_expires_at=NOW,
            )
        )
    with pytest.raises(StorageConflict):
        await repo.rotate("a".ljust(64, "0"), token(fam.id, "c", parent="a"), now=NOW)


async def test_revoke_family_and_session(repo: SqlRefreshTokenRepository) -> None:
    one, two, other = family(), family(), family(session_id="sid-2")
    for i, fam in enumerate((one, two, other)):
        await repo.create_family(fam, token(fam.id, f"t{i}"))
    assert await repo.revoke_family(one.id, reason="revoked_by_client", at=NOW) is True
    assert await repo.revoke_family(one.id, reason="again", at=NOW) is False
    assert await repo.revoke_family("missing", reason="x", at=NOW) is False
    found = await repo.find("t0".ljust(64, "0"))
    assert found is not None
    assert (found[1].revoked_at, found[1].revoked_reason) == (NOW, "revoked_by_client")
    assert await repo.revoke_session("sid-1", reason="logout", at=NOW) == 1  # two; one was revoked already
    assert await repo.revoke_session("sid-1", reason="logout", at=NOW) == 0
    untouched = await repo.find("t2".ljust(64, "0"))
    assert untouched is not None
    assert untouched[1].revoked_at is None


async def test_purge_removes_expired_families_with_their_tokens(
    repo: SqlRefreshTokenRepository, engine: AsyncEngine
) -> None:
    expired = family(absolute_expires_at=NOW - timedelta(seconds=1))
    live = family()
    await repo.create_family(expired, token(expired.id, "e"))
    await repo.rotate("e".ljust(64, "0"), token(expired.id, "e2", parent="e"), now=NOW)
    await repo.create_family(live, token(live.id, "l"))
    assert await repo.purge_expired(NOW) == 1
    assert await repo.purge_expired(NOW) == 0
    assert await _count(engine, refresh_families) == 1
    assert await _count(engine, refresh_tokens) == 1
    assert await repo.find("l".ljust(64, "0")) is not None


async def test_naive_datetimes_are_refused(repo: SqlRefreshTokenRepository) -> None:
    fam = family(created_at=datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(ValueError, match="naive"):
        await repo.create_family(fam, token(fam.id, "n"))
    live = family()
    await repo.create_family(live, token(live.id, "m"))
    with pytest.raises(ValueError, match="naive"):
        await repo.consume(
            "m".ljust(64, "0"), client_id=live.client_id, child_hash="m2".ljust(64, "0"),
            idle_expires_at=datetime(2026, 1, 2), now=datetime(2026, 1, 1),
        )


async def test_a_child_hash_taken_already_is_a_conflict(repo: SqlRefreshTokenRepository) -> None:
    fam = family()
    await repo.create_family(fam, token(fam.id, "a"))
    await repo.create_family(other := family(), token(other.id, "x"))
    with pytest.raises(StorageConflict):  # the child's hash is another token's: nothing is consumed
        await repo.consume(
            "a".ljust(64, "0"), client_id=fam.client_id, child_hash="x".ljust(64, "0"),
            idle_expires_at=NOW + timedelta(days=1), now=NOW,
        )
    parent = await repo.find("a".ljust(64, "0"))
    assert parent is not None
    assert parent[0].used_at is None


async def test_revoking_a_persons_grants_at_one_client_leaves_the_rest(
    repo: SqlRefreshTokenRepository,
) -> None:
    mine, again, elsewhere, theirs = family(), family(), family(client_id="cab"), family(subject="sub-2")
    for i, fam in enumerate((mine, again, elsewhere, theirs)):
        await repo.create_family(fam, token(fam.id, f"g{i}"))
    assert await repo.revoke_client_grants("sub-1", "demo-web", reason="consent_revoked", at=NOW) == 2
    assert await repo.revoke_client_grants("sub-1", "demo-web", reason="consent_revoked", at=NOW) == 0
    for name, revoked in (("g0", True), ("g1", True), ("g2", False), ("g3", False)):
        found = await repo.find(name.ljust(64, "0"))
        assert found is not None
        assert (found[1].revoked_reason == "consent_revoked") is revoked
