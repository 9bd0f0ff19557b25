"""Every call to an upstream goes through here: the breaker, a timeout, and one error type.

``UpstreamHttp`` wraps the injected ``httpx.AsyncClient`` (shared, owned by the
app's lifespan) with the connector's ``httpx.Timeout`` (default connect 2 s,
read 5 s) and an overall deadline of connect + read, so no login waits on a
provider for longer than that. Timeouts, connection errors, 429 and 5xx become
``UpstreamUnavailable`` and count against the breaker; any other answer,
including a 4xx, is handed back (the provider is up, the connector judges it).
Only the path is logged: never a query, a body or a header. Each call's duration
and outcome go to the breaker's ``listener`` (the metrics), when one is set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.errors import UpstreamUnavailable

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
DEFAULT_RETRY_AFTER = 5
MAX_RETRY_AFTER = 3600

log = logging.getLogger("frmr_sso.upstream")


def _retry_after_header(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "").strip()
    return min(int(value), MAX_RETRY_AFTER) if value.isdigit() else None


def _deadline(timeout: httpx.Timeout) -> float:
    """Connect plus read: a provider that trickles bytes cannot hold a login longer than that."""
    parts = (timeout.connect, timeout.read)
    return sum(part for part in parts if part is not None) or 30.0


class UpstreamHttp:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        connector: str,
        breaker: CircuitBreaker | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.http = http
        self.connector = connector
        self.breaker = breaker or CircuitBreaker()
        self.timeout = timeout
        self._deadline = _deadline(timeout)

    def unavailable(
        self, message: str, *, reason: str, hint: int | None = None, esia_code: str | None = None
    ) -> UpstreamUnavailable:
        retry_after = max(self.breaker.retry_after(), hint or 0) or DEFAULT_RETRY_AFTER
        return UpstreamUnavailable(
            message, retry_after=retry_after, connector=self.connector, reason=reason, esia_code=esia_code
        )

    def ensure_available(self) -> None:
        """Refuse to start a login while the breaker is open (no call is made)."""
        if self.breaker.is_open:
            self.breaker.counters.rejected += 1
            raise self.unavailable("the provider is unavailable (circuit open)", reason="circuit_open")

    def failed(self, message: str, *, reason: str, esia_code: str | None = None) -> UpstreamUnavailable:
        """An outage the provider reported on the back channel (ESIA-007008 in a token answer): count it
        and describe it. One the browser brings (a callback error) is only described: ``unavailable``."""
        self.breaker.record_failure()
        log.warning("upstream unavailable", extra={"connector": self.connector, "reason": reason})
        return self.unavailable(message, reason=reason, esia_code=esia_code)

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        if not self.breaker.allow():
            raise self.unavailable("the provider is unavailable (circuit open)", reason="circuit_open")
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self.timeout, "follow_redirects": False}
        if data is not None:
            kwargs["data"] = dict(data)
        if auth is not None:
            kwargs["auth"] = auth
        path = httpx.URL(url).path
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._deadline):
                response = await self.http.request(method, url, **kwargs)
        except (httpx.TimeoutException, TimeoutError):
            self._observe(started, "timeout")
            raise self.failed(f"no answer in time from {path}", reason="timeout") from None
        except httpx.TransportError as exc:
            self._observe(started, "connection")
            message = f"connection to {path} failed ({type(exc).__name__})"
            raise self.failed(message, reason="connection") from None
        except BaseException:
            self.breaker.release()
            raise
        unavailable = response.status_code >= 500 or response.status_code == 429
        self._observe(started, f"http_{response.status_code}" if unavailable else "ok")
        if unavailable:
            self.breaker.record_failure()
            log.warning(
                "upstream unavailable",
                extra={"connector": self.connector, "reason": "http_status", "status": response.status_code},
            )
            raise self.unavailable(
                f"{path} answered HTTP {response.status_code}",
                reason=f"http_{response.status_code}",
                hint=_retry_after_header(response),
            )
        self.breaker.record_success()
        return response

    def _observe(self, started: float, outcome: str) -> None:
        listener = self.breaker.listener
        if listener is not None:
            listener(self.connector, time.perf_counter() - started, outcome)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
