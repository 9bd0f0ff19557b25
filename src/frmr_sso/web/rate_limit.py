"""Per-IP rate limits on the login and protocol endpoints.

One atomic ``incr`` per request in a fixed one-minute window per client IP and
endpoint group. Over the limit: 429 with ``Retry-After``, as JSON in the style
of RFC 6749 §5.2 on /token and /introspect (a client library reads ``error``),
as a Russian page on the browser endpoints. A KV outage lets requests through
(the endpoints report it themselves) rather than locking everyone out. On
``/userinfo`` and the APIs only refused bearer tokens are counted
(``web/bearer_failures.py``). The limiters and metrics come from the holder the composition
root gives the middleware (none before the lifespan has built them: nothing is counted); the
client's address is the one the edge resolved.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.errors import FrmrSsoError
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.web.bearer_failures import limit_refusals, too_many_json, watched_path
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.metrics import Metrics
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


class RateLimits(Protocol):
    """The limiters by group and the metrics: both None until the lifespan has built them."""

    @property
    def rates(self) -> Mapping[str, RateLimiter] | None: ...

    @property
    def metrics(self) -> Metrics | None: ...


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, services: RateLimits) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and watched_path(scope["path"]):
            await self._bearer_path(scope, receive, send)
            return
        group = endpoint_group(scope["path"]) if scope["type"] == "http" else None
        rates, metrics = (self.services.rates, self.services.metrics) if group else (None, None)
        limiter = rates[group] if group is not None and rates is not None else None
        if group is None or metrics is None or limiter is None or limiter.limit == 0:  # nothing to count
            await self.app(scope, receive, send)
            return
        ip = request_ip(scope) or "unknown"
        try:
            decision = await limiter.hit(ip)
        except FrmrSsoError:  # the KV is down: the endpoint itself answers 503 or a page
            log.warning("rate limit not checked: the KV store is unavailable", extra={"group": group})
            await self.app(scope, receive, send)
            return
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        metrics.rate_limited.labels(group).inc()
        if group in JSON_GROUPS:
            response = too_many_json(decision.retry_after)
        else:
            response = too_many_requests_page(Request(scope, receive), decision.retry_after)
        await response(scope, receive, send)

    async def _bearer_path(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/userinfo`` and the APIs: only refused bearer tokens are counted (``web/bearer_failures.py``)."""
        rates, metrics = self.services.rates, self.services.metrics
        limiter = rates.get("bearer_failure") if rates is not None else None
        if metrics is None or limiter is None or limiter.limit == 0:
            await self.app(scope, receive, send)
            return
        ip = request_ip(scope) or "unknown"
        await limit_refusals(self.app, scope, receive, send, limiter=limiter, ip=ip, metrics=metrics)

