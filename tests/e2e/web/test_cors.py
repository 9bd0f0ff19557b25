"""A browser-based public client may call the protocol endpoints cross-origin; pages stay closed."""

from __future__ import annotations

import httpx
import pytest

from frmr_sso.web.cors import CORS_PATHS

ORIGIN = "http://127.0.0.1:9998"


@pytest.mark.parametrize("path", sorted(CORS_PATHS))
async def test_preflight_is_allowed_without_credentials(http: httpx.AsyncClient, path: str) -> None:
    response = await http.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


async def test_simple_response_exposes_the_bearer_challenge(http: httpx.AsyncClient) -> None:
    response = await http.get("/userinfo", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "*"
    assert "WWW-Authenticate" in response.headers["access-control-expose-headers"]


@pytest.mark.parametrize("path", ["/authorize", "/logout", "/introspect", "/health/ready"])
async def test_pages_and_server_side_endpoints_get_no_cors(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers
