"""The mock ESIA application: ``create_app(settings)`` wires state and routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from frmr_sso.web.request_id import RequestIdMiddleware
from mock_esia.config import MockSettings
from mock_esia.errors import EsiaError
from mock_esia.portal import DemoRelyingParty
from mock_esia.routes import authorize, dev, login, outbox, portal, rest, token
from mock_esia.state import MockState, build_state


def _internal_error(request_id: str) -> tuple[str, bytes]:
    body = EsiaError("ESIA-007007", status_code=500).body()
    return "application/json", json.dumps(body, ensure_ascii=False).encode()


def create_app(settings: MockSettings | None = None) -> FastAPI:
    settings = settings or MockSettings()
    state = build_state(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.kv.close()

    app = FastAPI(title="mock ESIA", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.mock = state
    app.add_middleware(RequestIdMiddleware, error_body=_internal_error)

    @app.exception_handler(EsiaError)
    async def esia_error(request: Request, exc: EsiaError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (authorize, token, rest, login, outbox):
        app.include_router(module.router)
    if settings.dev:
        app.include_router(dev.router)
        app.state.demo_party = DemoRelyingParty.register(state)
        app.include_router(portal.router)
    dev.install_fault_middleware(app, state)
    return app


def mock_state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state
