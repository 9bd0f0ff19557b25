"""Refused bearer tokens rate-limited per client IP at ``/userinfo`` and the APIs.

The one place that counts them: a refusal is an answer carrying an RFC 6750 challenge
with an error (``WWW-Authenticate: Bearer … error="…"``), whichever route or validator
refused the token; a request without credentials (a challenge without an error) is not
counted. Each refusal takes one atomic ``incr`` in a one-minute window per address
(``RATE_LIMIT_BEARER_FAILURES_PER_MINUTE``); past the limit the refusal is answered
429 with ``Retry-After`` instead (RFC 6749 style JSON on ``/userinfo``, problem+json on
the APIs). Only refusals pay: a valid token is never delayed or counted, so a hospital
behind one address is not locked out by one misconfigured application.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.errors import NO_STORE_HEADERS
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.web.errors import problem

log = logging.getLogger(__name__)
GROUP = "bearer_failure"
_CHALLENGE = b"www-authenticate"


def watched_path(path: str) -> bool:
    return path == "/userinfo" or path.startswith("/api/")


def is_refusal(message: Message) -> bool:
    """Whether a response start is a refused bearer token (a Bearer challenge naming an error)."""
    if message["status"] not in (400, 401, 403):
        return False
    return any(
        name == _CHALLENGE and value.startswith(b"Bearer") and b'error="' in value
        for name, value in message.get("headers", ())
    )


async def limit_refusals(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, limiter: RateLimiter, ip: str, metrics: Any
) -> None:
    """Run ``app``; a refusal from ``ip`` beyond the limit is answered 429 in its place."""
    replaced = False

    async def send_or_replace(message: Message) -> None:
        nonlocal replaced
        if replaced:  # the refusal's body: already answered
            return
        if message["type"] == "http.response.start" and is_refusal(message):
            try:
                decision = await limiter.hit(ip)
            except FrmrSsoError:  # the KV is down: the refusal goes out as it is
                log.warning("bearer failures not counted: the KV store is unavailable")
            else:
                if not decision.allowed:
                    replaced = True
                    metrics.rate_limited.labels(GROUP).inc()
                    await _too_many(scope, send, decision.retry_after)
                    return
        await send(message)

    await app(scope, receive, send_or_replace)


def too_many_json(retry_after: int) -> Response:
    """429 in the style of RFC 6749 §5.2, for clients of the protocol endpoints."""
    body = {"error": "too_many_requests", "error_description": "too many requests; retry later"}
    headers = {**NO_STORE_HEADERS, "Retry-After": str(retry_after)}
    return JSONResponse(body, status_code=429, headers=headers)


async def _too_many(scope: Scope, send: Send, retry_after: int) -> None:
    detail = "too many refused access tokens from this address; retry later"
    response: Response
    if scope["path"].startswith("/api/"):
        response = problem(429, "Too Many Requests", detail)
    else:
        response = too_many_json(retry_after)
    response.headers["Retry-After"] = str(retry_after)

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)
