"""Per-IP rate limits on the login and protocol endpoints.

One atomic ``incr`` per request in a fixed one-minute window per client IP and
endpoint group. Over the limit: 429 with ``Retry-After``, as JSON in the style
of RFC 6749 §5.2 on /token and /introspect (a client library reads ``error``),
as a Russian page on the browser endpoints. A KV outage lets requests through
(the endpoints report it themselves) rather than locking everyone out. On
``/userinfo`` and the APIs only refused bearer tokens are counted
(``web/bearer_failures.py``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.errors import FrmrSsoError
from frmr_sso.web.bearer_failures import limit_refusals, too_many_json, watched_path
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


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and watched_path(scope["path"]):
            await self._bearer_path(scope, receive, send)
            return
        group = endpoint_group(scope["path"]) if scope["type"] == "http" else None
        container = getattr(scope["app"].state, "container", None) if group and "app" in scope else None
        limiter = container.security.rates[group] if group is not None and container is not None else None
        if group is None or container is None or limiter is None or limiter.limit == 0:  # nothing to count
            await self.app(scope, receive, send)
            return
        ip = _ip(scope, container)
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

    async def _bearer_path(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/userinfo`` and the APIs: only refused bearer tokens are counted (``web/bearer_failures.py``)."""
        container = getattr(scope["app"].state, "container", None) if "app" in scope else None
        limiter = container.security.rates.get("bearer_failure") if container is not None else None
        if container is None or limiter is None or limiter.limit == 0:
            await self.app(scope, receive, send)
            return
        ip, metrics = _ip(scope, container), container.metrics
        await limit_refusals(self.app, scope, receive, send, limiter=limiter, ip=ip, metrics=metrics)


def _ip(scope: Scope, container: Any) -> str:
    peer = scope["client"][0] if scope.get("client") else None
    forwarded = Request(scope).headers.get("x-forwarded-for")
    return resolve_client_ip(peer, forwarded, container.settings.trusted_proxies) or "unknown"
