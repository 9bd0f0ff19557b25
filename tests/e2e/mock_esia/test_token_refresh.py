"""``POST /aas/oauth2/v3/te`` with ``grant_type=refresh_token``, and the published keys."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from mock_esia.jws import parse
from tests.e2e.mock_esia.protocol import DOCTOR, Esia, assert_error, running_esia, verify_rs256


@pytest.fixture(scope="module")
async def esia(redis_url: str | None) -> AsyncIterator[Esia]:
    async with running_esia(redis_url) as running:
        yield running



async def _offline(esia: Esia, client_id: str = "RSA01") -> str:
    body = await esia.tokens(client_id, access_type="offline")
    uuid.UUID(body["refresh_token"])
    return str(body["refresh_token"])


async def test_online_access_has_no_refresh_token(esia: Esia) -> None:
    assert "refresh_token" not in await esia.tokens(access_type="online")


@pytest.mark.parametrize("client_id", ["RSA01", "GOST01"])
async def test_refresh_rotates(esia: Esia, client_id: str) -> None:
    first = await _offline(esia, client_id)
    form = esia.te_form(client_id, refresh_token=first)
    response = await esia.te(form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == form["state"]
    second = body["refresh_token"]
    assert second != first
    claims = verify_rs256(esia, body["id_token"], audience=client_id)
    assert claims["sub"] == str(DOCTOR)
    stale = esia.te_form(client_id, refresh_token=first)
    assert_error(await esia.te(stale), "ESIA-007011", stale["state"])
    assert (await esia.te(esia.te_form(client_id, refresh_token=second))).status_code == 200


async def test_refresh_token_of_another_client_is_refused_but_kept(esia: Esia) -> None:
    token = await _offline(esia, "RSA01")
    form = esia.te_form("RSA02", refresh_token=token)
    assert_error(await esia.te(form), "ESIA-007011", form["state"])
    assert (await esia.te(esia.te_form("RSA01", refresh_token=token))).status_code == 200


async def test_refresh_signature_is_over_the_authorization_string(esia: Esia) -> None:
    token = await _offline(esia)
    form = esia.te_form(refresh_token=token)
    form["client_secret"] = esia.te_form(code=token, state=form["state"], timestamp=form["timestamp"])[
        "client_secret"
    ]
    assert_error(await esia.te(form), "ESIA-008010", form["state"])


async def test_refresh_needs_a_registered_redirect_uri(esia: Esia) -> None:
    token = await _offline(esia)
    form = esia.te_form(refresh_token=token, redirect_uri="http://127.0.0.1:9/elsewhere")
    assert_error(await esia.te(form), "ESIA-007023", form["state"])


async def test_parallel_refreshes_succeed_once(esia: Esia) -> None:
    token = await _offline(esia)
    responses = await asyncio.gather(*(esia.te(esia.te_form(refresh_token=token)) for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [200] + [400] * 9


async def test_unknown_refresh_token_is_007011(esia: Esia) -> None:
    form = esia.te_form(refresh_token=str(uuid.uuid4()))
    assert_error(await esia.te(form), "ESIA-007011", form["state"])


# --- keys ---------------------------------------------------------------------------------------


async def test_jwks_aliases_and_rotation(esia: Esia) -> None:
    before = await esia.tokens()
    jwks = (await esia.http.get("/jwks")).json()
    assert jwks == (await esia.http.get("/aas/oauth2/jwks")).json()
    rotated = (await esia.http.post("/_dev/keys/rotate")).json()
    after = (await esia.http.get("/jwks")).json()
    assert [k["kid"] for k in after["keys"]] == rotated["kids"]
    assert rotated["kid"] == after["keys"][0]["kid"] != jwks["keys"][0]["kid"]
    assert jwks["keys"][0] in after["keys"]
    verify_rs256(esia, before["id_token"], audience="RSA01")
    fresh = await esia.tokens()
    assert parse(fresh["id_token"])[0]["kid"] == rotated["kid"]
    person = await esia.http.get(
        f"/rs/prns/{DOCTOR}", headers={"Authorization": f"Bearer {before['access_token']}"}
    )
    assert person.status_code == 200


async def test_tokens_carry_the_configured_issuer(redis_url: str | None) -> None:
    async with running_esia(redis_url, issuer="http://esia.gosuslugi.ru/") as esia:
        body = await esia.tokens()
        claims = verify_rs256(esia, body["id_token"], audience="RSA01", issuer="http://esia.gosuslugi.ru/")
        assert claims["iss"] == "http://esia.gosuslugi.ru/"
        assert int(claims["exp"]) > time.time()  # type: ignore[call-overload]


async def test_gost_signed_tokens(redis_url: str | None) -> None:
    async with running_esia(redis_url, token_alg="GOST3410_2012_256") as esia:
        body = await esia.tokens("GOST01")
        header, claims = esia.state.keys.verify(body["id_token"])
        assert header["alg"] == "GOST3410_2012_256"
        assert claims["aud"] == "GOST01"
        (jwk,) = (await esia.http.get("/jwks")).json()["keys"]
        assert jwk["kty"] == "GOST3410"
        assert jwk["kid"] == header["kid"]
        person = await esia.http.get(
            f"/rs/prns/{DOCTOR}", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert person.json()["snils"] == "112-233-445 95"
