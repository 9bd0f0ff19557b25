"""Injected failures over real HTTP: each mode, its scope, and that clearing it restores service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from mock_esia.errors import ESIA_MESSAGES
from tests.e2e.mock_esia.protocol import AC, DOCTOR, TE, Esia, running_esia

FAULTS = "/_dev/faults"


@pytest.fixture
async def esia(redis_url: str | None) -> AsyncIterator[Esia]:
    async with running_esia(redis_url) as running:
        yield running


async def put(esia: Esia, **config: Any) -> None:
    response = await esia.http.put(FAULTS, json=config)
    assert response.status_code == 200, response.text


async def clear(esia: Esia) -> None:
    assert (await esia.http.delete(FAULTS)).status_code == 204


def assert_esia_json(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error_description"] == f"{code}: {ESIA_MESSAGES[code]}"


async def test_dev_endpoints_do_not_exist_without_dev_mode(redis_url: str | None) -> None:
    async with running_esia(redis_url, dev=False) as esia:
        endpoints = [("GET", FAULTS), ("PUT", FAULTS), ("DELETE", FAULTS)]
        for method, path in [*endpoints, ("POST", "/_dev/keys/rotate"), ("POST", "/_dev/codes")]:
            response = await esia.http.request(method, path, json={})
            assert response.status_code == 404, (method, path)
        assert (await esia.ac(esia.ac_params())).status_code == 302


async def test_read_replace_and_validate_the_config(esia: Esia) -> None:
    initial = (await esia.http.get(FAULTS)).json()
    assert initial["status"] is None
    assert initial["scope"] == ["all"]
    await put(esia, latency=0.1, scope=["te", "rs"], token="expired")
    current = (await esia.http.get(FAULTS)).json()
    assert (current["latency"], current["scope"], current["token"]) == (0.1, ["te", "rs"], "expired")
    for invalid in ({"status": 404}, {"latency": 31}, {"scope": ["xyz"]}, {"token": "weird"}, {"bogus": 1},
                    {"probability": 2}, {"downtime": "maybe"}, {"scope": []}):
        response = await esia.http.put(FAULTS, json=invalid)
        assert response.status_code == 422, invalid
    await clear(esia)
    assert (await esia.http.get(FAULTS)).json() == initial


async def test_latency(esia: Esia) -> None:
    await put(esia, latency=0.5, scope=["jwks"])
    started = time.monotonic()
    assert (await esia.http.get("/jwks")).status_code == 200
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    await esia.ac(esia.ac_params())
    assert time.monotonic() - started < 0.5, "ac is outside the fault's scope"
    await clear(esia)
    started = time.monotonic()
    await esia.http.get("/jwks")
    assert time.monotonic() - started < 0.5


async def test_status_for_a_count_then_normal_service(esia: Esia) -> None:
    code = await esia.login()
    await put(esia, status=503, count=2, scope=["te"])
    for _ in range(2):
        response = await esia.te(esia.te_form(code=code))
        assert_esia_json(response, 503, "ESIA-007008")
        assert response.headers["retry-after"] == "30"
    assert (await esia.http.get(FAULTS)).json()["status"] is None
    response = await esia.te(esia.te_form(code=code))
    assert response.status_code == 200, "the failed attempts never reached the endpoint: the code is intact"


async def test_status_500_until_cleared(esia: Esia) -> None:
    await put(esia, status=500, scope=["ac"])
    for _ in range(3):
        assert_esia_json(await esia.ac(esia.ac_params()), 500, "ESIA-007007")
    assert (await esia.http.get("/health")).status_code == 200
    await clear(esia)
    assert (await esia.ac(esia.ac_params())).status_code == 302


async def test_status_with_probability(esia: Esia) -> None:
    await put(esia, status=502, probability=0.0)
    assert all([(await esia.http.get("/jwks")).status_code == 200 for _ in range(5)])
    await put(esia, status=502, probability=0.5)
    statuses = {(await esia.http.get("/jwks")).status_code for _ in range(60)}
    assert statuses == {200, 502}


async def test_timeout_hangs_past_the_client_timeout(esia: Esia) -> None:
    token = (await esia.tokens(scope="openid fullname"))["access_token"]
    await put(esia, timeout=True, scope=["rs"])
    with pytest.raises(httpx.ReadTimeout):
        await esia.http.get(f"/rs/prns/{DOCTOR}", headers={"Authorization": f"Bearer {token}"}, timeout=0.3)
    assert (await esia.http.get("/jwks", timeout=2)).status_code == 200
    await clear(esia)
    assert await _person_status(esia, token) == 200


async def test_a_hang_is_bounded_then_504(esia: Esia) -> None:
    await put(esia, timeout=True, hang_seconds=0.5)
    started = time.monotonic()
    response = await esia.http.get("/jwks", timeout=5)
    assert 0.5 <= time.monotonic() - started < 3
    assert_esia_json(response, 504, "ESIA-007008")


async def test_clearing_releases_hanging_requests(esia: Esia) -> None:
    await put(esia, timeout=True)
    started = time.monotonic()
    hanging = asyncio.ensure_future(esia.http.get("/jwks", timeout=10))
    await asyncio.sleep(0.3)
    assert not hanging.done()
    await clear(esia)
    response = await hanging
    assert time.monotonic() - started < 5
    assert response.status_code == 504


async def test_downtime_503_on_every_protocol_endpoint(esia: Esia) -> None:
    code = await esia.login()
    await put(esia, downtime="503")
    responses = [
        await esia.ac(esia.ac_params()),
        await esia.te(esia.te_form(code=code)),
        await esia.http.get(f"/rs/prns/{DOCTOR}"),
        await esia.http.get("/jwks"),
        await esia.http.get("/login", params={"tx": "x"}),
    ]
    for response in responses:
        assert_esia_json(response, 503, "ESIA-007008")
        assert response.headers["retry-after"] == "30"
    assert (await esia.http.get("/health")).status_code == 200
    assert (await esia.http.get(FAULTS)).status_code == 200
    await clear(esia)
    assert (await esia.te(esia.te_form(code=code))).status_code == 200


async def test_downtime_drop_closes_the_connection(esia: Esia) -> None:
    await put(esia, downtime="drop", scope=["te"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await esia.http.post(TE, data={"grant_type": "authorization_code"})
    assert (await esia.http.get(AC)).status_code == 400, "ac is outside the fault's scope"
    await clear(esia)
    assert (await esia.http.post(TE, data={"grant_type": "authorization_code"})).status_code == 400


def _decode(esia: Esia, token: str, **checks: Any) -> dict[str, Any]:
    """PyJWT against the published JWKS: an independent relying party's view."""
    jwks = httpx.get(esia.base + "/jwks").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience="RSA01", **checks)
    return claims


