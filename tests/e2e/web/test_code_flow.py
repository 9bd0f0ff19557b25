"""The authorization_code grant, refresh rotation and UserInfo over real HTTP, without the login UI.

The code is minted in-process into the broker's own key-value store, as the
login flow would after the upstream login; everything after that is HTTP.
"""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    SNAPSHOT,
    SPA_ID,
    SPA_REDIRECT,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Provider,
    at_hash,
    basic,
    grant,
)

WEB = basic(WEB_ID, WEB_SECRET)


async def exchange(http: httpx.AsyncClient, code: str, redirect_uri: str = WEB_REDIRECT) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return await http.post("/token", data=form, headers=WEB)


async def userinfo(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})


async def test_code_exchange_refresh_and_userinfo(http: httpx.AsyncClient, provider: Provider) -> None:
    code = await provider.mint_code(grant())
    response = await exchange(http, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["scope"] == "openid profile snils frmr offline_access"

    id_claims = provider.verify(tokens["id_token"], audience=WEB_ID)
    assert id_claims["nonce"] == "n-0S6_WzA2Mj"
    assert id_claims["at_hash"] == at_hash(tokens["access_token"])
    assert id_claims["sub"] == "subject-0001"
    assert id_claims["family_name"] == "Иванова"
    at_claims = provider.verify(tokens["access_token"], audience=provider.issuer, typ="at+jwt")
    assert at_claims["client_id"] == WEB_ID
    assert at_claims["sub"] == "subject-0001"

    info = await userinfo(http, tokens["access_token"])
    assert info.status_code == 200, info.text
    assert info.headers["cache-control"] == "no-store"
    assert info.json() == {
        "sub": "subject-0001",
        "name": "Иванова Мария Петровна",
        "family_name": "Иванова",
        "given_name": "Мария",
        "middle_name": "Петровна",
        "birthdate": "1985-03-14",
        "snils": SNAPSHOT["snils"],
        "frmr_person_id": "FRMR-0001",
        "frmr_organizations": SNAPSHOT["frmr_organizations"],
    }

    refreshed = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, headers=WEB
    )
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    refreshed_id = provider.verify(rotated["id_token"], audience=WEB_ID)
    assert "nonce" not in refreshed_id
    assert refreshed_id["auth_time"] == id_claims["auth_time"]
    assert (await userinfo(http, rotated["access_token"])).json()["snils"] == SNAPSHOT["snils"]

    narrowed = await http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": rotated["refresh_token"],
            "scope": "openid snils",
        },
        headers=WEB,
    )
    assert narrowed.status_code == 200, narrowed.text
    assert (await userinfo(http, narrowed.json()["access_token"])).json() == {
        "sub": "subject-0001",
        "snils": SNAPSHOT["snils"],
    }


async def test_userinfo_releases_only_the_scopes_claims(http: httpx.AsyncClient, provider: Provider) -> None:
    tokens = (await exchange(http, await provider.mint_code(grant(scope=("openid",))))).json()
    assert "refresh_token" not in tokens
    assert (await userinfo(http, tokens["access_token"])).json() == {"sub": "subject-0001"}

    tokens = (await exchange(http, await provider.mint_code(grant(scope=("openid", "frmr"))))).json()
    assert set((await userinfo(http, tokens["access_token"])).json()) == {
        "sub",
        "frmr_person_id",
        "frmr_organizations",
    }


async def test_userinfo_by_form_body(http: httpx.AsyncClient, provider: Provider) -> None:
    tokens = (await exchange(http, await provider.mint_code(grant()))).json()
    response = await http.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == "subject-0001"


async def test_userinfo_without_openid_is_insufficient_scope(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    tokens = (await exchange(http, await provider.mint_code(grant(scope=("profile",), nonce=None)))).json()
    assert "id_token" not in tokens
    response = await userinfo(http, tokens["access_token"])
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="openid"' in response.headers["www-authenticate"]

    service = await http.post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic(SERVICE_ID, SERVICE_SECRET)
    )
    assert (await userinfo(http, service.json()["access_token"])).status_code == 403


