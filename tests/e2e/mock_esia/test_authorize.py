"""``GET /aas/oauth2/v2/ac`` over real HTTP: ESIA's checks, their order, and how errors travel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from mock_esia.errors import ESIA_MESSAGES, OAUTH_ERROR
from mock_esia.routes.authorize import MANDATORY
from tests.e2e.mock_esia.protocol import (
    AC,
    DOCTOR,
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    STANDARD,
    Esia,
    now_timestamp,
    redirect_query,
    running_esia,
)


@pytest.fixture(scope="module")
async def esia(redis_url: str | None) -> AsyncIterator[Esia]:
    async with running_esia(redis_url, max_parameter_length=1024) as running:
        yield running


def assert_json_error(response: httpx.Response, code: str, state: str | None = None) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("application/json")
    expected = {"error": OAUTH_ERROR[code], "error_description": f"{code}: {ESIA_MESSAGES[code]}"}
    if state:
        expected["state"] = state
    assert response.json() == expected


def assert_redirect_error(
    response: httpx.Response, code: str, state: str, redirect_uri: str = REDIRECT_URI
) -> None:
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith(redirect_uri + "?")
    assert redirect_query(response) == {
        "error": OAUTH_ERROR[code],
        "error_description": f"{code}: {ESIA_MESSAGES[code]}",
        "state": state,
    }


@pytest.mark.parametrize("client_id", ["RSA01", "GOST01"])
@pytest.mark.parametrize("padded", [False, True], ids=["unpadded", "padded"])
async def test_a_valid_request_goes_to_the_login_page(esia: Esia, client_id: str, padded: bool) -> None:
    params = esia.ac_params(client_id, padded=padded)
    assert params["client_secret"].endswith("=") is padded
    response = await esia.ac(params)
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith("/login?tx=")
    assert response.headers["cache-control"] == "no-store"
    tx = response.headers["location"].split("tx=", 1)[1]
    minted = await esia.http.post("/_dev/codes", json={"tx": tx, "oid": DOCTOR})
    location = minted.json()["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [params["state"]]
    assert len(query["code"][0]) >= 32


async def test_the_transaction_is_single_use(esia: Esia) -> None:
    response = await esia.ac(esia.ac_params())
    tx = response.headers["location"].split("tx=", 1)[1]
    assert (await esia.http.post("/_dev/codes", json={"tx": tx, "oid": DOCTOR})).status_code == 200
    assert (await esia.http.post("/_dev/codes", json={"tx": tx, "oid": DOCTOR})).status_code == 404


async def test_offline_access_and_scope_org_are_accepted(esia: Esia) -> None:
    response = await esia.ac(esia.ac_params(access_type="offline", scope_org="1.2.643.5.1.13"))
    assert response.headers["location"].startswith("/login?tx=")


async def test_access_type_defaults_to_online(esia: Esia) -> None:
    response = await esia.ac(esia.ac_params(access_type=None))
    assert response.headers["location"].startswith("/login?tx=")


async def test_a_trusted_only_client_refuses_an_unconfirmed_account(esia: Esia) -> None:
    params = esia.ac_params("TRUSTED01")
    response = await esia.ac(params)
    tx = response.headers["location"].split("tx=", 1)[1]
    minted = await esia.http.post("/_dev/codes", json={"tx": tx, "oid": STANDARD})
    query = {k: v[0] for k, v in parse_qs(urlsplit(minted.json()["location"]).query).items()}
    assert query == {
        "error": "access_denied",
        "error_description": f"ESIA-007055: {ESIA_MESSAGES['ESIA-007055']}",
        "state": params["state"],
    }


# --- before the client and redirect_uri are trusted: HTTP 400 JSON, never a redirect -------------------


async def test_duplicated_parameter_is_007003_json(esia: Esia) -> None:
    params = esia.ac_params()
    pairs = [*params.items(), ("scope", "openid")]
    assert_json_error(await esia.ac(pairs), "ESIA-007003", params["state"])


async def test_duplicated_state_is_007003_without_echo(esia: Esia) -> None:
    params = esia.ac_params()
    pairs = [*params.items(), ("state", params["state"])]
    assert_json_error(await esia.ac(pairs), "ESIA-007003")


async def test_oversized_parameter_is_007003_json(esia: Esia) -> None:
    params = esia.ac_params(scope_org="x" * 1025)
    assert_json_error(await esia.ac(params), "ESIA-007003", params["state"])


@pytest.mark.parametrize(
    "query",
    ["client_id=%FF", "client_id=a%00b", "client_id=a%0Ab", "&".join(f"p{i}=1" for i in range(70))],
)
async def test_malformed_query_is_007003_json(esia: Esia, query: str) -> None:
    response = await esia.http.get(f"{AC}?{query}")
    assert_json_error(response, "ESIA-007003")


@pytest.mark.parametrize("name", MANDATORY)
async def test_missing_mandatory_parameter_is_007014_json(esia: Esia, name: str) -> None:
    params = esia.ac_params()
    del params[name]
    assert_json_error(await esia.ac(params), "ESIA-007014", params.get("state"))


async def test_empty_mandatory_parameter_counts_as_missing(esia: Esia) -> None:
    params = esia.ac_params(timestamp="")
    assert_json_error(await esia.ac(params), "ESIA-007014", params["state"])


async def test_unknown_client_is_007002_json(esia: Esia) -> None:
    params = esia.ac_params("UNKNOWN01")
    assert_json_error(await esia.ac(params), "ESIA-007002", params["state"])


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:9/esia/callback/",
        "http://127.0.0.1:9/esia/callback?x=1",
        "http://127.0.0.1:10/esia/callback",
        "http://evil.example/esia/callback",
        "HTTP://127.0.0.1:9/esia/callback",
    ],
)
async def test_unregistered_redirect_uri_is_007023_json(esia: Esia, redirect_uri: str) -> None:
    params = esia.ac_params(redirect_uri=redirect_uri)
    assert_json_error(await esia.ac(params), "ESIA-007023", params["state"])


# --- after: 302 to the redirect_uri with error, error_description and state ---------------------------


@pytest.mark.parametrize(
    ("client_id", "overrides", "code"),
    [
        ("RSA01", {"client_certificate_hash": "D" * 64}, "ESIA-007002"),
        ("RSA01", {"scope": None}, "ESIA-007013"),
        ("RSA01", {"scope": ""}, "ESIA-007013"),
        ("RSA01", {"scope": "openid everything"}, "ESIA-007006"),
        ("NARROW01", {"scope": "openid snils"}, "ESIA-007006"),
        ("RSA01", {"response_type": "token"}, "ESIA-007003"),
        ("RSA01", {"state": "not-a-uuid"}, "ESIA-007003"),
        ("RSA01", {"access_type": "forever"}, "ESIA-007003"),
        ("NARROW01", {"access_type": "offline", "scope": "openid"}, "ESIA-007005"),
        ("RSA01", {"timestamp": "2024-05-17 14:36:11 +0300"}, "ESIA-007003"),
        ("RSA01", {"timestamp": now_timestamp().replace("+", " ")}, "ESIA-007003"),
        ("RSA01", {"timestamp": timedelta(minutes=-6)}, "ESIA-007015"),  # shifted from the time of the test,
        ("RSA01", {"timestamp": timedelta(minutes=6)}, "ESIA-007015"),  # not of the collection
        ("RSA01", {"client_secret": "bm90IGEgc2lnbmF0dXJl"}, "ESIA-007053"),
        ("RSA01", {"client_secret": "not base64url!"}, "ESIA-007053"),
        ("GOST01", {"client_secret": "A" * 86}, "ESIA-007053"),
        ("INACTIVE01", {}, "ESIA-007053"),
        ("NOKEY01", {}, "ESIA-007053"),
    ],
)
async def test_errors_after_the_client_is_known_redirect(
    esia: Esia, client_id: str, overrides: dict[str, str | timedelta | None], code: str
) -> None:
    resolved = {k: now_timestamp(v) if isinstance(v, timedelta) else v for k, v in overrides.items()}
    params = esia.ac_params(client_id, **resolved)
    assert_redirect_error(await esia.ac(params), code, params["state"])


async def test_signature_over_other_values_is_007053(esia: Esia) -> None:
    params = esia.ac_params()
    params["scope"] = "openid fullname snils inn"  # changed after signing
    assert_redirect_error(await esia.ac(params), "ESIA-007053", params["state"])


async def test_gost_client_refuses_an_rsa_signature(esia: Esia) -> None:
    params = esia.ac_params("GOST01")
    params["client_secret"] = esia.ac_params("RSA01", **{k: params[k] for k in ("state", "timestamp")})[
        "client_secret"
    ]
    assert_redirect_error(await esia.ac(params), "ESIA-007053", params["state"])


async def test_errors_go_to_the_redirect_uri_that_was_sent(esia: Esia) -> None:
    params = esia.ac_params(redirect_uri=OTHER_REDIRECT_URI, response_type="token")
    assert_redirect_error(await esia.ac(params), "ESIA-007003", params["state"], OTHER_REDIRECT_URI)


async def test_certificate_is_checked_before_the_signature(esia: Esia) -> None:
    params = esia.ac_params(client_certificate_hash="D" * 64, client_secret="AAAA")
    assert_redirect_error(await esia.ac(params), "ESIA-007002", params["state"])


async def test_certificate_hash_is_case_insensitive(esia: Esia) -> None:
    params = esia.ac_params(client_certificate_hash=esia.ac_params()["client_certificate_hash"].lower())
    assert (await esia.ac(params)).headers["location"].startswith("/login?tx=")


@pytest.mark.parametrize(
    "query",
    [
        "", "%", "=", "&&&", "client_id", "a=%zz", "client_id=RSA01&redirect_uri=%", "x=" + "%41" * 3000,
        "client_id=RSA01&" + urlencode({"redirect_uri": REDIRECT_URI}) + "&state=%E2%82",
    ],
)
async def test_never_a_server_error(esia: Esia, query: str) -> None:
    response = await esia.http.get(f"{AC}?{query}")
    assert response.status_code in (302, 400), response.text
    assert response.json()["error_description"].startswith("ESIA-0070")
