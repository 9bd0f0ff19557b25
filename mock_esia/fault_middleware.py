"""ASGI middleware that makes protocol endpoints fail as ``Faults`` says.

Order per request: latency, then downtime (503 or a dropped connection), then
a hang (timeout), then an injected 5xx; otherwise the request passes. Paths
under ``/_dev`` and ``/health`` are never touched. A hang ends when the fault
is cleared or replaced, when the client disconnects, or after ``hang_seconds``
(then 504), so no request outlives a test by more than that bound.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_esia.errors import EsiaError
from mock_esia.faults import Faults, endpoint_of

RETRY_AFTER_SECONDS = 30


class ConnectionDropped(Exception):
    """Raised after the response head so the server closes the connection mid-response."""


async def _client_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hang(receive: Receive, released: asyncio.Event, seconds: float) -> None:
    waiters = {asyncio.ensure_future(_client_gone(receive)), asyncio.ensure_future(released.wait())}
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter


def _error(status: int, code: str, *, retry_after: bool = False) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(EsiaError(code, status_code=status).body(), status_code=status, headers=headers)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = endpoint_of(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None or not self.faults.hits(endpoint):
            await self.app(scope, receive, send)
            return
        config = self.faults.config
        if config.latency:
            await asyncio.sleep(config.latency)
        if config.downtime == "503":
            await _error(503, "ESIA-007008", retry_after=True)(scope, receive, send)
        elif config.downtime == "drop":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]}
            )
            raise ConnectionDropped("fault injection: connection dropped")
        elif config.timeout:
            await _hang(receive, self.faults.released, config.hang_seconds)
            await _error(504, "ESIA-007008")(scope, receive, send)
        elif (status := self.faults.take_status()) is not None:
            code = "ESIA-007007" if status == 500 else "ESIA-007008"
            await _error(status, code, retry_after=status == 503)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