async def test_a_revoked_access_token_is_refused_by_userinfo(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    tokens = (await exchange(http, await provider.mint_code(grant()))).json()
    assert (
        await http.post("/revoke", data={"token": tokens["access_token"]}, headers=WEB)
    ).status_code == 200
    response = await userinfo(http, tokens["access_token"])
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="frmr-sso", error="invalid_token"')


async def test_revoking_the_refresh_token_ends_the_family(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    tokens = (await exchange(http, await provider.mint_code(grant()))).json()
    refresh = tokens["refresh_token"]
    introspected = await http.post("/introspect", data={"token": refresh}, headers=WEB)
    assert introspected.json()["active"] is True
    assert introspected.json()["token_type"] == "refresh_token"
    assert (await http.post("/revoke", data={"token": refresh}, headers=WEB)).status_code == 200
    again = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": refresh}, headers=WEB
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_code_replay_and_mismatches(http: httpx.AsyncClient, provider: Provider) -> None:
    code = await provider.mint_code(grant())
    assert (await exchange(http, code, "http://127.0.0.1:9999/other")).json()["error"] == "invalid_grant"
    code = await provider.mint_code(grant())
    first = await exchange(http, code)
    assert first.status_code == 200
    replay = await exchange(http, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: what the replayed code was exchanged for is revoked
    assert (await userinfo(http, first.json()["access_token"])).status_code == 401


async def test_a_code_of_another_client(http: httpx.AsyncClient, provider: Provider) -> None:
    code = await provider.mint_code(
        grant(client_id="demo-spa", redirect_uri="http://127.0.0.1:9998/callback")
    )
    response = await exchange(http, code, "http://127.0.0.1:9998/callback")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("request_args", "status", "error"),
    [
        ({"params": {"access_token": "x.y.z"}}, 400, "invalid_request"),
        ({"headers": {"Authorization": "Bearer garbage"}}, 401, "invalid_token"),
        ({"headers": {"Authorization": "Bearer a.b.c"}}, 401, "invalid_token"),
        ({"headers": {"Authorization": "Basic Zm9vOmJhcg=="}}, 401, None),
        ({}, 401, None),
    ],
    ids=["query", "garbage", "not-ours", "basic", "none"],
)
async def test_userinfo_failures_carry_a_bearer_challenge(
    http: httpx.AsyncClient, request_args: dict[str, dict[str, str]], status: int, error: str | None
) -> None:
    response = await http.get("/userinfo", **request_args)
    assert response.status_code == status, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="frmr-sso"')
    if error is None:
        assert "error=" not in challenge
    else:
        assert f'error="{error}"' in challenge


async def test_userinfo_refuses_two_token_carriers(http: httpx.AsyncClient, provider: Provider) -> None:
    token = (await exchange(http, await provider.mint_code(grant()))).json()["access_token"]
    response = await http.post(
        "/userinfo", data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_an_expired_code(http: httpx.AsyncClient, provider: Provider) -> None:
    code = await provider.mint_code(grant(), ttl=0.2)
    await asyncio.sleep(0.4)
    assert (await exchange(http, code)).json()["error"] == "invalid_grant"


async def test_public_client_with_pkce(http: httpx.AsyncClient, provider: Provider) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
    spa = dataclasses.replace(
        grant(client_id=SPA_ID, redirect_uri=SPA_REDIRECT, scope=("openid", "snils")),
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    form = {"grant_type": "authorization_code", "redirect_uri": SPA_REDIRECT, "client_id": SPA_ID}
    wrong = await http.post(
        "/token", data={**form, "code": await provider.mint_code(spa), "code_verifier": "x" * 43}
    )
    assert wrong.json()["error"] == "invalid_grant"
    response = await http.post(
        "/token", data={**form, "code": await provider.mint_code(spa), "code_verifier": verifier}
    )
    assert response.status_code == 200, response.text
    assert provider.verify(response.json()["id_token"], audience=SPA_ID)["sub"] == "subject-0001"
    assert (await userinfo(http, response.json()["access_token"])).json() == {
        "sub": "subject-0001",
        "snils": SNAPSHOT["snils"],
    }
