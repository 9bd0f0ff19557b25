from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from frmr_sso.web.request_id import RequestIdMiddleware


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.scope["state"]["request_id"])


async def _boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("password=hunter2 must not leak")


def _client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/ok", _ok), Route("/boom", _boom)])
    app.add_middleware(RequestIdMiddleware)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_request_id_is_generated_and_echoed() -> None:
    async with _client() as client:
        response = await client.get("/ok")
    assert response.headers["x-request-id"] == response.text
    assert len(response.text) == 16


async def test_unexpected_error_is_a_problem_without_trace() -> None:
    async with _client() as client:
        response = await client.get("/boom", headers={"X-Request-ID": "abcdef0123456789"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "abcdef0123456789"
    assert response.json()["request_id"] == "abcdef0123456789"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
