"""The broker's outer layer on a small Starlette app: request id, security headers, metrics and CORS."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.cors import vary_origin
from frmr_sso.web.edge import EdgeMiddleware, security_headers
from frmr_sso.web.metrics import Metrics
from frmr_sso.web.pages import CSP

ORIGIN = "http://127.0.0.1:9998"
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"


async def _json(request: Request) -> Response:
    state = request.scope["state"]
    ids = {"request_id": state["request_id"], "client_request_id": state.get("client_request_id")}
    return JSONResponse({**ids, "url": str(request.url), "client_ip": request_ip(request.scope)})


async def _page(request: Request) -> Response:
    return HTMLResponse("<p>x</p>")


async def _own_headers(request: Request) -> Response:
    return PlainTextResponse("x", headers={"X-Frame-Options": "SAMEORIGIN", "Vary": "Accept"})


async def _boom(request: Request) -> Response:
    raise RuntimeError("password=hunter2 must not leak")


async def _upload(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


class _Late:
    """Fails after the answer has started: nothing can be answered any more."""

    async def __call__(self, scope: object, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        raise RuntimeError("late")


def _app(
    metrics: Metrics | None = None, issuer: str | None = None, trusted_proxies: tuple[str, ...] = ()
) -> Starlette:
    app = Starlette(
        routes=[
            Route("/jwks", _json),
            Route("/token", _boom, methods=["POST"]),
            Route("/plain/{name}", _json),
            Route("/authorize", _page),
            Route("/userinfo", _own_headers),
            Route("/late", _Late()),
            Route("/upload", _upload, methods=["POST"]),
            Mount("/cabinet", routes=[Route("/", _page)]),
        ]
    )
    services = SimpleNamespace(metrics=metrics)
    app.add_middleware(EdgeMiddleware, issuer=issuer, trusted_proxies=trusted_proxies, services=services)
    return app


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_client_address_is_resolved_once_with_the_trusted_proxies_given() -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.7, 127.0.0.1"}
    async with _client(_app(trusted_proxies=("127.0.0.1/32",))) as behind_proxy:
        proxied = await behind_proxy.get("/plain/a", headers=forwarded)
    async with _client(_app()) as direct:
        spoofed = await direct.get("/plain/a", headers=forwarded)
    assert proxied.json()["client_ip"] == "198.51.100.7"
    assert spoofed.json()["client_ip"] == "127.0.0.1"  # the socket peer: no proxy is trusted


async def test_the_request_id_is_always_ours_and_a_clients_own_is_kept_apart() -> None:
    async with _client(_app()) as client:
        fresh = await client.get("/plain/a")
        client_own = await client.get("/plain/a", headers={"X-Request-ID": "abcdef0123456789"})
        injected = await client.get("/plain/a", headers={"X-Request-ID": "bad id\nwith text"})
    assert fresh.headers["x-request-id"] == fresh.json()["request_id"]
    assert len(fresh.headers["x-request-id"]) == 16
    assert client_own.headers["x-request-id"] == client_own.json()["request_id"] != "abcdef0123456789"
    assert client_own.json()["client_request_id"] == "abcdef0123456789"  # logged as the client's, apart
    assert injected.headers["x-request-id"] == injected.json()["request_id"] != "bad id\nwith text"
    assert injected.json()["client_request_id"] is None


async def test_absolute_urls_name_the_issuer_whatever_host_the_client_sends() -> None:
    async with _client(_app(issuer="https://sso.example.test")) as client:
        slash = await client.get("/cabinet", headers={"Host": "evil.example"})
        echoed = await client.get("/plain/a", headers={"Host": "evil.example"})
    assert slash.status_code == 307
    assert slash.headers["location"] == "https://sso.example.test/cabinet/"
    assert echoed.json()["url"] == "https://sso.example.test/plain/a"


async def test_security_headers_by_kind_of_answer_and_path() -> None:
    async with _client(_app()) as client:
        api = await client.get("/plain/a")
        page = await client.get("/authorize")
        own = await client.get("/userinfo")
    for response in (api, page, own):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert api.headers["content-security-policy"] == OTHER_CSP
    assert "cache-control" not in api.headers
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["pragma"] == "no-cache"
    assert own.headers.get_list("x-frame-options") == ["SAMEORIGIN"]  # a route's own header is kept


async def test_unexpected_error_is_a_problem_with_the_request_id_and_headers() -> None:
    async with _client(_app()) as client:
        response = await client.post("/token", headers={"X-Request-ID": "abcdef0123456789"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"] != "abcdef0123456789"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "vary" not in response.headers  # CORS never saw the fallback answer
    assert "hunter2" not in response.text


async def test_an_error_after_the_answer_started_is_raised() -> None:
    app = _app()
    async with _client(app) as client:
        with pytest.raises(RuntimeError, match="late"):
            await client.get("/late")


async def test_cors_paths_vary_on_origin_and_answer_cross_origin_calls() -> None:
    async with _client(_app()) as client:
        plain = await client.get("/jwks")
        cross = await client.get("/jwks", headers={"Origin": ORIGIN})
        preflight = await client.options(
            "/jwks", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
        )
        own_vary = await client.get("/userinfo")
        other = await client.get("/plain/a", headers={"Origin": ORIGIN})
    assert plain.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in plain.headers
    assert cross.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["x-request-id"]
    assert preflight.headers["x-content-type-options"] == "nosniff"
    assert own_vary.headers.get_list("vary") == ["Accept, Origin"]
    assert "vary" not in other.headers
    assert "access-control-allow-origin" not in other.headers


async def test_requests_are_timed_by_route_template_method_and_status_class() -> None:
    metrics = Metrics()
    async with _client(_app(metrics)) as client:
        await client.get("/plain/a")
        await client.get("/plain/b")
        await client.post("/token")
        await client.request("PROPFIND", "/nowhere")

    def count(route: str, method: str, status: str) -> float | None:
        labels = {"route": route, "method": method, "status": status}
        return metrics.registry.get_sample_value("frmr_sso_http_request_duration_seconds_count", labels)

    assert count("/plain/{name}", "GET", "2xx") == 2
    assert count("/token", "POST", "5xx") == 1
    assert count("unmatched", "other", "4xx") == 1


async def test_a_client_gone_before_its_request_was_read_is_no_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics, sent = Metrics(), []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/upload", "raw_path": b"/upload", "root_path": "",
             "query_string": b"", "headers": [(b"content-length", b"10")], "client": ("127.0.0.1", 5000),
             "server": ("test", 80)}

    async def receive() -> dict[str, str]:
        return {"type": "http.disconnect"}  # the client closed the connection: uvicorn says so

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="frmr_sso.error"):
        await _app(metrics)(scope, receive, send)
    assert sent == []  # nobody to answer
    labels = {"route": "/upload", "method": "POST", "status": "4xx"}
    assert metrics.registry.get_sample_value("frmr_sso_http_request_duration_seconds_count", labels) == 1
    assert [r.levelname for r in caplog.records if r.name == "frmr_sso.error"] == ["INFO"]


def test_security_headers_adds_only_what_is_missing() -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"private")]
    added = dict(security_headers(headers, no_store=False))
    assert added[b"cache-control"] == b"private"
    assert added[b"pragma"] == b"no-cache"
    assert added[b"content-security-policy"] == CSP.encode()
    plain = dict(security_headers([(b"content-type", b"application/json")], no_store=True))
    assert plain[b"cache-control"] == b"no-store"
    assert plain[b"content-security-policy"] == OTHER_CSP.encode()
    assert b"cache-control" not in dict(security_headers([], no_store=False))


def test_vary_origin_joins_every_vary_into_the_first() -> None:
    assert vary_origin([(b"a", b"1")]) == [(b"a", b"1"), (b"vary", b"Origin")]
    joined = vary_origin([(b"vary", b"Accept"), (b"a", b"1"), (b"vary", b"Cookie")])
    assert joined == [(b"vary", b"Accept, Cookie, Origin"), (b"a", b"1")]
