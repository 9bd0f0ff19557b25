"""``create_app(settings)``: the broker's FastAPI application; the lifespan owns every resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frmr_sso.bootstrap import build_container
from frmr_sso.config import Settings
from frmr_sso.web.cors import ProtocolCors
from frmr_sso.web.errors import install_error_handlers
from frmr_sso.web.rate_limit import RateLimitMiddleware
from frmr_sso.web.request_id import RequestIdMiddleware
from frmr_sso.web.routes import (
    admin,
    audit_api,
    authorize,
    callback,
    discovery,
    health,
    introspect,
    logout,
    metrics,
    revoke,
    token,
    userinfo,
)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await build_container(settings)
        app.state.container = container
        try:
            yield
        finally:
            await container.aclose()

    app = FastAPI(title="frmr-sso", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(ProtocolCors)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    for router in (health.router, discovery.router, token.router, introspect.router, revoke.router,
                   userinfo.router, authorize.router, callback.router, logout.router, metrics.router):
        app.include_router(router)
    app.include_router(admin.router)
    app.include_router(audit_api.router)
    return app
