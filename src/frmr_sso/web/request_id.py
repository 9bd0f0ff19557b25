"""ASGI middleware: a request id per request, echoed in ``X-Request-ID`` and in every log line.

An incoming id is kept only when it looks like one of ours (short, safe
characters), so a client cannot inject text into the logs. An exception that
escapes the app is logged here, redacted, and answered by ``error_body`` — the
caller never sees a stack trace, and the answer still carries the request id.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.logs import request_id_var

SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("frmr_sso.access")
error_log = logging.getLogger("frmr_sso.error")

ErrorBody = Callable[[str], tuple[str, bytes]]


def new_request_id() -> str:
    return secrets.token_hex(8)


def problem_body(request_id: str) -> tuple[str, bytes]:
    body = {
        "type": "about:blank",
        "title": "Internal error",
        "status": 500,
        "detail": "the request failed; quote the request id to support",
        "request_id": request_id,
    }
    return "application/problem+json", json.dumps(body).encode()


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """The access-log line of one request: method, path without the query string, status, duration."""
    if access_log.isEnabledFor(logging.INFO):
        extra = {"method": scope.get("method"), "path": scope.get("path"), "status": status,
                 "duration_ms": round(seconds * 1000, 2)}
        client_request_id = scope.get("state", {}).get("client_request_id")
        if client_request_id:
            extra["client_request_id"] = client_request_id
        access_log.info("request", extra=extra)


async def send_fallback_error(send_start: Send, send_body: Send, media_type: str, body: bytes) -> None:
    """The 500 answered for an exception that escaped the app before it started its answer.

    ``send_start`` is the wrapped ``send`` (it adds the request id and headers to the start message);
    the body goes straight to ``send_body``.
    """
    headers = [(b"content-type", media_type.encode()), (b"cache-control", b"no-store")]
    await send_start({"type": "http.response.start", "status": 500, "headers": headers})
    await send_body({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, error_body: ErrorBody = problem_body) -> None:
        self.app = app
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else new_request_id()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_log.error("unhandled error", exc_info=exc)
            if status:
                raise
            await send_fallback_error(send_with_id, send, *self.error_body(request_id))
        finally:
            log_request(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)
