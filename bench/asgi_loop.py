"""CPU per request of the broker's ASGI app alone, without a socket: a quick check between full runs.

``python bench/asgi_loop.py [--requests 3000] [--profile cc]`` builds ``create_app`` in demo mode on
a throw-away SQLite file and the in-process key-value store (rate limits off, as in ``run.py``),
runs the lifespan, and calls the app directly with ASGI scopes for the hot endpoints, one request
at a time. It prints microseconds of process CPU per request for each. The numbers leave out
uvicorn, the socket and Redis, so they are lower than ``run.sh``'s; they serve to compare two
versions of the web layer on the same machine, not to compare with node-oidc-provider.
``--profile KEY`` runs that endpoint under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SERVICE = base64.b64encode(b"demo-service:demo-service-secret")
OPAQUE_SERVICE = base64.b64encode(b"demo-service-opaque:demo-service-opaque-secret")
Call = Callable[[], Awaitable[tuple[int, bytes]]]


def _scope(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000), "app": app,
    }


def request(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Call:
    if body:
        headers = [*headers, (b"content-type", b"application/x-www-form-urlencoded"),
                   (b"content-length", str(len(body)).encode())]

    async def call() -> tuple[int, bytes]:
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await app(_scope(app, method, path, headers), receive, send)
        return status, b"".join(chunks)

    return call


async def main(args: argparse.Namespace) -> None:
    from frmr_sso.app import create_app
    from frmr_sso.config import load_settings

    tmp = Path(tempfile.mkdtemp(prefix="frmr-asgi-loop-"))
    settings = load_settings(
        mode="demo", database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", redis_url=None,
        issuer="http://127.0.0.1:8000", log_level="WARNING",
        rate_limit_token_per_minute=0, rate_limit_authorize_per_minute=0,
        rate_limit_callback_per_minute=0, rate_limit_second_factor_per_minute=0,
    )
    app = create_app(settings)
    basic = [(b"authorization", b"Basic " + SERVICE)]
    async with app.router.lifespan_context(app):
        cc = request(app, "POST", "/token", basic, b"grant_type=client_credentials")
        status, body = await cc()
        assert status == 200, body
        import json

        token = json.loads(body)["access_token"].encode()
        opaque_basic = [(b"authorization", b"Basic " + OPAQUE_SERVICE)]
        cc_opaque = request(app, "POST", "/token", opaque_basic, b"grant_type=client_credentials")
        opaque = json.loads((await cc_opaque())[1])["access_token"].encode()
        calls: dict[str, Call] = {
            "cc": cc,
            "cc_opaque": cc_opaque,
            "introspect": request(app, "POST", "/introspect", basic, b"token=" + token),
            "introspect_opaque": request(app, "POST", "/introspect", basic, b"token=" + opaque),
            "discovery": request(app, "GET", "/.well-known/openid-configuration", []),
            "jwks": request(app, "GET", "/jwks", []),
            "notfound": request(app, "GET", "/nope", []),
        }
        for key, call in calls.items():
            if args.only and key not in args.only.split(","):
                continue
            for _ in range(200):
                await call()
            status, body = await call()
            started = time.process_time()
            for _ in range(args.requests):
                await call()
            spent = time.process_time() - started
            print(f"{key:18s} {status}  {1e6 * spent / args.requests:8.1f} µs CPU per request")
            if args.profile == key:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    await call()
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", default="")
    asyncio.run(main(parser.parse_args()))
