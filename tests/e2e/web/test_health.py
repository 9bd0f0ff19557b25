from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from frmr_sso.app import create_app
from frmr_sso.config import load_settings
from tests.support.servers import serve


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
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_kv_and_migrations(broker: str) -> None:
    response = httpx.get(f"{broker}/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "kv": "ok", "migrations": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_every_response_carries_a_request_id(broker: str) -> None:
    mine = httpx.get(f"{broker}/health/live", headers={"X-Request-ID": "trace-abcdef12"})
    assert mine.headers["x-request-id"] == "trace-abcdef12"
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
        secret_key="s" * 40,
        issuer="https://sso.example.test",
    )
    with serve(create_app(settings)) as base_url:
        response = httpx.get(f"{base_url}/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
