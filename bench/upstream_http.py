"""CPU per upstream call of the login's HTTP client: httpx as the broker uses it, a leaner httpx,
and aiohttp (measured only; the broker uses httpx).

A login makes two calls to ESIA: ``POST /aas/oauth2/v3/te`` (a ~600-byte form, a ~2 KB JSON answer)
and ``GET /rs/prns/{oid}`` (a Bearer header, a ~600-byte JSON answer). This script serves those two
answers from a minimal HTTP/1.1 server of its own (a child process on CPU 1, keep-alive, fixed
bodies, so the server costs the client nothing) and measures the client process's CPU time
(``time.process_time``, on CPU 0, uvloop as under uvicorn) over N pairs of calls, one after another
and with 8 at once:

* ``broker``  — ``UpstreamHttp.request`` over the broker's shared ``httpx.AsyncClient``, exactly as the
  ESIA connector calls it (breaker, deadline, per-call timeout, form encoding, ``json()``);
* ``httpx``   — the same ``AsyncClient`` called directly (no breaker, no deadline);
* ``httpx-lean`` — one long-lived ``AsyncClient(trust_env=False)`` with its timeout set once, the form
  encoded by hand, HTTP/1.1 only (what httpx itself costs per call);
* ``aiohttp`` — one long-lived ``aiohttp.ClientSession`` (``TCPConnector``, keep-alive).

``python bench/upstream_http.py [--calls 2000] [--rounds 3]`` prints µs of client CPU per call pair.
Alternating rounds; the median is the figure. Loopback only (the server is its own child).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
import uvloop

from frmr_sso.upstream.transport import DEFAULT_TIMEOUT, UpstreamHttp, json_object

TOKEN_BODY = json.dumps(
    {
        "access_token": "a" * 900,
        "id_token": "i" * 900,
        "state": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "token_type": "Bearer",
        "expires_in": 3600,
    }
).encode()
PERSON_BODY = json.dumps(
    {"firstName": "Ивана", "lastName": "Иванова", "snils": "000-000-000 45", "trusted": True, "x": "y" * 400}
).encode()
FORM = {
    "client_id": "FRMR01",
    "client_certificate_hash": "A" * 64,
    "redirect_uri": "http://127.0.0.1:8000/callback/esia",
    "scope": "openid fullname birthdate gender snils",
    "state": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "timestamp": "2026.12.07 16:00:00 +0000",
    "grant_type": "authorization_code",
    "code": "c" * 120,
    "token_type": "Bearer",
    "client_secret": "s" * 342,
}
BEARER = {"Authorization": "Bearer " + "a" * 900}


def _answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _serve(port_out: Any) -> None:
    token, person = _answer(TOKEN_BODY), _answer(PERSON_BODY)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                writer.write(token if head.startswith(b"POST") else person)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_out.send(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def _server_process(port_out: Any) -> None:
    os.sched_setaffinity(0, {1})
    asyncio.run(_serve(port_out))


Pair = Callable[[], Awaitable[None]]


def broker(http: httpx.AsyncClient, base: str) -> Pair:
    upstream = UpstreamHttp(http, connector="esia")

    async def pair() -> None:
        token = json_object(await upstream.request("POST", f"{base}/aas/oauth2/v3/te", data=FORM))
        person = json_object(await upstream.request("GET", f"{base}/rs/prns/1000", headers=BEARER))
        assert token is not None
        assert person is not None

    return pair


def direct(http: httpx.AsyncClient, base: str) -> Pair:
    async def pair() -> None:
        token = await http.post(f"{base}/aas/oauth2/v3/te", data=FORM, timeout=DEFAULT_TIMEOUT)
        person = await http.get(f"{base}/rs/prns/1000", headers=BEARER, timeout=DEFAULT_TIMEOUT)
        assert token.json()
        assert person.json()

    return pair


def lean(http: httpx.AsyncClient, base: str) -> Pair:
    form_headers = {"content-type": "application/x-www-form-urlencoded"}

    async def pair() -> None:
        body = urlencode(FORM).encode()
        token = await http.post(f"{base}/aas/oauth2/v3/te", content=body, headers=form_headers)
        person = await http.get(f"{base}/rs/prns/1000", headers=BEARER)
        assert json.loads(token.content)
        assert json.loads(person.content)

    return pair


def with_aiohttp(session: aiohttp.ClientSession, base: str) -> Pair:
    async def pair() -> None:
        async with session.post(f"{base}/aas/oauth2/v3/te", data=FORM) as token:
            assert json.loads(await token.read())
        async with session.get(f"{base}/rs/prns/1000", headers=BEARER) as person:
            assert json.loads(await person.read())

    return pair


async def _cpu_per_pair(pair: Pair, calls: int, concurrency: int) -> float:
    for _ in range(20):  # connections open, code warm
        await pair()
    per_task = calls // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            await pair()

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / (per_task * concurrency) * 1e6


async def measure(base: str, calls: int, rounds: int) -> dict[str, dict[int, list[float]]]:
    figures: dict[str, dict[int, list[float]]] = {}
    broker_client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0), follow_redirects=False)
    lean_client = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, trust_env=False, http1=True, http2=False)
    timeout = aiohttp.ClientTimeout(total=7.0, connect=2.0)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64), timeout=timeout)
    clients = {
        "broker": broker(broker_client, base),
        "httpx": direct(broker_client, base),
        "httpx-lean": lean(lean_client, base),
        "aiohttp": with_aiohttp(session, base),
    }
    try:
        for _ in range(rounds):
            for name, pair in clients.items():
                for concurrency in (1, 8):
                    cpu = await _cpu_per_pair(pair, calls, concurrency)
                    figures.setdefault(name, {}).setdefault(concurrency, []).append(cpu)
    finally:
        await broker_client.aclose()
        await lean_client.aclose()
        await session.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000, help="call pairs per measurement (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_server_process, args=(send,), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{receive.recv()}"
        os.sched_setaffinity(0, {0})
        figures = uvloop.run(measure(base, args.calls, args.rounds))  # the broker's loop under uvicorn
    finally:
        server.terminate()
        server.join()
    print(f"µs of client CPU per call pair (token POST + person GET), median of {args.rounds} rounds")
    print("| client | one at a time | 8 at once |\n|---|---:|---:|")
    for name, by_concurrency in figures.items():
        cells = " | ".join(f"{statistics.median(v):.0f}" for v in by_concurrency.values())
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
