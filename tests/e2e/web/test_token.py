"""POST /token over real HTTP: client_credentials, client authentication and RFC 6749 §5.2 errors."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    SPA_ID,
    SPECIAL_ID,
    SPECIAL_SECRET,
    Provider,
    basic,
)

CC = {"grant_type": "client_credentials"}


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error
    assert_no_store(response)


async def test_client_secret_basic_with_a_secret_that_needs_url_encoding(
    http: httpx.AsyncClient, provider: Provider
) -> None:
    response = await http.post("/token", data=CC, headers=basic(SPECIAL_ID, SPECIAL_SECRET))
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert set(body["scope"].split()) == {"frmr", "registry.read"}
    assert "refresh_token" not in body
    assert "id_token" not in body
    claims = provider.verify(body["access_token"], audience=provider.issuer, typ="at+jwt")
    assert claims["client_id"] == claims["sub"] == SPECIAL_ID


async def test_client_secret_post(http: httpx.AsyncClient) -> None:
    form = {**CC, "client_id": SERVICE_ID, "client_secret": SERVICE_SECRET, "scope": "frmr openid"}
    response = await http.post("/token", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "frmr"  # openid needs an end-user: never with client_credentials


@pytest.mark.parametrize(
    "auth",
    [
        {"headers": basic(SERVICE_ID, "wrong-secret-value")},
        {"headers": basic(SPECIAL_ID, SPECIAL_SECRET.encode().decode() + "x")},
        {"headers": basic("no-such-client", "whatever-secret")},
        {"data": {"client_id": SERVICE_ID, "client_secret": "wrong-secret-value"}},
    ],
    ids=["basic-wrong", "basic-special-wrong", "basic-unknown", "post-wrong"],
)
async def test_wrong_or_unknown_credentials_are_one_401(
    http: httpx.AsyncClient, auth: dict[str, dict[str, str]]
) -> None:
    response = await http.post("/token", data={**CC, **auth.get("data", {})}, headers=auth.get("headers"))
    assert_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"] == 'Basic realm="frmr-sso"'


async def test_unencoded_special_secret_fails(http: httpx.AsyncClient) -> None:
    """A client that skips the form-encoding of RFC 6749 §2.3.1 sends another secret."""
    import base64

    raw = base64.b64encode(f"{SPECIAL_ID}:{SPECIAL_SECRET}".encode()).decode()
    response = await http.post("/token", data=CC, headers={"Authorization": f"Basic {raw}"})
    assert_error(response, 401, "invalid_client")


async def test_no_client_authentication(http: httpx.AsyncClient) -> None:
    assert_error(await http.post("/token", data=CC), 401, "invalid_client")


async def test_public_client_cannot_use_client_credentials(http: httpx.AsyncClient) -> None:
    response = await http.post("/token", data={**CC, "client_id": SPA_ID})
    assert_error(response, 400, "unauthorized_client")


async def test_a_public_client_may_not_send_a_secret(http: httpx.AsyncClient) -> None:
    response = await http.post("/token", data={**CC, "client_id": SPA_ID, "client_secret": "anything-at-all"})
    assert_error(response, 401, "invalid_client")


async def test_two_authentication_methods_are_refused(http: httpx.AsyncClient) -> None:
    form = {**CC, "client_id": SERVICE_ID, "client_secret": SERVICE_SECRET}
    response = await http.post("/token", data=form, headers=basic(SERVICE_ID, SERVICE_SECRET))
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"grant_type": "client_credentials"}', "application/json"),
        ("grant_type=client_credentials", "text/plain"),
        ("grant_type=client_credentials", None),
        (
            '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--',
            "multipart/form-data; boundary=x",
        ),
    ],
    ids=["json", "text", "none", "multipart"],
)
async def test_only_form_bodies(http: httpx.AsyncClient, body: str, content_type: str | None) -> None:
    headers = basic(SERVICE_ID, SERVICE_SECRET)
    if content_type:
        headers["Content-Type"] = content_type
    response = await http.post("/token", content=body, headers=headers)
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
        ("scope=frmr", "invalid_request"),
        ("grant_type=", "invalid_request"),
        ("grant_type=password&username=a&password=b", "unsupported_grant_type"),
        ("grant_type=urn:ietf:params:oauth:grant-type:device_code", "unsupported_grant_type"),
        ("grant_type=" + "x" * 5000, "invalid_request"),
        ("grant_type=client_credentials&scope=" + "s" * 5000, "invalid_request"),
        ("grant_type=client_credentials&scope=%22quoted%22", "invalid_scope"),
        ("grant_type=client_credentials&scope=unknown", "invalid_scope"),
        ("grant_type=client_credentials&x=%FF%FE", "invalid_request"),
        ("&".join(f"p{i}=1" for i in range(100)) + "&grant_type=client_credentials", "invalid_request"),
        ("grant_type=authorization_code&code=abc&redirect_uri=http://x", "unauthorized_client"),
    ],
    ids=[
        "duplicate",
        "missing",
        "empty",
        "password",
        "device",
        "huge-grant",
        "huge-scope",
        "bad-scope",
        "unknown-scope",
        "bad-utf8",
        "too-many-fields",
        "grant-not-registered",
    ],
)
async def test_rfc_errors(http: httpx.AsyncClient, body: str, error: str) -> None:
    headers = {**basic(SERVICE_ID, SERVICE_SECRET), "Content-Type": "application/x-www-form-urlencoded"}
    response = await http.post("/token", content=body, headers=headers)
    assert_error(response, 400, error)


async def test_oversized_body(http: httpx.AsyncClient) -> None:
    headers = {**basic(SERVICE_ID, SERVICE_SECRET), "Content-Type": "application/x-www-form-urlencoded"}
    response = await http.post(
        "/token", content="grant_type=client_credentials&x=" + "a" * 70_000, headers=headers
    )
    assert_error(response, 413, "invalid_request")  # refused before the body is read


async def test_get_is_not_allowed(http: httpx.AsyncClient) -> None:
    response = await http.get("/token", params=CC)
    assert response.status_code == 405
