"""Per-IP rate limits on the login and protocol endpoints (DESIGN.md "Security policy").

One atomic ``incr`` per request in a fixed one-minute window per client IP and
endpoint group. Over the limit: 429 with ``Retry-After``, as JSON in the style
of RFC 6749 §5.2 on /token and /introspect (a client library reads ``error``),
as a Russian page on the browser endpoints. A KV outage lets requests through
(the endpoints report it themselves) rather than locking everyone out.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.errors import NO_STORE_HEADERS
from frmr_sso.web.client_ip import resolve_client_ip
from frmr_sso.web.security_pages import too_many_requests_page

log = logging.getLogger(__name__)
GROUPS: tuple[tuple[str, str], ...] = (
    ("/token", "token"),
    ("/introspect", "token"),
    ("/authorize", "authorize"),
    ("/callback", "callback"),
    ("/login/2fa", "second_factor"),
    ("/2fa", "second_factor"),
    ("/account/2fa", "second_factor"),
)
JSON_GROUPS = frozenset({"token"})
_GROUP_OF = dict(GROUPS)
_PREFIXES = re.compile("(" + "|".join(re.escape(prefix) for prefix, _ in GROUPS) + r")(?:/|\Z)")


def endpoint_group(path: str) -> str | None:
    """The group of the first of ``GROUPS`` that is ``path`` or a prefix of it (up to a ``/``)."""
    found = _PREFIXES.match(path)
    return _GROUP_OF[found.group(1)] if found else None


def too_many_json(retry_after: int) -> Response:
    body = {"error": "too_many_requests", "error_description": "too many requests; retry later"}
    headers = {**NO_STORE_HEADERS, "Retry-After": str(retry_after)}
    return JSONResponse(body, status_code=429, headers=headers)


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = endpoint_group(scope["path"]) if scope["type"] == "http" else None
        container = getattr(scope["app"].state, "container", None) if group and "app" in scope else None
        limiter = container.security.rates[group] if group is not None and container is not None else None
        if group is None or container is None or limiter is None or limiter.limit == 0:  # nothing to count
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        forwarded = Request(scope).headers.get("x-forwarded-for")
        ip = resolve_client_ip(peer, forwarded, container.settings.trusted_proxies) or "unknown"
        try:
            decision = await limiter.hit(ip)
        except FrmrSsoError:  # the KV is down: the endpoint itself answers 503 or a page
            log.warning("rate limit not checked: the KV store is unavailable", extra={"group": group})
            await self.app(scope, receive, send)
            return
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        container.metrics.rate_limited.labels(group).inc()
        if group in JSON_GROUPS:
            response = too_many_json(decision.retry_after)
        else:
            response = too_many_requests_page(Request(scope, receive), decision.retry_after)
        await response(scope, receive, send)
