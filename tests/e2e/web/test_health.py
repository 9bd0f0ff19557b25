from __future__ import annotations

import pathlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib.metadata import version

import httpx
import pytest

from frmr_sso.app import create_app
from frmr_sso.config import Settings, load_settings
from frmr_sso.demo import register_broker_at_mock
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.support import write_upstreams
from tests.support.esia_mock import mock_settings, running_mock
from tests.support.servers import free_port, serve


@pytest.fixture
def broker(database_url: str, redis_url: str | None) -> Iterator[str]:
    from frmr_sso.storage.sql.migrate import upgrade

    upgrade(database_url)
    settings = load_settings(mode="demo", database_url=database_url, redis_url=redis_url)
    with serve(create_app(settings)) as base_url:
        yield base_url


def test_live_answers_while_the_process_runs(broker: str) -> None:
    response = httpx.get(f"{broker}/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": version("frmr-sso")}


def test_ready_checks_database_kv_and_migrations(broker: str) -> None:
    response = httpx.get(f"{broker}/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "kv": "ok", "migrations": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_every_response_carries_a_request_id(broker: str) -> None:
    mine = httpx.get(f"{broker}/health/live", headers={"X-Request-ID": "trace-abcdef12"})
    assert len(mine.headers["x-request-id"]) == 16  # the broker's own; the client's is only logged
    assert mine.headers["x-request-id"] != "trace-abcdef12"
    injected = httpx.get(f"{broker}/health/live", headers={"X-Request-ID": "bad id <script>"})
    assert injected.headers["x-request-id"] != "bad id <script>"
    assert len(injected.headers["x-request-id"]) == 16


def test_unknown_path_is_a_problem_document(broker: str) -> None:
    response = httpx.get(f"{broker}/no/such/path")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["request_id"] == response.headers["x-request-id"]


def test_ready_names_the_failing_part(tmp_path: object, redis_url: str | None) -> None:
    """A database without the schema is reachable but not ready: migrations are named."""
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    settings = load_settings(
        mode="production",
        database_url=url,
        redis_url=redis_url,
        secret_key="test-only-secret-key-7d1f3a9c2e5b8046",
        issuer="https://sso.example.test",
    )
    with serve(create_app(settings)) as base_url:
        response = httpx.get(f"{base_url}/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]


# -- dependencies down: a closed port, and a server that accepts but never answers -------------


@contextmanager
def black_hole() -> Iterator[int]:
    """A loopback port that accepts connections and never sends a byte (a hung database or Redis)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@contextmanager
def closed_port() -> Iterator[int]:
    yield free_port()  # nothing listens there: connections are refused


def _production(database_url: str, redis_url: str | None) -> Settings:
    return load_settings(
        mode="production",
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-only-secret-key-7d1f3a9c2e5b8046",
        issuer="https://sso.example.test",
    )


@pytest.mark.parametrize("unreachable", [closed_port, black_hole], ids=["closed-port", "never-answers"])
def test_ready_names_a_down_database_and_kv_in_bounded_time(
    unreachable: Callable[[], AbstractContextManager[int]],
) -> None:
    with unreachable() as db_port, unreachable() as kv_port:
        settings = _production(
            f"postgresql+asyncpg://frmr:x@127.0.0.1:{db_port}/frmr", f"redis://127.0.0.1:{kv_port}/0"
        )
        with serve(create_app(settings)) as base_url:
            live = httpx.get(f"{base_url}/health/live", timeout=5)
            # the drivers' own connect timeouts are 10 s; the probe answers after its 2 s check timeout
            response = httpx.get(f"{base_url}/health/ready", timeout=8)
    assert live.status_code == 200
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database", "kv", "migrations"]
    assert body["checks"] == {"database": "failing", "kv": "failing", "migrations": "failing"}


def test_ready_names_the_one_failing_store(migrated_database_url: str) -> None:
    """The database answers, the KV does not: only the KV is named."""
    with black_hole() as kv_port:
        settings = load_settings(
            mode="demo", database_url=migrated_database_url, redis_url=f"redis://127.0.0.1:{kv_port}/0"
        )
        with serve(create_app(settings)) as base_url:
            response = httpx.get(f"{base_url}/health/ready", timeout=30)
    assert response.status_code == 503
    assert response.json()["failing"] == ["kv"]


# -- the upstream provider's JWKS ------------------------------------------------------------------


async def test_ready_checks_the_upstream_jwks_from_its_cache(
    migrated_database_url: str, redis_url: str | None, tmp_path: pathlib.Path
) -> None:
    signer = RsaSecretSigner.generate()
    async with running_mock(mock_settings(redis_url), signer) as mock:
        port = free_port()
        broker = f"http://127.0.0.1:{port}"
        register_broker_at_mock(mock.state, signer, broker)
        settings = load_settings(
            mode="demo",
            issuer=broker,
            database_url=migrated_database_url,
            redis_url=redis_url,
            upstreams_file=write_upstreams(tmp_path, mock, signer),
        )
        app = create_app(settings)
        with serve(app, port=port):
            async with httpx.AsyncClient(base_url=broker, timeout=10) as http:

                async def ready() -> httpx.Response:
                    return await http.get("/health/ready")

                first = await ready()
                assert first.status_code == 200, first.text
                assert first.json()["checks"]["jwks:esia"] == "ok"
                keys = app.state.container.connectors["esia"].keys
                fetched = keys.fetches
                for _ in range(5):
                    assert (await ready()).status_code == 200
                assert keys.fetches == fetched, "a cached JWKS is not fetched again by probes"

                fault = await http.put(mock.url("/_dev/faults"), json={"downtime": "503", "scope": ["jwks"]})
                assert fault.status_code == 200
                keys.ttl, keys.min_refetch_interval = 0.0, 0.0  # the cached keys expire now
                down = await ready()
                assert down.status_code == 503
                assert down.json()["failing"] == ["jwks:esia"]

                keys.min_refetch_interval = 3600.0
                fetched = keys.fetches
                for _ in range(5):
                    assert (await ready()).json()["failing"] == ["jwks:esia"], "the outage stays reported"
                assert keys.fetches == fetched, "probes do not hammer a failing provider"

                assert (await http.delete(mock.url("/_dev/faults"))).status_code == 204
                keys.min_refetch_interval = 0.0
                assert (await ready()).status_code == 200


async def test_draining_instance_is_not_ready(migrated_database_url: str) -> None:
    app = create_app(load_settings(mode="demo", database_url=migrated_database_url))
    with serve(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            assert (await http.get("/health/ready")).status_code == 200
            app.state.draining.begin()
            response = await http.get("/health/ready")
            assert (await http.get("/health/live")).status_code == 200
            assert (await http.get("/.well-known/openid-configuration")).status_code == 200, "still serving"
    assert response.status_code == 503
    assert response.json() == {"status": "draining", "failing": ["shutdown"]}
    assert response.headers["cache-control"] == "no-store"
