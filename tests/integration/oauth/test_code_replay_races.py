"""A code replayed while its first exchange is still running (RFC 6749 §4.1.2), each interleaving forced.

The first exchange runs on a service whose refresh repository or key-value store
holds it at one point (a ``Gate``) while the replay runs to its end on another
service over the same stores, as on a second broker instance. Whichever point
the replay hits, the refresh family ends revoked and the access token denied:
either the first exchange answers invalid_grant or its tokens never work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import pytest

from frmr_sso.oauth import codes
from frmr_sso.oauth.access_tokens import is_denied
from frmr_sso.oauth.codes import RedeemedCode
from frmr_sso.oauth.errors import InvalidGrant
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.issuance import TokenResponse
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.tokens import REPLAY_REASON, TokenService
from frmr_sso.storage.ports import (
    KeyValueStore,
    RefreshFamilyRecord,
    RefreshTokenRecord,
    RefreshTokenRepository,
)
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.integration.oauth.conftest import LIFETIMES, Clock, code_form, issue_code, refresh_form
from tests.support.oauth import ISSUER, WEB, TestSigner

Step = Callable[[], Any]


class Gate:
    """Holds its first caller until the test opens it; every later caller passes."""

    def __init__(self) -> None:
        self.reached, self.open = asyncio.Event(), asyncio.Event()
        self._armed = True

    async def __call__(self) -> None:
        if self._armed:
            self._armed = False
            self.reached.set()
            await self.open.wait()

    async def wait_reached(self) -> None:
        await asyncio.wait_for(self.reached.wait(), timeout=10)


async def passing() -> None:
    return None


class GatedRepository:
    """The SQL repository with gates around ``create_family`` and before ``revoke_family``."""

    def __init__(
        self,
        inner: SqlRefreshTokenRepository,
        *,
        before_create: Step = passing,
        after_create: Step = passing,
        before_revoke: Step = passing,
    ) -> None:
        self.inner = inner
        self.before_create, self.after_create, self.before_revoke = before_create, after_create, before_revoke
        self.first_tokens: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def create_family(self, family: RefreshFamilyRecord, first: RefreshTokenRecord) -> None:
        self.first_tokens.append(first.token_hash)
        await self.before_create()
        await self.inner.create_family(family, first)
        await self.after_create()

    async def revoke_family(self, family_id: str, *, reason: str, at: datetime) -> bool:
        await self.before_revoke()
        return await self.inner.revoke_family(family_id, reason=reason, at=at)


class GatedKV:
    """The key-value store with a gate after each ``get``: in an exchange, the replayed-family flag read."""

    def __init__(self, inner: KeyValueStore, after_get: Gate) -> None:
        self.inner, self.after_get = inner, after_get

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def get(self, key: str) -> str | None:
        value = await self.inner.get(key)
        await self.after_get()
        return value


@pytest.fixture
def make(kv: KeyValueStore, signer: TestSigner, clock: Clock) -> Callable[..., TokenService]:
    def make(repository: GatedRepository | SqlRefreshTokenRepository, store: Any = kv) -> TokenService:
        return TokenService(
            issuer=ISSUER,
            signer=signer,
            refresh_tokens=cast(RefreshTokenRepository, repository),
            kv=cast(KeyValueStore, store),
            lifetimes=LIFETIMES,
            clock=clock,
        )

    return make


async def mark_of(kv: KeyValueStore, code: str) -> RedeemedCode:
    """What the first exchange's redemption left; asking again takes nothing and changes nothing."""
    mark = await codes.redeem(kv, code, RedeemedCode("probe", "probe", 0), code_ttl=LIFETIMES.code)
    assert isinstance(mark, RedeemedCode)
    return mark


async def replay(service: TokenService, code: str) -> None:
    with pytest.raises(InvalidGrant, match="already used"):
        await service.exchange_code(WEB, code_form(code))


