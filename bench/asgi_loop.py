"""CPU per request of the broker's ASGI app alone, without a socket: a quick check between full runs.

``python bench/asgi_loop.py [--requests 3000] [--profile cc]`` builds ``create_app`` in demo mode on
a throw-away SQLite file and the in-process key-value store (rate limits off, as in ``run.py``),
runs the lifespan, and calls the app directly with ASGI scopes for the hot endpoints, one request
at a time. It prints microseconds of process CPU per request for each. The numbers leave out
uvicorn, the socket and Redis, so they are lower than ``run.sh``'s; they serve to compare two
versions of the web layer on the same machine, not to compare with node-oidc-provider.
``--profile KEY`` runs that endpoint under cProfile and prints the top functions. ``--postgres URL``
(a server; a fresh database is made there and dropped after) and ``--redis URL`` put the stores
of ``run.sh`` under it, so the client work of asyncpg and redis-py counts too (their servers' not).
The ``refresh*`` keys rotate chains of refresh tokens, one rotation per request; ``--concurrency N``
keeps N requests in flight (N chains), so batched writes (audit, Redis) batch as under load.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SERVICE = base64.b64encode(b"demo-service:demo-service-secret")
OPAQUE_SERVICE = base64.b64encode(b"demo-service-opaque:demo-service-opaque-secret")
REFRESH_CLIENTS = {  # the refresh rows of run.sh: JWT, opaque, opaque with an ES256 ID Token
    "refresh": b"demo-web:demo-web-secret",
    "refresh_opaque": b"demo-web-opaque:demo-web-opaque-secret",
    "refresh_es256": b"demo-web-opaque-es256:demo-web-opaque-es256-secret",
}
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


def refresh_chain(app: Any, client: bytes, first: str) -> Call:
    """A refresh with rotation per call: each call presents the token the previous answer rotated to."""
    auth = [(b"authorization", b"Basic " + base64.b64encode(client))]
    current = [first]

    async def call() -> tuple[int, bytes]:
        body = b"grant_type=refresh_token&refresh_token=" + current[0].encode()
        status, answer = await request(app, "POST", "/token", auth, body)()
        if status == 200:
            current[0] = json.loads(answer)["refresh_token"]
        return status, answer

    return call


async def refresh_token(app: Any, client: bytes) -> str:
    """A fresh refresh token of ``client`` (``id:secret``): a login's code stored and redeemed."""
    from frmr_sso.oauth import codes
    from frmr_sso.oauth.codes import CodeGrant

    client_id, _ = client.decode().split(":", 1)
    grant = CodeGrant(
        client_id=client_id, redirect_uri="http://127.0.0.1:9999/callback",
        scope=("openid", "profile", "snils", "frmr", "offline_access"), subject="bench-subject-0001",
        auth_time=int(time.time()), claims={"family_name": "Иванова", "given_name": "Мария",
                                            "snils": "112-233-445 95", "frmr_person_id": "FRMR-0001"},
        nonce="bench-nonce", acr="urn:frmr-sso:acr:esia-confirmed", amr=("pwd", "sms"),
        session_id="bench-sid",
    )
    code = await codes.issue(app.state.container.kv, grant, 300)
    auth = [(b"authorization", b"Basic " + base64.b64encode(client))]
    body = f"grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback"
    status, answer = await request(app, "POST", "/token", auth, body.encode())()
    assert status == 200, answer
    return str(json.loads(answer)["refresh_token"])


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="frmr-asgi-loop-"))
    database_url = f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}"
    if args.postgres:
        database_url = await postgres_database(args.postgres, create=True)
    try:
        await run(args, database_url)
    finally:
        if args.postgres:
            await postgres_database(database_url, create=False)


async def postgres_database(url: str, *, create: bool) -> str:
    """A fresh database on the server of ``url`` (its URL), or ``url``'s database dropped."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    name = f"asgi_loop_{uuid.uuid4().hex[:12]}" if create else parsed.database
    server = parsed.set(database="postgres")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def run(args: argparse.Namespace, database_url: str) -> None:
    from frmr_sso.app import create_app
    from frmr_sso.config import load_settings

    settings = load_settings(
        mode="demo", database_url=database_url, redis_url=args.redis or None,
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
        lanes: dict[str, list[Call]] = {key: [call] * args.concurrency for key, call in calls.items()}
        for key, client in REFRESH_CLIENTS.items():
            if not args.only or key in args.only.split(","):
                lanes[key] = [refresh_chain(app, client, await refresh_token(app, client))
                              for _ in range(args.concurrency)]
        rounds = max(1, args.requests // args.concurrency)
        for key, lane in lanes.items():
            if args.only and key not in args.only.split(","):
                continue
            await _rounds(lane, max(1, 200 // args.concurrency))
            status, body = await lane[0]()
            started = time.process_time()
            await _rounds(lane, rounds)
            spent = time.process_time() - started
            count = rounds * len(lane)
            print(f"{key:18s} {status}  {1e6 * spent / count:8.1f} µs CPU per request")
            if args.profile == key:
                profiler = cProfile.Profile()
                profiler.enable()
                await _rounds(lane, rounds)
                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats("tottime")
                stats.print_stats(30)
                if args.callers:
                    stats.print_callers(args.callers)


async def _rounds(lane: list[Call], rounds: int) -> None:
    """Every call of ``lane`` ``rounds`` times, the calls side by side (each one after another), as
    wrk's connections keep their requests coming."""

    async def repeat(call: Call) -> None:
        for _ in range(rounds):
            await call()

    await asyncio.gather(*(repeat(call) for call in lane))

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--only", default="")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once (default 1)")
    parser.add_argument("--profile", default="")
    parser.add_argument("--callers", default="", help="with --profile: who calls the functions matching this")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server's URL: a fresh database there")
    parser.add_argument("--redis", default="", help="a Redis URL instead of the in-process store")
    asyncio.run(main(parser.parse_args()))
