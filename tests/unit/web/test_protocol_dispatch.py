"""Directly dispatched routes: the app's middlewares still apply, FastAPI's dependencies do not run."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.web.edge import EdgeMiddleware
from frmr_sso.web.metrics import Metrics
from frmr_sso.web.protocol_dispatch import ProtocolDispatch, path_roots, route_table, routes_at


def _app(calls: list[str]) -> tuple[FastAPI, Metrics]:
    def documented() -> None:  # stands for the OpenAPI security scheme the routes declare
        calls.append("dependency")

    router = APIRouter()

    @router.post("/token", response_class=Response, dependencies=[Depends(documented)])
    async def token(request: Request) -> Response:
        calls.append("token")
        return JSONResponse({"route": request.scope["route"].path})

    @router.get("/jwks", response_class=Response, dependencies=[Depends(documented)])
    async def jwks(request: Request) -> Response:
        calls.append("jwks")
        return JSONResponse({})

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(ProtocolDispatch, routes=route_table(router.routes))
    metrics = Metrics()
    app.add_middleware(EdgeMiddleware, services=SimpleNamespace(metrics=metrics))
    return app, metrics


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_direct_route_skips_the_dependencies_but_keeps_the_middlewares() -> None:
    calls: list[str] = []
    app, metrics = _app(calls)
    async with _client(app) as client:
        response = await client.post("/token")
    assert response.status_code == 200
    assert response.json() == {"route": "/token"}
    assert calls == ["token"]
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["vary"] == "Origin"
    labels = {"route": "/token", "method": "POST", "status": "2xx"}
    assert metrics.registry.get_sample_value("frmr_sso_http_request_duration_seconds_count", labels) == 1


async def test_other_methods_and_paths_take_fastapis_path() -> None:
    calls: list[str] = []
    app, _ = _app(calls)
    async with _client(app) as client:
        wrong_method = await client.get("/token")
        head = await client.head("/jwks")
        slash = await client.get("/jwks/")
    assert wrong_method.status_code == 405  # FastAPI's answer, with the edge's headers
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.headers["x-request-id"]
    assert head.status_code == 405
    assert slash.status_code == 307  # the router's redirect to /jwks
    assert calls == []


async def test_an_error_in_a_direct_route_is_the_edges_problem_answer() -> None:
    router = APIRouter()

    @router.get("/jwks", response_class=Response)
    async def jwks(request: Request) -> Response:
        raise RuntimeError("boom")

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(ProtocolDispatch, routes=route_table(router.routes))
    app.add_middleware(EdgeMiddleware)
    async with _client(app) as client:
        response = await client.get("/jwks")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_only_request_only_fixed_path_routes_qualify() -> None:
    router = APIRouter()

    @router.get("/item/{name}")
    async def item(name: str) -> dict[str, str]:
        return {}

    with pytest.raises(TypeError, match="fixed-path"):
        route_table(router.routes)
    other = APIRouter()

    @other.get("/two")
    async def two(request: Request, extra: int = 0) -> dict[str, str]:
        return {}

    with pytest.raises(TypeError, match="takes the request and services alone"):
        route_table(other.routes)


async def test_a_request_under_a_root_path_takes_fastapis_path() -> None:
    calls: list[str] = []
    app, _ = _app(calls)
    transport = httpx.ASGITransport(app=app, root_path="/sso")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/sso/token")
    assert response.status_code == 200
    assert calls == ["dependency", "token"]


async def _greeting(request: Request) -> str:
    return f"hello from {request.url.path}"


Greeting = Annotated[str, Depends(_greeting)]


async def test_a_direct_route_gets_the_services_it_names_from_their_providers() -> None:
    router = APIRouter()

    @router.get("/jwks", response_class=Response)
    async def jwks(request: Request, greeting: Greeting) -> Response:
        return JSONResponse({"greeting": greeting, "route": type(request.scope["route"]).__name__})

    app = FastAPI()
    app.include_router(router)
    app.add_middleware(ProtocolDispatch, routes=route_table(router.routes))
    async with _client(app) as client:
        direct = await client.get("/jwks")
    assert direct.json() == {"greeting": "hello from /jwks", "route": "APIRoute"}
    assert route_table(router.routes)[("GET", "/jwks")].providers == (("greeting", _greeting),)


async def _needs_more(request: Request, name: str) -> str:
    return name


def test_a_dependency_of_more_than_the_request_cannot_be_called_directly() -> None:
    router = APIRouter()

    @router.get("/jwks", response_class=Response)
    async def jwks(request: Request, more: Annotated[str, Depends(_needs_more)]) -> Response:
        return Response()

    with pytest.raises(TypeError, match="takes the request and services alone"):
        route_table(router.routes)


def test_routes_at_picks_routes_by_path_and_names_a_missing_one() -> None:
    router = APIRouter(prefix="/api")

    @router.get("/one")
    async def one(request: Request) -> Response:
        return Response()

    @router.get("/two/{x}")
    async def two(request: Request, x: str) -> Response:
        return Response()

    assert [route.path for route in routes_at(router, "/api/one")] == ["/api/one"]  # type: ignore[attr-defined]
    with pytest.raises(LookupError):
        routes_at(router, "/api/one", "/api/three")


def test_path_roots_are_first_segments_unless_one_is_a_parameter() -> None:
    assert path_roots(["/", "/token", "/api/v1/me", "/.well-known/x"]) == {"", "token", "api", ".well-known"}
    assert path_roots(["/token", "/{anything}/x"]) is None
