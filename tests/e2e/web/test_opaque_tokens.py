"""Opaque access tokens over real HTTP: token → introspection → UserInfo → an API → revocation → refused.

A relying party registered with ``access_token_format: opaque`` (the clients file) and the demo
service ``demo-service-opaque`` get 51-character handles instead of JWTs; every endpoint that
takes a Bearer token accepts them, and once revoked they are refused everywhere.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    WEB_REDIRECT,
    Provider,
    basic,
    grant,
    provider_on_own_database,
)
from tests.support.databases import Databases

RP_ID, RP_SECRET = "opaque-rp", "opaque-rp-secret-value"
OPAQUE_SERVICE = basic("demo-service-opaque", "demo-service-opaque-secret")
RP = basic(RP_ID, RP_SECRET)
RESOURCE_SERVER = basic(SERVICE_ID, SERVICE_SECRET)
EXTRA = f"""
- client_id: {RP_ID}
  name: Relying party behind mod_auth_openidc
  secret: {RP_SECRET}
  redirect_uris: [{WEB_REDIRECT}]
  grant_types: [authorization_code, refresh_token]
  scopes: [openid, profile, snils, frmr, offline_access]
  access_token_format: opaque
"""


@pytest.fixture(scope="module")
async def provider(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> object:
    async with provider_on_own_database(
        databases, redis_url, tmp_path_factory.mktemp("opaque"), extra_clients=EXTRA
    ) as (running, _):
        yield running


@pytest.fixture
async def http(provider: Provider) -> object:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as client:
        yield client


async def introspect(http: httpx.AsyncClient, token: str) -> dict[str, object]:
    response = await http.post("/introspect", data={"token": token}, headers=RESOURCE_SERVER)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_person_token_through_every_endpoint(http: httpx.AsyncClient, provider: Provider) -> None:
    code = await provider.mint_code(grant(client_id=RP_ID))
    response = await http.post(
        "/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
        headers=RP,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["access_token"]
    assert token.startswith("frmr_at_")
    assert len(token) == 51
    assert body["token_type"] == "Bearer"
    assert provider.verify(body["id_token"], audience=RP_ID)["sub"] == "subject-0001"

    details = await introspect(http, token)
    assert details["active"] is True
    assert (details["client_id"], details["sub"], details["iss"]) == (RP_ID, "subject-0001", provider.issuer)
    info = await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200, info.text
    assert info.json()["family_name"] == "Иванова"

    revoked = await http.post("/revoke", data={"token": token}, headers=RP)
    assert revoked.status_code == 200
    assert await introspect(http, token) == {"active": False}
    refused = await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_a_service_token_at_an_api(http: httpx.AsyncClient) -> None:
    response = await http.post("/token", data={"grant_type": "client_credentials"}, headers=OPAQUE_SERVICE)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert token.startswith("frmr_at_")
    assert (await introspect(http, token))["scope"] == "frmr frmr.registry.read"
    bearer = {"Authorization": f"Bearer {token}"}
    found = await http.post("/api/v1/registry/lookup", json={"frmr_id": "FRMR-0000001"}, headers=bearer)
    assert found.status_code == 200, found.text
    assert found.json()["frmr_id"] == "FRMR-0000001"

    assert (await http.post("/revoke", data={"token": token}, headers=OPAQUE_SERVICE)).status_code == 200
    refused = await http.post("/api/v1/registry/lookup", json={"frmr_id": "FRMR-0000001"}, headers=bearer)
    assert refused.status_code == 401
    assert (await introspect(http, token)) == {"active": False}


async def test_the_refresh_token_revokes_its_opaque_access_token(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    code = await provider.mint_code(grant(client_id=RP_ID))
    first = (await http.post(
        "/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
        headers=RP,
    )).json()
    rotated = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=RP
    )
    assert rotated.status_code == 200, rotated.text
    access = rotated.json()["access_token"]
    assert access.startswith("frmr_at_")
    assert (await introspect(http, access))["active"] is True
    await http.post("/revoke", data={"token": rotated.json()["refresh_token"]}, headers=RP)
    assert await introspect(http, access) == {"active": False}
