"""SIGTERM to ``frmr-sso serve``: readiness fails first, in-flight and new requests are still served
through the drain, then new connections are refused while the in-flight request finishes.

One instance, so this runs on both store backends. The in-flight request is a real one: a
login's callback while the mock ESIA's token endpoint answers slowly (an injected latency).
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frmr_sso.demo import register_broker_at_mock
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia.app import create_app as create_mock
from tests.e2e.cluster.conftest import SECRET_KEY
from tests.e2e.cluster.flows import Login
from tests.e2e.cluster.processes import BrokerProcess
from tests.e2e.login.support import write_upstreams
from tests.support.esia_mock import MockEsia, mock_settings, purge_mock_keys
from tests.support.servers import serve

DRAIN, LATENCY = 2.0, 6.0
TOKEN_PATH = "/aas/oauth2/v3/te"


class Watch:
    """ASGI wrapper that notes when a request for ``path`` arrives (before the mock's faults)."""

    def __init__(self, app: Any, path: str) -> None:
        self.app, self.path, self.seen = app, path, threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            self.seen.set()
        await self.app(scope, receive, send)


@pytest.fixture
async def solo(
    migrated_database_url: str, redis_url: str | None, cluster_signer: RsaSecretSigner, tmp_path: Path
) -> AsyncIterator[tuple[BrokerProcess, MockEsia, Watch]]:
    settings = mock_settings(redis_url)
    app = create_mock(settings)
    watch = Watch(app, TOKEN_PATH)
    env = {
        "FRMR_SSO_MODE": "demo",
        "FRMR_SSO_DATABASE_URL": migrated_database_url,
        "FRMR_SSO_SECRET_KEY": SECRET_KEY,
        "FRMR_SSO_SHUTDOWN_DRAIN_SECONDS": str(DRAIN),
        "FRMR_SSO_SHUTDOWN_TIMEOUT": "20",
        "FRMR_SSO_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["FRMR_SSO_REDIS_URL"] = redis_url
    broker = BrokerProcess("solo", env, tmp_path)
    broker.env["FRMR_SSO_ISSUER"] = broker.url
    try:
        with serve(watch) as base:
            mock = MockEsia(base=base, settings=settings, state=app.state.mock, signer=cluster_signer)
            register_broker_at_mock(mock.state, cluster_signer, broker.url)
            broker.env["FRMR_SSO_UPSTREAMS_FILE"] = str(
                write_upstreams(
                    tmp_path, mock, cluster_signer, esia_options={"timeout": {"read": 3 * LATENCY}}
                )
            )
            broker.start()
            try:
                yield broker, mock, watch
            finally:
                broker.stop(signal.SIGKILL)
    finally:
        await purge_mock_keys(settings)


async def _until(condition: Any, what: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.05)


async def test_sigterm_drains_then_finishes_in_flight_requests(
    solo: tuple[BrokerProcess, MockEsia, Watch],
) -> None:
    broker, mock, watch = solo
    async with (
        httpx.AsyncClient(follow_redirects=False, timeout=30) as person,
        httpx.AsyncClient(timeout=5) as probe,
    ):
        assert (await probe.get(f"{broker.url}/health/ready")).status_code == 200
        login = Login(person)
        callback = await login.through_esia(broker.url, mock)
        fault = await person.put(mock.url("/_dev/faults"), json={"latency": LATENCY, "scope": ["te"]})
        assert fault.status_code == 200, fault.text

        in_flight = asyncio.create_task(person.get(callback))
        await _until(
            lambda: asyncio.to_thread(watch.seen.wait, 0.05), "the callback reached the token endpoint"
        )
        broker.send(signal.SIGTERM)

        async def not_ready() -> bool:
            return (await probe.get(f"{broker.url}/health/ready")).status_code == 503

        await _until(not_ready, "readiness reports the drain")
        ready = await probe.get(f"{broker.url}/health/ready")
        assert ready.json()["status"] == "draining"
        assert not in_flight.done(), "readiness failed while the request was still in flight"
        served = await probe.get(f"{broker.url}/.well-known/openid-configuration")
        assert served.status_code == 200, "new requests are served during the drain"
        assert (await probe.get(f"{broker.url}/health/live")).status_code == 200

        async def refused() -> bool:
            try:
                await probe.get(f"{broker.url}/health/live")
            except httpx.TransportError:
                return True
            return False

        await _until(refused, "new connections are refused after the drain", within=DRAIN + 10)
        assert not in_flight.done(), "the in-flight request outlives the drain"

        response = await in_flight
        assert response.status_code == 302, response.text
        assert login.code_of(response)
        exit_code = await asyncio.to_thread(broker.wait, 30)
        assert exit_code in (0, -signal.SIGTERM)
        await person.delete(mock.url("/_dev/faults"))
