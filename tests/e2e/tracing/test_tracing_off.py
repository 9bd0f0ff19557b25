"""Tracing costs nothing when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is unset: no tracing module is imported and
nothing is instrumented. Set, the broker exports its spans over OTLP/HTTP to that address.

Each case runs the broker in a fresh interpreter (``_PROBE``): its lifespan and one token request,
then it reports what it imported and instrumented. (redis-py imports the SDK's metrics package when it
is installed, for its own metrics, which stay off unless an application initialises them; the SDK's
tracing, the exporters and the instrumentations are what tracing would bring.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

_PROBE = r"""
import asyncio, json, sys
import httpx
from frmr_sso.app import create_app
from frmr_sso.config import load_settings

async def main():
    app = create_app(load_settings(mode="demo", database_url=sys.argv[1], redis_url=sys.argv[2] or None))
    async with app.router.lifespan_context(app):
        container = app.state.container
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            answer = await http.post("/token", data={"grant_type": "client_credentials"},
                                     auth=("demo-service", "demo-service-secret"))
        redis = getattr(container.kv, "client", None)
        report = {
            "status": answer.status_code,
            "modules": sorted(m for m in sys.modules if m.startswith(
                ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter",
                 "frmr_sso.tracing")
            )),
            "middleware": [m.cls.__name__ for m in app.user_middleware],
            "http": getattr(container.http, "_is_instrumented_by_opentelemetry", False),
            "sql": len(container.engine.sync_engine.dispatch.before_cursor_execute),
            "redis": None if redis is None else getattr(redis, "_is_instrumented_by_opentelemetry", False),
        }
    print(json.dumps(report))

asyncio.run(main())
"""


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, int]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append((self.path, self.headers.get("content-type", ""), len(body)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, str, int]]]]:
    received: list[tuple[str, str, int]] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _probe(database_url: str, redis_url: str | None, **env: str) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FRMR_SSO_"))}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", _PROBE, database_url, redis_url or ""],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == 200
    return report


def test_unset_imports_and_instruments_nothing(migrated_database_url: str, redis_url: str | None) -> None:
    report = _probe(migrated_database_url, redis_url)
    assert report["modules"] == []
    assert "RequestSpans" not in report["middleware"]
    assert report["http"] is False
    assert report["sql"] == 0
    assert report["redis"] in (None, False)


def test_set_exports_spans_over_otlp_http(
    migrated_database_url: str, redis_url: str | None, collector: tuple[str, list[tuple[str, str, int]]]
) -> None:
    endpoint, received = collector
    report = _probe(migrated_database_url, redis_url, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    assert "frmr_sso.tracing.provider" in report["modules"]
    assert "RequestSpans" in report["middleware"]
    assert report["http"] is True
    assert report["sql"] == 1
    assert report["redis"] in (None, True)
    assert received, "nothing was exported"  # the lifespan's end flushes the batch
    assert {path for path, _, _ in received} == {"/v1/traces"}
    assert all(kind == "application/x-protobuf" and size > 0 for _, kind, size in received)
