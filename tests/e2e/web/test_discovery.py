"""Discovery and JWKS over real HTTP: cacheable, consistent with the endpoints that answer."""

from __future__ import annotations

import re

import httpx

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, Provider, basic


async def test_discovery_names_our_endpoints(http: httpx.AsyncClient, provider: Provider) -> None:
    response = await http.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=3600"
    meta = response.json()
    assert meta["issuer"] == provider.issuer
    expected = {
        "token_endpoint": "/token",
        "introspection_endpoint": "/introspect",
        "revocation_endpoint": "/revoke",
        "userinfo_endpoint": "/userinfo",
        "jwks_uri": "/jwks",
        "authorization_endpoint": "/authorize",
        "end_session_endpoint": "/logout",
    }
    for name, path in expected.items():
        assert meta[name] == provider.base + path
    assert "client_credentials" in meta["grant_types_supported"]
    assert meta["code_challenge_methods_supported"] == ["S256"]


async def test_every_announced_protocol_endpoint_answers(http: httpx.AsyncClient) -> None:
    meta = (await http.get("/.well-known/openid-configuration")).json()
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        response = await http.post(meta[name], data={})
        assert response.status_code in (400, 401), (name, response.status_code)
    assert (await http.get(meta["userinfo_endpoint"])).status_code == 401
    assert (await http.get(meta["jwks_uri"])).status_code == 200


async def test_jwks_is_briefly_cacheable_and_public_only(http: httpx.AsyncClient) -> None:
    response = await http.get("/jwks")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    keys = response.json()["keys"]
    assert {key["alg"] for key in keys} >= {"RS256", "ES256"}
    for key in keys:
        assert key["kid"]
        assert key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


async def test_access_token_verifies_against_jwks(http: httpx.AsyncClient, provider: Provider) -> None:
    response = await http.post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic(SERVICE_ID, SERVICE_SECRET)
    )
    token = response.json()["access_token"]
    claims = provider.verify(token, audience=provider.issuer, typ="at+jwt")
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == provider.issuer
    assert claims["client_id"] == SERVICE_ID
    assert claims["exp"] - claims["iat"] == 300
    assert {"jti", "scope"} <= set(claims)


async def test_discovery_and_jwks_answer_if_none_match_with_304(http: httpx.AsyncClient) -> None:
    for path in ("/.well-known/openid-configuration", "/jwks"):
        first = await http.get(path)
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
        assert (await http.get(path)).headers["etag"] == etag  # the same body, the same tag
        for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await http.get(path, headers={"If-None-Match": sent})
            assert again.status_code == 304, (path, sent)
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert again.headers["cache-control"] == first.headers["cache-control"]
            assert again.headers["x-content-type-options"] == "nosniff"
        changed = await http.get(path, headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200
        assert changed.content == first.content


async def test_protocol_answers_carry_the_edge_headers(http: httpx.AsyncClient) -> None:
    """Request id, security headers and ``Vary: Origin`` on the directly dispatched endpoints."""
    service = basic(SERVICE_ID, SERVICE_SECRET)
    token = await http.post(
        "/token", data={"grant_type": "client_credentials"},
        headers={**service, "X-Request-ID": "bench-0123456789"},
    )
    form = {"token": token.json()["access_token"]}
    introspection = await http.post("/introspect", data=form, headers=service)
    jwks = await http.get("/jwks")
    assert token.headers["x-request-id"] != "bench-0123456789"  # the broker's own id, never the client's
    for response, vary in ((token, True), (introspection, False), (jwks, True)):
        assert response.status_code == 200
        assert response.headers["x-request-id"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert (response.headers.get("vary") == "Origin") is vary
    assert token.headers["cache-control"] == "no-store"
    assert token.headers["pragma"] == "no-cache"
