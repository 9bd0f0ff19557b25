from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.ports import SigningKeyRecord
from frmr_sso.storage.sql import SqlSigningKeyRepository

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def key(kid: str, alg: str = "RS256", *, age_days: int = 0, status: str = "active") -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=kid,
        alg=alg,
        private_key_encrypted=f"gAAAA-encrypted-{kid}",
        public_jwk={"kty": "RSA" if alg == "RS256" else "EC", "kid": kid, "use": "sig", "alg": alg},
        status=status,  # type: ignore[arg-type]
        created_at=T0 + timedelta(days=age_days),
    )


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlSigningKeyRepository:
    return SqlSigningKeyRepository(engine)


async def test_added_key_reads_back(repo: SqlSigningKeyRepository) -> None:
    rs = key("rs-1")
    await repo.add(rs)
    assert await repo.get("rs-1") == rs
    assert await repo.get("missing") is None


async def test_duplicate_kid_conflicts(repo: SqlSigningKeyRepository) -> None:
    await repo.add(key("k"))
    with pytest.raises(StorageConflict):
        await repo.add(key("k", "ES256"))


async def test_unknown_status_is_refused_by_the_schema(repo: SqlSigningKeyRepository) -> None:
    with pytest.raises(StorageConflict):
        await repo.add(key("k", status="compromised"))


async def test_get_active_returns_the_newest_active_key_of_the_algorithm(
    repo: SqlSigningKeyRepository,
) -> None:
    await repo.add(key("rs-old", age_days=0))
    await repo.add(key("rs-new", age_days=10))
    await repo.add(key("es", "ES256", age_days=20))
    await repo.add(key("rs-retired", age_days=30, status="retired"))
    active = await repo.get_active("RS256")
    assert active is not None
    assert active.kid == "rs-new"
    es = await repo.get_active("ES256")
    assert es is not None
    assert es.kid == "es"
    assert await repo.get_active("PS256") is None


async def test_published_keys_are_active_then_previous(repo: SqlSigningKeyRepository) -> None:
    await repo.add(key("prev-old", age_days=0, status="previous"))
    await repo.add(key("prev-new", age_days=5, status="previous"))
    await repo.add(key("active", age_days=9))
    await repo.add(key("retired", age_days=10, status="retired"))
    published = await repo.list_published()
    assert [k.kid for k in published] == ["active", "prev-new", "prev-old"]
    assert [k.kid for k in await repo.list_all()] == ["retired", "active", "prev-new", "prev-old"]


async def test_mark_previous_and_retire(repo: SqlSigningKeyRepository) -> None:
    await repo.add(key("k"))
    until = T0 + timedelta(days=1)
    assert await repo.mark_previous("k", not_after=until) is True
    assert await repo.mark_previous("k") is False  # only an active key can be demoted
    demoted = await repo.get("k")
    assert demoted is not None
    assert (demoted.status, demoted.not_after) == ("previous", until)
    assert await repo.retire("k") is True
    assert await repo.retire("k") is False
    assert await repo.retire("missing") is False
    assert await repo.list_published() == []


async def test_rotate_demotes_the_active_keys_of_that_algorithm_only(repo: SqlSigningKeyRepository) -> None:
    await repo.add(key("rs-1"))
    await repo.add(key("es-1", "ES256"))
    until = T0 + timedelta(hours=1)
    await repo.rotate(key("rs-2", age_days=1), previous_not_after=until)
    statuses = {k.kid: (k.status, k.not_after) for k in await repo.list_all()}
    assert statuses == {"rs-2": ("active", None), "rs-1": ("previous", until), "es-1": ("active", None)}


async def test_failed_rotation_changes_nothing(repo: SqlSigningKeyRepository) -> None:
    await repo.add(key("rs-1"))
    with pytest.raises(StorageConflict):
        await repo.rotate(key("rs-1", age_days=1))  # kid taken: the insert fails after the demotion
    current = await repo.get("rs-1")
    assert current is not None
    assert current.status == "active"
