"""``frmr-sso serve`` as an operator runs it (a real subprocess): ``/metrics`` on a port of its own,
the refused configurations, and no ``--workers`` option.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.cluster.processes import FRMR_SSO, BrokerProcess
from tests.support.servers import free_port

SECRET_KEY = "serve-test-secret-key-0123456789-abcdefgh"
DRAIN = 1.5
PROBLEM = "application/problem+json"


def _production(database_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        "FRMR_SSO_MODE": "production",
        "FRMR_SSO_SECRET_KEY": SECRET_KEY,
        "FRMR_SSO_ISSUER": "https://sso.example.test",
        "FRMR_SSO_DATABASE_URL": database_url,
        "FRMR_SSO_LOG_LEVEL": "INFO",
        **extra,
    }
    if redis_url:
        env["FRMR_SSO_REDIS_URL"] = redis_url
    return env


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")} | env
    return subprocess.run(
        [FRMR_SSO, *args], env=clean, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def split_broker(
    migrated_database_url: str, redis_url: str | None, tmp_path: Path
) -> Iterator[tuple[BrokerProcess, str]]:
    metrics_port = free_port()
    env = _production(
        migrated_database_url, redis_url,
        FRMR_SSO_METRICS_PORT=str(metrics_port), FRMR_SSO_SHUTDOWN_DRAIN_SECONDS=str(DRAIN),
    )
    broker = BrokerProcess("split", env, tmp_path)
    broker.start()
    try:
        yield broker, f"http://127.0.0.1:{metrics_port}"
    finally:
        broker.stop(signal.SIGKILL)


def _assert_problem_404(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 404
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_metrics_port_serves_metrics_and_probes_only_and_the_public_port_never_metrics(
    split_broker: tuple[BrokerProcess, str],
) -> None:
    broker, metrics = split_broker
    with httpx.Client(timeout=10) as http:
        discovery = http.get(f"{broker.url}/.well-known/openid-configuration")
        assert discovery.status_code == 200
        assert http.get(f"{broker.url}/health/ready").status_code == 200
        for path in ("/metrics", "/metrics/", "/metrics/extra"):
            _assert_problem_404(http.get(f"{broker.url}{path}"))

        scraped = http.get(f"{metrics}/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert "# TYPE frmr_sso_logins_total counter" in scraped.text
        # one process, one registry: the requests on the public port are counted in it
        assert 'route="/.well-known/openid-configuration"' in scraped.text
        assert http.get(f"{metrics}/health/live").json()["status"] == "ok"
        assert http.get(f"{metrics}/health/ready").json()["status"] == "ok"

        for path in ("/token", "/authorize", "/.well-known/openid-configuration", "/jwks", "/metrics/"):
            _assert_problem_404(http.get(f"{metrics}{path}"))
        token = http.post(f"{metrics}/token", data={"grant_type": "client_credentials"})
        _assert_problem_404(token)
        assert "this port serves only" in token.json()["detail"]


def test_sigterm_drains_both_ports_then_exits(split_broker: tuple[BrokerProcess, str]) -> None:
    broker, metrics = split_broker
    with httpx.Client(timeout=5) as http:
        assert http.get(f"{metrics}/metrics").status_code == 200
        broker.send(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while (ready := http.get(f"{metrics}/health/ready")).status_code != 503:
            assert time.monotonic() < deadline, "readiness on the metrics port reports the drain"
            time.sleep(0.05)
        assert ready.json()["status"] == "draining"
        assert http.get(f"{broker.url}/health/ready").status_code == 503
        assert http.get(f"{metrics}/metrics").status_code == 200, "scraped during the drain"
        # uvicorn re-raises the signal after a complete shutdown: 0 or "terminated by SIGTERM"
        assert broker.wait(timeout=30) in (0, -signal.SIGTERM)
        for url in (broker.url, metrics):
            with pytest.raises(httpx.TransportError):
                http.get(f"{url}/health/live")
    log = broker.log.read_text(encoding="utf-8")
    assert log.count("Application startup complete.") == 1, "one lifespan for both sockets"
    assert log.count("Application shutdown complete.") == 1
    assert f"/metrics on http://127.0.0.1:{metrics.rsplit(':', 1)[1]}" in log


@pytest.mark.parametrize("how", ["environment", "--port"])
def test_metrics_port_equal_to_the_public_port_is_refused(tmp_path: Path, how: str) -> None:
    port = str(free_port())
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", FRMR_SSO_METRICS_PORT=port)
    if how == "environment":
        env["FRMR_SSO_PORT"] = port
        result = _run("serve", env=env, cwd=tmp_path)
    else:
        result = _run("serve", "--port", port, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "FRMR_SSO_METRICS_PORT must differ from the public port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "x.db").exists(), "refused before anything starts"


def test_metrics_host_without_a_metrics_port_is_refused(tmp_path: Path) -> None:
    env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", FRMR_SSO_METRICS_HOST="127.0.0.1")
    result = _run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "FRMR_SSO_METRICS_HOST is set but FRMR_SSO_METRICS_PORT is not" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_metrics_port_in_use_stops_the_start_with_its_address(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _production(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", FRMR_SSO_METRICS_PORT=str(port))
        result = _run("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_has_no_workers_option(tmp_path: Path) -> None:
    """One ``frmr-sso serve`` is one process; more cores mean more instances."""
    result = _run("serve", "--workers", "2", env=_production("sqlite+aiosqlite:///x.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --workers" in result.stderr


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "FRMR_SSO_SECRET_KEY is not set"), ("short", "at least 32 characters")],
)
def test_serve_refuses_to_start_without_a_real_secret(
    tmp_path: Path, secret: str | None, message: str
) -> None:
    env = {"FRMR_SSO_ISSUER": "https://sso.example.test"}
    if secret is not None:
        env["FRMR_SSO_SECRET_KEY"] = secret
    result = _run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