async def assert_all_revoked(
    kv: KeyValueStore, code: str, repository: SqlRefreshTokenRepository, gated: GatedRepository
) -> None:
    mark = await mark_of(kv, code)
    assert await is_denied(kv, mark.access_token_jti)
    [first_token] = gated.first_tokens
    found = await repository.find(first_token)
    assert found is not None
    family = found[1]
    assert family.id == mark.refresh_family_id
    assert family.revoked_at is not None
    assert family.revoked_reason == REPLAY_REASON


async def test_a_replay_before_the_family_is_inserted_wins(
    make: Callable[..., TokenService], kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    code, gate = await issue_code(kv), Gate()
    gated = GatedRepository(repository, before_create=gate)
    first = asyncio.create_task(make(gated).exchange_code(WEB, code_form(code)))
    await gate.wait_reached()  # redeemed, its mark written, the family not yet in SQL
    await replay(make(repository), code)
    [first_token] = gated.first_tokens
    assert await repository.find(first_token) is None  # the replay found no family to revoke
    gate.open.set()
    with pytest.raises(InvalidGrant, match="used again during its exchange"):
        await first
    await assert_all_revoked(kv, code, repository, gated)


async def test_a_replay_after_the_insert_before_the_flag_read_wins(
    make: Callable[..., TokenService], kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    code, gate = await issue_code(kv), Gate()
    gated = GatedRepository(repository, after_create=gate)
    first = asyncio.create_task(make(gated).exchange_code(WEB, code_form(code)))
    await gate.wait_reached()  # the family committed, the flag not read yet
    await replay(make(repository), code)
    gate.open.set()
    with pytest.raises(InvalidGrant, match="used again during its exchange"):
        await first
    await assert_all_revoked(kv, code, repository, gated)


async def test_a_replay_after_the_flag_read_revokes_the_issued_tokens(
    make: Callable[..., TokenService],
    kv: KeyValueStore,
    repository: SqlRefreshTokenRepository,
    introspection: IntrospectionService,
) -> None:
    code, gate = await issue_code(kv), Gate()
    gated = GatedRepository(repository)
    first = asyncio.create_task(make(gated, GatedKV(kv, gate)).exchange_code(WEB, code_form(code)))
    await gate.wait_reached()  # the flag read and found unset: the exchange will answer with tokens
    plain = make(repository)
    await replay(plain, code)
    gate.open.set()
    issued: TokenResponse = await first
    await assert_all_revoked(kv, code, repository, gated)
    assert await introspection.introspect(WEB, Params({"token": issued.access_token})) == {"active": False}
    assert await introspection.introspect(WEB, Params({"token": issued.refresh_token})) == {"active": False}
    with pytest.raises(InvalidGrant):
        await plain.refresh(WEB, refresh_form(issued.refresh_token))


async def test_a_replay_held_between_its_flag_and_its_revocation(
    make: Callable[..., TokenService], kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    code, first_gate, replay_gate = await issue_code(kv), Gate(), Gate()
    gated = GatedRepository(repository, before_create=first_gate)
    first = asyncio.create_task(make(gated).exchange_code(WEB, code_form(code)))
    await first_gate.wait_reached()
    replaying = asyncio.create_task(
        replay(make(GatedRepository(repository, before_revoke=replay_gate)), code)
    )
    await replay_gate.wait_reached()  # access token denied and family flagged; its SQL revocation waits
    first_gate.open.set()
    with pytest.raises(InvalidGrant, match="used again during its exchange"):
        await first  # it saw the flag and revoked the family itself
    await assert_all_revoked(kv, code, repository, gated)
    replay_gate.open.set()
    await replaying  # its revocation finds the family already revoked
    await assert_all_revoked(kv, code, repository, gated)


async def test_a_replay_without_a_refresh_family_denies_the_access_token(
    make: Callable[..., TokenService],
    kv: KeyValueStore,
    introspection: IntrospectionService,
    repository: SqlRefreshTokenRepository,
) -> None:
    code = await issue_code(kv, scope=("openid", "profile"))
    service = make(repository)
    issued = await service.exchange_code(WEB, code_form(code))
    assert issued.refresh_token is None
    await replay(service, code)
    assert await introspection.introspect(WEB, Params({"token": issued.access_token})) == {"active": False}
