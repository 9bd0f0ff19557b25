"""RFC 7662 introspection and RFC 7009 revocation over real HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    SPA_ID,
    SPECIAL_ID,
    SPECIAL_SECRET,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Provider,
    basic,
    grant,
)

SERVICE = basic(SERVICE_ID, SERVICE_SECRET)


async def service_token(http: httpx.AsyncClient, headers: dict[str, str] = SERVICE) -> str:
    response = await http.post("/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def introspect(
    http: httpx.AsyncClient, token: str, headers: dict[str, str] = SERVICE
) -> httpx.Response:
    return await http.post("/introspect", data={"token": token}, headers=headers)


async def test_introspect_then_revoke_the_access_token(http: httpx.AsyncClient, provider: Provider) -> None:
    token = await service_token(http)
    response = await introspect(http, token)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "frmr frmr.registry.read"
    assert body["client_id"] == SERVICE_ID
    assert body["iss"] == provider.issuer
    assert time.time() < body["exp"] <= time.time() + 301

    revoked = await http.post(
        "/revoke", data={"token": token, "token_type_hint": "access_token"}, headers=SERVICE
    )
    assert revoked.status_code == 200
    assert revoked.content == b""
    assert (await introspect(http, token)).json() == {"active": False}


async def test_another_confidential_client_may_introspect_an_access_token(http: httpx.AsyncClient) -> None:
    token = await service_token(http, basic(SPECIAL_ID, SPECIAL_SECRET))
    assert (await introspect(http, token)).json()["active"] is True


async def test_revoking_another_clients_token_does_nothing(http: httpx.AsyncClient) -> None:
    token = await service_token(http)
    other = basic(SPECIAL_ID, SPECIAL_SECRET)
    assert (await http.post("/revoke", data={"token": token}, headers=other)).status_code == 200
    assert (await introspect(http, token)).json()["active"] is True


@pytest.mark.parametrize("token", ["no-such-token", "a.b.c", "x" * 200])
async def test_unknown_tokens(http: httpx.AsyncClient, token: str) -> None:
    assert (await introspect(http, token)).json() == {"active": False}
    assert (await http.post("/revoke", data={"token": token}, headers=SERVICE)).status_code == 200


async def test_unsupported_token_type_hint(http: httpx.AsyncClient) -> None:
    response = await http.post("/revoke", data={"token": "t", "token_type_hint": "id_token"}, headers=SERVICE)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_token_type"


@pytest.mark.parametrize("path", ["/introspect", "/revoke"])
async def test_client_authentication_is_required(http: httpx.AsyncClient, path: str) -> None:
    for headers in ({}, basic(SERVICE_ID, "wrong-secret-value")):
        response = await http.post(path, data={"token": "t"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


async def test_a_public_client_may_not_introspect(http: httpx.AsyncClient) -> None:
    token = await service_token(http)
    response = await http.post("/introspect", data={"token": token, "client_id": SPA_ID})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ["/introspect", "/revoke"])
@pytest.mark.parametrize(
    "body",
    ["", "token=a&token=b", "token=" + "x" * 9000, '{"token": "x"}'],
    ids=["missing", "duplicate", "huge", "json"],
)
async def test_malformed_requests(http: httpx.AsyncClient, path: str, body: str) -> None:
    headers = {**basic(WEB_ID, WEB_SECRET), "Content-Type": "application/x-www-form-urlencoded"}
    if body.startswith("{"):
        headers["Content-Type"] = "application/json"
    response = await http.post(path, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_refresh_token_is_shown_and_revoked_only_for_its_client(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    web = basic(WEB_ID, WEB_SECRET)
    code = await provider.mint_code(grant())
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT}
    refresh = (await http.post("/token", data=form, headers=web)).json()["refresh_token"]
    assert (await introspect(http, refresh)).json() == {"active": False}  # demo-service is not its client
    assert (await http.post("/revoke", data={"token": refresh}, headers=SERVICE)).status_code == 200
    mine = (await introspect(http, refresh, web)).json()
    assert mine["active"] is True
    assert mine["client_id"] == WEB_ID
    assert mine["sub"] == "subject-0001"
