"""What the directly dispatched protocol routes answer, pinned: status, headers and body of a success and of
an error on each (``web/protocol_dispatch.py``).

These routes skip FastAPI's router and dependency solver, so a framework upgrade that changed what a
request sees or what a response carries on them would not show in the ordinary routes' tests; here
any change of status, header set, header value or body shape fails.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frmr_sso.web.protocol_dispatch import ProtocolDispatch
from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    SNAPSHOT,
    WEB_ID,
    WEB_REDIRECT,
    WEB_SECRET,
    Provider,
    basic,
    grant,
)

SERVICE = basic(SERVICE_ID, SERVICE_SECRET)
EDGE = {  # the security headers every answer carries (web/edge.py)
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache", "content-type": "application/json"}
CORS = {"vary": "Origin"}  # the paths cross-origin callers may use (web/cors.py)
VOLATILE = {"date", "server", "content-length", "x-request-id", "etag"}
USERINFO = {  # the grant's claims for its scopes: the ESIA oid is never released
    **{k: v for k, v in SNAPSHOT.items() if k != "esia_oid"},
    "name": "Иванова Мария Петровна",
    "sub": "subject-0001",
}


def assert_answer(
    response: httpx.Response, status: int, headers: dict[str, str], body: dict[str, Any] | None = None
) -> None:
    """``status``, exactly the ``headers`` (besides the volatile ones) with their values, and ``body``."""
    assert response.status_code == status, response.text
    assert len(response.headers["x-request-id"]) == 16
    got = {name: value for name, value in response.headers.items() if name not in VOLATILE}
    assert got == {**EDGE, **headers}
    if body is not None:
        assert response.json() == body
    if status == 304:
        assert response.content == b""


def test_these_routes_are_the_dispatched_ones(provider: Provider) -> None:
    dispatch = [m for m in provider.app.user_middleware if m.cls is ProtocolDispatch]
    assert len(dispatch) == 1
    assert set(dispatch[0].kwargs["routes"]) == {
        ("GET", "/.well-known/openid-configuration"), ("GET", "/jwks"), ("POST", "/token"),
        ("POST", "/introspect"), ("GET", "/userinfo"), ("POST", "/userinfo"),
        # pinned in tests/e2e/api/test_registry_api.py
        ("GET", "/api/v1/me"), ("GET", "/api/v1/me/length-of-service"), ("POST", "/api/v1/registry/lookup"),
    }
    assert provider.app.user_middleware[-1].cls is ProtocolDispatch  # innermost: every other layer applies


@pytest.fixture
async def user_token(http: httpx.AsyncClient, provider: Provider) -> str:
    form = {"grant_type": "authorization_code", "code": await provider.mint_code(grant()),
            "redirect_uri": WEB_REDIRECT}
    response = await http.post("/token", data=form, headers=basic(WEB_ID, WEB_SECRET))
    assert response.status_code == 200
    return str(response.json()["access_token"])


@pytest.mark.parametrize(
    ("path", "cache"),
    [("/.well-known/openid-configuration", "public, max-age=3600"), ("/jwks", "public, max-age=60")],
)
async def test_discovery_and_jwks(http: httpx.AsyncClient, provider: Provider, path: str, cache: str) -> None:
    ok = await http.get(path)
    assert_answer(ok, 200, {"cache-control": cache, "content-type": "application/json", **CORS})
    assert ok.headers["etag"].startswith('"')
    if path == "/jwks":
        assert [key["kty"] for key in ok.json()["keys"]] == ["EC", "RSA"]
    else:
        assert ok.json()["issuer"] == provider.issuer
        assert ok.json()["token_endpoint"] == f"{provider.issuer}/token"
    again = await http.get(path, headers={"If-None-Match": ok.headers["etag"]})
    assert_answer(again, 304, {"cache-control": cache, **CORS})
    assert again.headers["etag"] == ok.headers["etag"]
    wrong = await http.post(path)  # not a dispatched method: FastAPI's own 405
    problem = {"type": "about:blank", "title": "Method Not Allowed", "status": 405,
               "request_id": wrong.headers["x-request-id"]}
    assert_answer(wrong, 405, {"cache-control": "no-store", "content-type": "application/problem+json",
                               "allow": "GET", **CORS}, problem)


async def test_token(http: httpx.AsyncClient) -> None:
    ok = await http.post("/token", data={"grant_type": "client_credentials"}, headers=SERVICE)
    assert_answer(ok, 200, {**NO_STORE, **CORS})
    assert set(ok.json()) == {"access_token", "token_type", "expires_in", "scope"}
    assert ok.json()["token_type"] == "Bearer"
    bad_secret = await http.post("/token", data={"grant_type": "client_credentials"},
                                 headers=basic(SERVICE_ID, "wrong"))
    assert_answer(bad_secret, 401, {**NO_STORE, **CORS, "www-authenticate": 'Basic realm="frmr-sso"'},
                  {"error": "invalid_client", "error_description": "client authentication failed"})
    bad_grant = await http.post("/token", data={"grant_type": "password"}, headers=SERVICE)
    assert_answer(bad_grant, 400, {**NO_STORE, **CORS},
                  {"error": "unsupported_grant_type", "error_description": "grant_type is not supported"})


async def test_introspect(http: httpx.AsyncClient, provider: Provider) -> None:
    token = (await http.post("/token", data={"grant_type": "client_credentials"}, headers=SERVICE)).json()
    ok = await http.post("/introspect", data={"token": token["access_token"]}, headers=SERVICE)
    assert_answer(ok, 200, NO_STORE)
    body = ok.json()
    fields = {"active", "token_type", "scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti"}
    assert set(body) == fields
    assert (body["active"], body["client_id"], body["iss"]) == (True, SERVICE_ID, provider.issuer)
    anonymous = await http.post("/introspect", data={"token": token["access_token"]})
    assert_answer(anonymous, 401, {**NO_STORE, "www-authenticate": 'Basic realm="frmr-sso"'},
                  {"error": "invalid_client", "error_description": "client authentication is required"})


async def test_userinfo_get_and_post(http: httpx.AsyncClient, user_token: str) -> None:
    by_header = await http.get("/userinfo", headers={"Authorization": f"Bearer {user_token}"})
    assert_answer(by_header, 200, {**NO_STORE, **CORS}, USERINFO)
    by_form = await http.post("/userinfo", data={"access_token": user_token})
    assert_answer(by_form, 200, {**NO_STORE, **CORS}, USERINFO)
    invalid = await http.get("/userinfo", headers={"Authorization": "Bearer x.y.z"})
    description = "the access token is invalid or expired"
    challenge = f'Bearer realm="frmr-sso", error="invalid_token", error_description="{description}"'
    assert_answer(invalid, 401, {**NO_STORE, **CORS, "www-authenticate": challenge},
                  {"error": "invalid_token", "error_description": description})
    missing = await http.post("/userinfo")
    assert_answer(missing, 401, {**NO_STORE, **CORS, "www-authenticate": 'Bearer realm="frmr-sso"'},
                  {"error": "invalid_token", "error_description": "the request carries no access token"})


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml", "application/json"])
async def test_an_unknown_address_is_answered_as_the_router_answers_it(
    http: httpx.AsyncClient, provider: Provider, accept: str
) -> None:
    """A first path segment no route begins with is answered 404 before the router (which would try
    every route first), exactly as the router answers an unknown address under a known segment."""
    dispatch = next(m for m in provider.app.user_middleware if m.cls is ProtocolDispatch)
    roots = dispatch.kwargs["roots"]
    assert {"", "token", "api", "login", "account", "cabinet", "openapi.json"} <= roots
    assert "wp-admin" not in roots
    early = await http.get("/wp-admin/setup.php", headers={"Accept": accept})
    routed = await http.get("/api/v1/wp-admin", headers={"Accept": accept})
    assert early.status_code == routed.status_code == 404
    volatile = {"date", "server", "x-request-id", "content-length"}
    assert {k: v for k, v in early.headers.items() if k not in volatile} == {
        k: v for k, v in routed.headers.items() if k not in volatile
    }
    assert early.text.replace(early.headers["x-request-id"], "ID") == routed.text.replace(
        routed.headers["x-request-id"], "ID"
    )
    if accept.startswith("text/html"):
        assert "Страница не найдена" in early.text
    else:
        assert early.headers["content-type"] == "application/problem+json"
