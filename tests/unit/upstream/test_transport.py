"""UpstreamHttp: timeouts, transport errors and 5xx become UpstreamUnavailable and feed the breaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from frmr_sso.upstream.breaker import BreakerState, CircuitBreaker
from frmr_sso.upstream.errors import UpstreamUnavailable
from frmr_sso.upstream.transport import DEFAULT_RETRY_AFTER, UpstreamHttp

Handler = Callable[[httpx.Request], httpx.Response]


def transport_for(handler: Handler, **breaker: float) -> tuple[UpstreamHttp, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return UpstreamHttp(http, connector="esia", breaker=CircuitBreaker(**breaker)), http  # type: ignore[arg-type]


@pytest.fixture
async def closing() -> AsyncIterator[list[httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    yield clients
    for client in clients:
        await client.aclose()


async def test_passes_answers_through_and_counts_success(closing: list[httpx.AsyncClient]) -> None:
    upstream, http = transport_for(lambda request: httpx.Response(400, json={"error": "invalid_request"}))
    closing.append(http)
    response = await upstream.request("POST", "https://esia.test/aas/oauth2/v3/te", data={"a": "b"})
    assert response.status_code == 400
    assert upstream.breaker.counters.successes == 1


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (500, {}, DEFAULT_RETRY_AFTER),
        (503, {"Retry-After": "120"}, 120),
        (429, {"Retry-After": "soon"}, 5),
        (503, {"Retry-After": "999999"}, 3600),
    ],
)
async def test_server_errors_are_unavailable(
    closing: list[httpx.AsyncClient], status: int, headers: dict[str, str], retry_after: int
) -> None:
    upstream, http = transport_for(lambda request: httpx.Response(status, headers=headers))
    closing.append(http)
    with pytest.raises(UpstreamUnavailable) as caught:
        await upstream.request("GET", "https://esia.test/rs/prns/1")
    assert caught.value.reason == f"http_{status}"
    assert caught.value.retry_after == retry_after
    assert caught.value.connector == "esia"
    assert upstream.breaker.counters.failures == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connection"),
        (httpx.RemoteProtocolError("dropped"), "connection"),
    ],
)
async def test_transport_errors_are_unavailable(
    closing: list[httpx.AsyncClient], error: Exception, reason: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    upstream, http = transport_for(handler, failure_threshold=2)
    closing.append(http)
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable) as caught:
            await upstream.request("GET", "https://esia.test/jwks")
        assert caught.value.reason == reason
    with pytest.raises(UpstreamUnavailable) as caught:
        await upstream.request("GET", "https://esia.test/jwks")
    assert caught.value.reason == "circuit_open"
    assert caught.value.retry_after == 30


async def test_the_overall_deadline_bounds_a_slow_upstream(closing: list[httpx.AsyncClient]) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    closing.append(http)
    upstream = UpstreamHttp(http, connector="esia", timeout=httpx.Timeout(0.05, connect=0.05))
    with pytest.raises(UpstreamUnavailable) as caught:
        await upstream.request("GET", "https://esia.test/jwks")
    assert caught.value.reason == "timeout"


async def test_a_cancelled_trial_is_given_back(closing: list[httpx.AsyncClient]) -> None:
    now = [0.0]
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(10)
        return httpx.Response(200)

    http = httpx.AsyncClient(transport=httpx.MockTransport(hang))
    closing.append(http)
    breaker = CircuitBreaker(failure_threshold=1, cool_down=5, clock=lambda: now[0])
    breaker.record_failure()
    now[0] = 5.0
    upstream = UpstreamHttp(http, connector="esia", breaker=breaker)
    task = asyncio.create_task(upstream.request("GET", "https://esia.test/jwks"))
    await started.wait()
    assert breaker.is_open  # the trial is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()


async def test_ensure_available_and_reported_failures(closing: list[httpx.AsyncClient]) -> None:
    upstream, http = transport_for(lambda request: httpx.Response(200), failure_threshold=1)
    closing.append(http)
    upstream.ensure_available()
    error = upstream.failed("ESIA said 007008", reason="esia_007008", esia_code="ESIA-007008")
    assert (error.reason, error.esia_code, error.retry_after) == ("esia_007008", "ESIA-007008", 30)
    with pytest.raises(UpstreamUnavailable) as caught:
        upstream.ensure_available()
    assert caught.value.reason == "circuit_open"
    assert str(caught.value) == "esia: the provider is unavailable (circuit open) [circuit_open]"


async def test_every_call_is_told_to_the_breakers_listener(closing: list[httpx.AsyncClient]) -> None:
    answers = iter([httpx.Response(200, json={}), httpx.Response(503), httpx.Response(404)])
    upstream, http = transport_for(lambda request: next(answers), failure_threshold=5)
    closing.append(http)
    calls: list[tuple[str, str]] = []
    upstream.breaker.listener = lambda connector, seconds, outcome: calls.append((connector, outcome))
    await upstream.request("GET", "https://esia.test/a")
    with pytest.raises(UpstreamUnavailable):
        await upstream.request("GET", "https://esia.test/b")
    await upstream.request("GET", "https://esia.test/c")  # a 4xx: the provider is up
    assert calls == [("esia", "ok"), ("esia", "http_503"), ("esia", "ok")]
