"""RFC 7662 introspection of our access and refresh tokens."""

from __future__ import annotations

import time

import pytest

from frmr_sso.oauth.access_tokens import AT_JWT, access_token_claims
from frmr_sso.oauth.errors import InvalidClient, InvalidRequest
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.storage.ports import KeyValueStore
from tests.integration.oauth.conftest import Clock, login, refresh_form
from tests.support.oauth import ES256_WEB, ISSUER, SERVICE, SPA, WEB, TestSigner

INACTIVE = {"active": False}


async def ask(
    introspection: IntrospectionService, token: str | None, client: object = SERVICE
) -> dict[str, object]:
    assert token is not None
    return await introspection.introspect(client, Params({"token": token}))  # type: ignore[arg-type]


async def test_active_access_token(
    service: TokenService, kv: KeyValueStore, introspection: IntrospectionService, clock: Clock
) -> None:
    response = await login(service, kv, auth_time=int(clock.now) - 30)
    body = await ask(introspection, response.access_token)
    now = int(clock.now)
    assert body == {
        "active": True,
        "token_type": "Bearer",
        "scope": response.scope,
        "client_id": "demo-web",
        "sub": "sub-1",
        "aud": ISSUER,
        "iss": ISSUER,
        "exp": now + 300,
        "iat": now,
        "jti": body["jti"],
        "auth_time": now - 30,
        "acr": "urn:frmr-sso:acr:esia-confirmed",
    }


async def test_access_token_past_its_expiry(
    service: TokenService, kv: KeyValueStore, introspection: IntrospectionService, clock: Clock
) -> None:
    response = await login(service, kv)
    clock.advance(300)
    assert await ask(introspection, response.access_token) == INACTIVE


async def test_tokens_we_did_not_issue(introspection: IntrospectionService, signer: TestSigner) -> None:
    now = int(time.time())
    foreign = access_token_claims(
        issuer="https://other.test",
        audience=ISSUER,
        subject="s",
        client_id="c",
        scope="",
        jti="j",
        now=now,
        ttl=60,
    )
    expired = access_token_claims(
        issuer=ISSUER, audience=ISSUER, subject="s", client_id="c", scope="", jti="j", now=now - 120, ttl=60
    )
    for token in (
        signer.sign(foreign, typ=AT_JWT),
        signer.sign(expired, typ=AT_JWT),
        signer.sign({**expired, "exp": now + 60}),  # an id_token-typed JWT is no access token
        "not.a.jwt",
        "garbage",
    ):
        assert await ask(introspection, token) == INACTIVE


async def test_refresh_token_only_for_its_own_client(
    service: TokenService, kv: KeyValueStore, introspection: IntrospectionService, clock: Clock
) -> None:
    token = (await login(service, kv)).refresh_token
    body = await ask(introspection, token, client=WEB)
    now = int(clock.now)
    assert body == {
        "active": True,
        "token_type": "refresh_token",
        "scope": "openid profile snils frmr offline_access",
        "client_id": "demo-web",
        "sub": "sub-1",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
    }
    assert await ask(introspection, token, client=ES256_WEB) == INACTIVE
    assert await ask(introspection, token, client=SERVICE) == INACTIVE


async def test_a_rotated_or_revoked_refresh_token_is_inactive(
    service: TokenService, kv: KeyValueStore, introspection: IntrospectionService
) -> None:
    parent = (await login(service, kv)).refresh_token
    child = (await service.refresh(WEB, refresh_form(parent))).refresh_token
    assert await ask(introspection, parent, client=WEB) == INACTIVE
    assert (await ask(introspection, child, client=WEB))["active"] is True
    assert await ask(introspection, "unknown-refresh-token", client=WEB) == INACTIVE


async def test_only_confidential_clients_may_introspect(introspection: IntrospectionService) -> None:
    with pytest.raises(InvalidClient):
        await introspection.introspect(SPA, Params({"token": "x"}))
    with pytest.raises(InvalidRequest):
        await introspection.introspect(SERVICE, Params({}))
    with pytest.raises(InvalidRequest):
        await introspection.introspect(SERVICE, Params([("token", "a"), ("token", "b")]))