async def _tokens_with(esia: Esia, fault: str) -> dict[str, Any]:
    code = await esia.login(scope="openid fullname")
    await put(esia, token=fault, scope=["te"])
    response = await esia.te(esia.te_form(code=code, scope="openid fullname"))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _person_status(esia: Esia, access_token: str) -> int:
    response = await esia.http.get(f"/rs/prns/{DOCTOR}", headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


async def test_token_fault_unsigned(esia: Esia) -> None:
    body = await _tokens_with(esia, "unsigned")
    assert jwt.get_unverified_header(body["id_token"])["alg"] == "none"
    assert body["id_token"].endswith(".")
    assert await _person_status(esia, body["access_token"]) == 401


async def test_token_fault_wrong_key(esia: Esia) -> None:
    body = await _tokens_with(esia, "wrong_key")
    with pytest.raises(jwt.InvalidSignatureError):
        _decode(esia, body["id_token"])
    assert await _person_status(esia, body["access_token"]) == 401


async def test_token_fault_wrong_issuer(esia: Esia) -> None:
    body = await _tokens_with(esia, "wrong_issuer")
    with pytest.raises(jwt.InvalidIssuerError):
        _decode(esia, body["id_token"], issuer=esia.settings.issuer)
    assert await _person_status(esia, body["access_token"]) == 401


async def test_token_fault_wrong_audience(esia: Esia) -> None:
    body = await _tokens_with(esia, "wrong_audience")
    with pytest.raises(jwt.InvalidAudienceError):
        _decode(esia, body["id_token"])


async def test_token_fault_expired_then_cleared(esia: Esia) -> None:
    body = await _tokens_with(esia, "expired")
    with pytest.raises(jwt.ExpiredSignatureError):
        _decode(esia, body["id_token"])
    assert await _person_status(esia, body["access_token"]) == 401
    await clear(esia)
    body = await esia.tokens(scope="openid fullname")
    claims = _decode(esia, body["id_token"], issuer=esia.settings.issuer)
    assert claims["sub"] == str(DOCTOR)
    assert await _person_status(esia, body["access_token"]) == 200


async def test_token_fault_outside_its_scope_does_nothing(esia: Esia) -> None:
    await put(esia, token="unsigned", scope=["rs"])
    body = await esia.tokens(scope="openid fullname")
    assert jwt.get_unverified_header(body["id_token"])["alg"] == "RS256"
