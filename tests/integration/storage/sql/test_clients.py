from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.ports import ClientRecord
from frmr_sso.storage.sql import SqlClientRepository

CREATED = datetime(2026, 1, 15, 8, 0, 0, 250000, tzinfo=UTC)
WEB = ClientRecord(
    client_id="demo-web",
    name="Демо: больничная МИС",
    redirect_uris=("http://127.0.0.1:9999/callback", "https://mis.example.test/cb"),
    secret_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    post_logout_redirect_uris=("http://127.0.0.1:9999/",),
    grant_types=("authorization_code", "refresh_token"),
    scopes=("openid", "profile", "snils", "offline_access"),
    id_token_alg="ES256",
    backchannel_logout_uri="http://127.0.0.1:9999/backchannel",
    created_at=CREATED,
    refresh_rotation=False,
    refresh_grace=30,
)
SPA = ClientRecord(
    client_id="demo-spa", name="SPA", redirect_uris=("http://127.0.0.1:9998/callback",), public=True
)


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlClientRepository:
    return SqlClientRepository(engine)


async def test_added_client_reads_back_field_for_field(repo: SqlClientRepository) -> None:
    await repo.add(WEB)
    assert await repo.get("demo-web") == WEB


async def test_public_client_defaults(repo: SqlClientRepository) -> None:
    await repo.add(SPA)
    stored = await repo.get("demo-spa")
    assert stored == SPA
    assert stored is not None
    assert stored.public is True
    assert stored.secret_hash is None
    assert stored.created_at.tzinfo is UTC
    assert (stored.refresh_rotation, stored.refresh_grace) == (True, 5)


async def test_get_unknown_client(repo: SqlClientRepository) -> None:
    assert await repo.get("nobody") is None


async def test_adding_a_taken_client_id_conflicts(repo: SqlClientRepository) -> None:
    await repo.add(WEB)
    with pytest.raises(StorageConflict):
        await repo.add(dataclasses.replace(WEB, name="другое имя"))
    assert await repo.get("demo-web") == WEB


async def test_list_in_client_id_order(repo: SqlClientRepository) -> None:
    assert await repo.list() == []
    await repo.add(WEB)
    await repo.add(SPA)
    assert [c.client_id for c in await repo.list()] == ["demo-spa", "demo-web"]


async def test_remove(repo: SqlClientRepository) -> None:
    await repo.add(WEB)
    assert await repo.remove("demo-web") is True
    assert await repo.remove("demo-web") is False
    assert await repo.get("demo-web") is None


async def test_upsert_inserts_then_replaces_all_but_created_at(repo: SqlClientRepository) -> None:
    await repo.upsert(WEB)
    assert await repo.get("demo-web") == WEB
    changed = dataclasses.replace(
        WEB,
        name="Переименован",
        redirect_uris=("https://new.example.test/cb",),
        secret_hash=None,
        public=True,
        scopes=("openid",),
        backchannel_logout_uri=None,
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    await repo.upsert(changed)
    assert await repo.get("demo-web") == dataclasses.replace(changed, created_at=CREATED)
    assert len(await repo.list()) == 1


async def test_naive_created_at_is_refused(repo: SqlClientRepository) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        await repo.add(dataclasses.replace(WEB, created_at=datetime(2026, 1, 1)))
