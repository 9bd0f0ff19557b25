"""``POST /aas/oauth2/v3/te`` over real HTTP: both signatures, one-time codes, refresh rotation, errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from mock_esia.clients import RegisteredClient
from mock_esia.jws import parse
from tests.e2e.mock_esia.protocol import (
    CERT,
    DOCTOR,
    OTHER_REDIRECT_URI,
    RSA_SIGNER,
    SCOPE,
    STANDARD,
    TE,
    Esia,
    assert_error,
    now_timestamp,
    running_esia,
    verify_rs256,
)


@pytest.fixture(scope="module")
async def esia(redis_url: str | None) -> AsyncIterator[Esia]:
    async with running_esia(redis_url) as running:
        yield running


@pytest.mark.parametrize("client_id", ["RSA01", "GOST01"])
@pytest.mark.parametrize("padded", [False, True], ids=["unpadded", "padded"])
async def test_code_exchange(esia: Esia, client_id: str, padded: bool) -> None:
    code = await esia.login(client_id)
    form = esia.te_form(client_id, code=code, padded=padded)
    response = await esia.te(form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "id_token", "state", "token_type", "expires_in"}
    assert body["state"] == form["state"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == esia.settings.access_token_ttl
    assert response.headers["cache-control"] == "no-store"
    claims = verify_rs256(esia, body["id_token"], audience=client_id, issuer=esia.settings.issuer)
    assert claims["sub"] == str(DOCTOR)
    access = verify_rs256(esia, body["access_token"], issuer=esia.settings.issuer)
    assert access["scope"] == f"openid fullname?oid={DOCTOR} snils?oid={DOCTOR}"
    assert access["client_id"] == client_id
    assert parse(body["access_token"])[0]["sbt"] == "access"


async def test_unconfirmed_account_token_has_no_is_tru(esia: Esia) -> None:
    body = await esia.tokens("RSA01", STANDARD)
    subject = verify_rs256(esia, body["id_token"], audience="RSA01")["urn:esia:sbj"]
    assert isinstance(subject, dict)
    assert subject["urn:esia:sbj:lvl"] == "P"
    assert "urn:esia:sbj:is_tru" not in subject


async def test_code_is_single_use(esia: Esia) -> None:
    code = await esia.login()
    assert (await esia.te(esia.te_form(code=code))).status_code == 200
    form = esia.te_form(code=code)
    assert_error(await esia.te(form), "ESIA-007011", form["state"])


async def test_parallel_redemptions_of_one_code_succeed_once(esia: Esia) -> None:
    code = await esia.login()
    forms = [esia.te_form(code=code) for _ in range(20)]
    responses = await asyncio.gather(*(esia.te(form) for form in forms))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 19
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error_description"].startswith("ESIA-007011")


async def test_unknown_code_is_007011(esia: Esia) -> None:
    form = esia.te_form(code="no-such-code")
    assert_error(await esia.te(form), "ESIA-007011", form["state"])


async def test_code_of_another_client_is_007011_and_burnt(esia: Esia) -> None:
    code = await esia.login("RSA01")
    form = esia.te_form("RSA02", code=code)
    assert_error(await esia.te(form), "ESIA-007011", form["state"])
    form = esia.te_form("RSA01", code=code)
    assert_error(await esia.te(form), "ESIA-007011", form["state"])


async def test_redirect_uri_must_match_the_code(esia: Esia) -> None:
    code = await esia.login()
    form = esia.te_form(code=code, redirect_uri=OTHER_REDIRECT_URI)
    assert_error(await esia.te(form), "ESIA-007011", form["state"])


async def test_scope_beyond_the_grant_is_007006(esia: Esia) -> None:
    code = await esia.login()
    form = esia.te_form(code=code, scope=SCOPE + " inn")
    assert_error(await esia.te(form), "ESIA-007006", form["state"])


async def test_state_of_the_authorization_request_cannot_be_reused(esia: Esia) -> None:
    state = str(uuid.uuid4())
    code = await esia.login(state=state)
    form = esia.te_form(code=code, state=state)
    assert_error(await esia.te(form), "ESIA-007003", state)


async def test_token_request_state_cannot_be_reused(esia: Esia) -> None:
    state = str(uuid.uuid4())
    first = await esia.te(esia.te_form(code=await esia.login(), state=state))
    assert first.status_code == 200
    form = esia.te_form(code=await esia.login(), state=state)
    assert_error(await esia.te(form), "ESIA-007003", state)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"grant_type": None}, "ESIA-007014"),
        ({"grant_type": "password"}, "ESIA-007009"),
        ({"grant_type": "client_credentials"}, "ESIA-007009"),
        ({"code": None}, "ESIA-007014"),
        ({"client_secret": None}, "ESIA-007014"),
        ({"client_certificate_hash": None}, "ESIA-007014"),
        ({"redirect_uri": None}, "ESIA-007014"),
        ({"scope": None}, "ESIA-007014"),
        ({"timestamp": None}, "ESIA-007014"),
        ({"client_id": "UNKNOWN01"}, "ESIA-008010"),
        ({"token_type": "MAC"}, "ESIA-007003"),
        ({"client_certificate_hash": "D" * 64}, "ESIA-007002"),
        ({"timestamp": "2024.05.17 14:36:11"}, "ESIA-007003"),
        ({"timestamp": now_timestamp(timedelta(minutes=-10))}, "ESIA-007015"),
        ({"state": "not-a-uuid"}, "ESIA-007003"),
        ({"scope": "openid everything"}, "ESIA-007006"),
        ({"client_secret": "@@@"}, "ESIA-007053"),
        ({"client_secret": "bm90IGEgc2lnbmF0dXJl"}, "ESIA-008010"),
    ],
)
async def test_errors_are_400_json_with_the_state(
    esia: Esia, overrides: dict[str, str | None], code: str
) -> None:
    changed = {k: v for k, v in overrides.items() if v is not None and k != "client_id"}
    form = esia.te_form(overrides.get("client_id") or "RSA01", code="some-code", **changed)
    for name in [k for k, v in overrides.items() if v is None]:
        del form[name]
    assert_error(await esia.te(form), code, form.get("state"))


async def test_missing_client_id_and_state(esia: Esia) -> None:
    form = esia.te_form(code="some-code")
    del form["client_id"]
    assert_error(await esia.te(form), "ESIA-007014", form["state"])
    form = esia.te_form(code="some-code")
    del form["state"]
    assert_error(await esia.te(form), "ESIA-007014", None)


async def test_signature_without_the_code_is_008010(esia: Esia) -> None:
    code = await esia.login()
    form = esia.te_form(code=code)
    form["client_secret"] = esia.te_form(code="", state=form["state"], timestamp=form["timestamp"])[
        "client_secret"
    ]
    assert_error(await esia.te(form), "ESIA-008010", form["state"])
    form = esia.te_form(code=code)  # the failed authentication did not burn the code
    assert (await esia.te(form)).status_code == 200


async def test_client_not_allowed_refresh_is_007005(esia: Esia) -> None:
    form = esia.te_form("NARROW01", refresh_token=str(uuid.uuid4()), scope="openid")
    assert_error(await esia.te(form), "ESIA-007005", form["state"])


async def test_inactive_certificate_is_007053(esia: Esia) -> None:
    client = RegisteredClient(
        client_id="FLIP01", redirect_uris=(esia.te_form()["redirect_uri"],), certificate_hash=CERT,
        public_key=RSA_SIGNER.public_key_pem(), require_trusted=False,
    )
    esia.state.clients.register(client)
    code = await esia.login("FLIP01")
    esia.state.clients.register(RegisteredClient(**{**client.__dict__, "active": False}))
    form = esia.te_form("FLIP01", code=code)
    assert_error(await esia.te(form), "ESIA-007053", form["state"])


async def test_malformed_bodies_are_007003(esia: Esia) -> None:
    form = esia.te_form(code="c")
    duplicated = httpx.QueryParams([*form.items(), ("code", "d")])
    response = await esia.http.post(
        TE, content=str(duplicated), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, "ESIA-007003", form["state"])
    assert_error(await esia.http.post(TE, json=form), "ESIA-007003", None)
    response = await esia.http.post(TE, data={**form, "scope_org": "x" * 5000})
    assert_error(response, "ESIA-007003", form["state"])
    response = await esia.http.post(
        TE, content=b"state=\xff", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, "ESIA-007003", None)
    response = await esia.http.post(
        TE, content=b"a=" + b"x" * 100_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, "ESIA-007003", None)
