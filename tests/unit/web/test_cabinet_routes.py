from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from frmr_sso.app import create_app
from frmr_sso.config import load_settings


def paths(mode: str) -> set[str]:
    production = {"issuer": "https://sso.example.test", "secret_key": "test-only-secret-key-7d1f3a9c2e5b8046"}
    extra = production if mode == "production" else {}
    app = create_app(load_settings(mode=mode, **extra))
    return set(_paths(app.routes))


def _paths(routes: Any) -> Iterator[str]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path
        elif hasattr(route, "original_router"):  # an included router (FastAPI keeps them nested)
            yield from _paths(route.original_router.routes)


def test_the_dev_outbox_of_one_time_codes_exists_only_in_demo_mode() -> None:
    assert "/_dev/outbox" in paths("demo")
    production = paths("production")
    assert "/_dev/outbox" not in production
    assert {
        "/api/v1/me/change-requests",
        "/api/v1/support-requests",
        "/api/v1/me/length-of-service",
    } <= production
