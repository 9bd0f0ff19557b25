"""``MetricsPortDispatcher``: which paths each listener reaches, told apart by ``scope["server"]``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from frmr_sso.web.metrics_port import MetricsPortDispatcher, bind_sockets

PUBLIC, METRICS = 8000, 9000


class Recorder:
    """An application that answers 200 with its path and remembers every scope type it saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append(scope["type"])
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": scope["path"].encode()})


def _client(app: Recorder, port: int) -> httpx.AsyncClient:
    dispatcher = MetricsPortDispatcher(app, METRICS)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=dispatcher), base_url=f"http://broker:{port}")


@pytest.mark.parametrize("path", ["/metrics", "/health/live", "/health/ready"])
async def test_the_metrics_port_reaches_metrics_and_probes(path: str) -> None:
    app = Recorder()
    async with _client(app, METRICS) as http:
        response = await http.get(path)
    assert (response.status_code, response.text) == (200, path)


@pytest.mark.parametrize("path", ["/token", "/", "/metrics/", "/health", "/health/ready/x", "/api/v1/me"])
async def test_the_metrics_port_refuses_everything_else(path: str) -> None:
    app = Recorder()
    async with _client(app, METRICS) as http:
        response = await http.post(path, data={"grant_type": "client_credentials"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-frame-options"] == "DENY"
    assert app.seen == [], "the application never sees it"


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics/x"])
async def test_the_public_port_refuses_metrics(path: str) -> None:
    app = Recorder()
    async with _client(app, PUBLIC) as http:
        response = await http.get(path)
    assert response.status_code == 404
    assert "detail" not in response.json(), "the public answer does not tell where the metrics are"
    assert app.seen == []


async def test_the_public_port_reaches_everything_else() -> None:
    app = Recorder()
    async with _client(app, PUBLIC) as http:
        for path in ("/token", "/health/ready", "/metricsx", "/"):
            assert (await http.get(path)).text == path


async def test_lifespan_and_serverless_scopes_go_to_the_application() -> None:
    app = Recorder()
    dispatcher = MetricsPortDispatcher(app, METRICS)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await dispatcher({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert app.seen == ["lifespan"]
    http: dict[str, Any] = {"type": "http", "path": "/token", "server": None, "headers": []}
    await dispatcher(http, receive, send)  # a socket without an address: the public rules
    assert app.seen == ["lifespan", "http"]


async def test_a_websocket_on_the_metrics_port_is_closed_before_accept() -> None:
    app = Recorder()
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/token", "server": ("127.0.0.1", METRICS), "headers": []}
    await MetricsPortDispatcher(app, METRICS)(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert app.seen == []


def test_bind_sockets_names_the_address_it_cannot_take() -> None:
    (first,) = bind_sockets([("127.0.0.1", 0)])
    with first:
        port = first.getsockname()[1]
        first.listen()
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind_sockets([("127.0.0.1", 0), ("127.0.0.1", port)])
