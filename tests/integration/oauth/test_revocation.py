"""RFC 7009 revocation: refresh tokens end their family, access tokens are denied until exp."""

from __future__ import annotations

import pytest

from frmr_sso.oauth.errors import InvalidGrant, InvalidRequest
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.refresh import hash_token
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.revocation import REVOKED_REASON, RevocationService
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.integration.oauth.conftest import login, refresh_form
from tests.support.oauth import ES256_WEB, SERVICE, SPA, WEB


def form(token: str | None, hint: str | None = None) -> Params:
    assert token is not None
    return Params({"token": token, **({"token_type_hint": hint} if hint else {})})


async def active(introspection: IntrospectionService, token: str) -> bool:
    return bool((await introspection.introspect(SERVICE, Params({"token": token})))["active"])


async def test_revoking_a_refresh_token_ends_the_family(
    service: TokenService,
    kv: KeyValueStore,
    revocation: RevocationService,
    repository: SqlRefreshTokenRepository,
) -> None:
    parent = (await login(service, kv)).refresh_token
    child = (await service.refresh(WEB, refresh_form(parent))).refresh_token
    await revocation.revoke(WEB, form(child, "refresh_token"))
    with pytest.raises(InvalidGrant, match="revoked"):
        await service.refresh(WEB, refresh_form(child))
    found = await repository.find(hash_token(parent or ""))
    assert found is not None
    assert found[1].revoked_reason == REVOKED_REASON


async def test_revoking_a_spent_refresh_token_ends_the_family_too(
    service: TokenService, kv: KeyValueStore, revocation: RevocationService
) -> None:
    parent = (await login(service, kv)).refresh_token
    child = (await service.refresh(WEB, refresh_form(parent))).refresh_token
    await revocation.revoke(WEB, form(parent))
    with pytest.raises(InvalidGrant):
        await service.refresh(WEB, refresh_form(child))


async def test_revoking_an_access_token(
    service: TokenService,
    kv: KeyValueStore,
    revocation: RevocationService,
    introspection: IntrospectionService,
) -> None:
    response = await login(service, kv)
    assert await active(introspection, response.access_token)
    await revocation.revoke(WEB, form(response.access_token, "refresh_token"))  # a wrong hint is only a hint
    assert not await active(introspection, response.access_token)
    assert await service.refresh(WEB, refresh_form(response.refresh_token))  # the family lives on


async def test_another_clients_tokens_are_left_alone(
    service: TokenService,
    kv: KeyValueStore,
    revocation: RevocationService,
    introspection: IntrospectionService,
) -> None:
    response = await login(service, kv)
    await revocation.revoke(ES256_WEB, form(response.access_token))
    await revocation.revoke(ES256_WEB, form(response.refresh_token))
    assert await active(introspection, response.access_token)
    assert await service.refresh(WEB, refresh_form(response.refresh_token))


async def test_unknown_tokens_are_not_an_error(revocation: RevocationService) -> None:
    await revocation.revoke(WEB, form("made-up"))
    await revocation.revoke(SPA, form("not.a.jwt"))
    with pytest.raises(InvalidRequest):
        await revocation.revoke(WEB, Params({}))
