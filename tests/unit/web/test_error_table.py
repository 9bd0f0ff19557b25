"""The one table of exception handlers: every core error class has a handler, each route kind its shape."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

import frmr_sso
from frmr_sso.audit.events import AuditContext, Event
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.errors import InvalidGrant, InvalidToken, OAuthError
from frmr_sso.registry.api import InvalidParams
from frmr_sso.security.person_limits import RateLimited
from frmr_sso.storage.errors import StorageError
from frmr_sso.web.edge import EdgeMiddleware
from frmr_sso.web.error_table import HANDLERS, install_error_handlers, oauth_error, unavailable
from frmr_sso.web.errors import RouteKind, handler_for, route_kind
from frmr_sso.web.login_http import MalformedForm
from frmr_sso.web.metrics import Metrics
from frmr_sso.web.oauth_http import oauth_request
from frmr_sso.web.protocol_dispatch import ProtocolDispatch, route_table
from frmr_sso.web.refusals import AUDIT_REFUSALS

UNSIGNED = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."  # {"alg":"none"}.{"sub":"x"}.
SKIP = ("frmr_sso.tracing", "frmr_sso.cli")  # optional exporters; the command line raises no HTTP errors


def _all_modules() -> Iterator[str]:
    for info in pkgutil.walk_packages(frmr_sso.__path__, "frmr_sso."):
        if not info.name.startswith(SKIP):
            yield info.name


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_core_error_class_maps_to_exactly_one_handler() -> None:
    for name in _all_modules():
        importlib.import_module(name)
    errors = _subclasses(FrmrSsoError) | _subclasses(OAuthError)
    core = {c for c in errors if c.__module__.startswith("frmr_")}
    assert len(core) > 30  # every module was imported
    for cls in sorted(core, key=lambda c: c.__qualname__):
        registered = [base for base in cls.__mro__ if base in HANDLERS]
        assert registered, f"{cls.__qualname__} has no handler"
        assert handler_for(cls.__new__(cls), HANDLERS) is HANDLERS[registered[0]]  # the nearest one wins
    assert handler_for(StorageError("down"), HANDLERS) is unavailable
    assert handler_for(InvalidToken("x"), HANDLERS) is oauth_error
    assert handler_for(ValueError("not ours"), HANDLERS) is None  # left to the edge's 500


def test_the_app_registers_the_table_and_nothing_else() -> None:
    app = FastAPI()
    install_error_handlers(app)
    registered = {k: v for k, v in app.exception_handlers.items() if k in HANDLERS}
    assert registered == dict(HANDLERS)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[Event, dict[str, Any]]] = []

    async def record(self, event: Event, context: AuditContext, **fields: Any) -> None:
        self.events.append((event, fields))


def _app(raised: dict[str, BaseException], recorder: Recorder) -> FastAPI:
    router = APIRouter()

    def endpoint(path: str) -> Any:
        async def raise_it(request: Request) -> Response:
            await oauth_request(request, form=False)  # what a route learns before it fails
            raise raised[path]

        return raise_it

    for path in ("/token", "/userinfo", "/api/v1/thing", "/account/page", "/privacy"):
        router.add_api_route(path, endpoint(path), methods=["GET"])
    audited = endpoint("/api/v1/audited")
    router.add_api_route("/api/v1/audited", audited, methods=["GET"], dependencies=AUDIT_REFUSALS)
    app = FastAPI()
    app.include_router(router)
    lean = APIRouter()
    lean.add_api_route("/userinfo", endpoint("/userinfo"), methods=["GET"])
    app.add_middleware(ProtocolDispatch, routes=route_table(lean.routes))  # as the app serves the hot ones
    app.add_middleware(EdgeMiddleware)
    install_error_handlers(app)
    security = SimpleNamespace(auditor=recorder, bearer_refusals=None)
    app.state.container = SimpleNamespace(
        refusal_audit=SimpleNamespace(security=security, clients=None), metrics=Metrics()
    )
    return app


async def _get(
    raised: dict[str, BaseException], path: str, recorder: Recorder | None = None
) -> httpx.Response:
    app = _app(raised, recorder or Recorder())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers={"Authorization": f"Bearer {UNSIGNED}"})


@pytest.mark.parametrize("path", ["/token", "/userinfo"])
async def test_protocol_endpoints_answer_rfc_6749_json(path: str) -> None:
    refused = await _get({path: InvalidToken("expired")}, path)
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid_token", "error_description": "expired"}
    assert refused.headers["www-authenticate"].startswith('Bearer realm="frmr-sso", error="invalid_token"')
    assert refused.headers["cache-control"] == "no-store"
    down = await _get({path: StorageError("database down")}, path)
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert down.json()["error"] == "temporarily_unavailable"
    assert "database" not in down.text


async def test_apis_answer_problem_json_with_the_request_id() -> None:
    path = "/api/v1/thing"
    refused = await _get({path: InvalidToken("expired")}, path)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["error"] == "invalid_token"
    assert refused.json()["request_id"] == refused.headers["x-request-id"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    invalid = await _get({path: InvalidParams([("limit", "must be a number")])}, path)
    assert invalid.status_code == 400
    assert invalid.json()["invalid-params"] == [{"name": "limit", "reason": "must be a number"}]
    assert invalid.json()["errors"] == [{"field": "limit", "message": "must be a number"}]
    limited = await _get({path: RateLimited("slow down", 7)}, path)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    down = await _get({path: StorageError("database down")}, path)
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert down.headers["content-type"] == "application/problem+json"
    unknown = await _get({path: ValueError("a bug")}, path)
    assert unknown.status_code == 500
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "a bug" not in unknown.text


@pytest.mark.parametrize("path", ["/account/page", "/privacy"])
async def test_pages_answer_a_russian_page_with_the_request_id(path: str) -> None:
    down = "the store is down"
    for raised in (StorageError(down), InvalidGrant("x"), ConnectionError(down)):
        page = await _get({path: raised}, path)
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "Вход временно невозможен" in page.text
        assert page.headers["x-request-id"] in page.text
        assert down not in page.text
        assert page.headers["cache-control"] == "no-store"
    malformed = await _get({path: MalformedForm(400, "no boundary")}, path)
    assert malformed.status_code == 400
    assert "Некорректная форма" in malformed.text


async def test_refusals_are_audited_on_protocol_endpoints_and_audited_apis_only() -> None:
    recorder = Recorder()
    for path in ("/userinfo", "/api/v1/audited", "/api/v1/thing"):
        await _get({path: InvalidToken("expired")}, path, recorder)
    assert [(e, f["details"]["endpoint"], f["details"]["alg"]) for e, f in recorder.events] == [
        (Event.BEARER_REFUSED, "/userinfo", "none"),
        (Event.BEARER_REFUSED, "/api/v1/audited", "none"),
    ]


def test_the_route_kind_comes_from_the_matched_route() -> None:
    page_route = SimpleNamespace(path="/callback/{connector}")
    assert route_kind({"path": "/token"}) is RouteKind.PROTOCOL
    assert route_kind({"path": "/callback/esia", "route": page_route}) is RouteKind.PAGE
    assert route_kind({"path": "/account/unknown"}) is RouteKind.API  # no route served it: a 404 problem
    api_route = SimpleNamespace(path="/api/v1/me/sessions")
    assert route_kind({"path": "/api/v1/me/sessions", "route": api_route}) is RouteKind.API
