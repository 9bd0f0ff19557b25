"""``create_app(settings)``: the broker's FastAPI application; the lifespan owns every resource.

Tracing is wired here and in the composition root only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set
(or a ``Tracing`` is given, as tests do): otherwise no tracing module is even imported.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from frmr_sso.bootstrap import Running, build_container
from frmr_sso.cabinet.mount import cabinet_running, mount_cabinet
from frmr_sso.cabinet.runtime import MOUNT as CABINET_MOUNT
from frmr_sso.config import Settings
from frmr_sso.version import package_version
from frmr_sso.web.body_limit import BodyLimitMiddleware
from frmr_sso.web.edge import EdgeMiddleware
from frmr_sso.web.error_table import install_error_handlers
from frmr_sso.web.protocol_dispatch import ProtocolDispatch, path_roots, route_table, routes_at
from frmr_sso.web.rate_limit import RateLimitMiddleware
from frmr_sso.web.routes import (
    account_history,
    account_second_factor,
    account_sessions,
    admin,
    admin_second_factor,
    api_v1_registry,
    api_v1_registry_lookup,
    api_v1_requests,
    api_v1_requests_admin,
    api_v1_service,
    api_v1_statements,
    api_v1_support,
    audit_api,
    authorize,
    callback,
    consent,
    discovery,
    health,
    introspect,
    logout,
    metrics,
    passkeys,
    revoke,
    second_factor,
    start,
    token,
    userinfo,
)
from frmr_sso.web.shutdown import Draining
from frmr_sso.web.site import SiteInfo

if TYPE_CHECKING:
    from frmr_sso.tracing.provider import Tracing

# Metrics are Prometheus (/metrics). FastAPI releases with a built-in OpenTelemetry hook look at
# os.environ on every request to see whether it is configured; turned off where it exists.
NO_OTEL: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)

DIRECT_ROUTES = (
    *discovery.router.routes, *token.router.routes, *introspect.router.routes, *userinfo.router.routes,
    *routes_at(api_v1_registry.router, "/api/v1/me"),
    *routes_at(api_v1_service.router, "/api/v1/me/length-of-service"),
    *routes_at(api_v1_registry_lookup.router, "/api/v1/registry/lookup"),
)


ROUTERS = (  # in the order FastAPI's router tries them: the login's own first
    health.router, discovery.router, token.router, introspect.router, revoke.router, userinfo.router,
    authorize.router, callback.router, logout.router, metrics.router, start.router, admin.router,
    audit_api.router, second_factor.router, admin_second_factor.router, account_second_factor.router,
    passkeys.router, account_sessions.router, consent.router, account_history.router,
    api_v1_registry.router, api_v1_registry_lookup.router, api_v1_statements.router, api_v1_requests.router,
    api_v1_requests_admin.router, api_v1_service.router, api_v1_support.router,
)


def create_app(settings: Settings, *, tracing: Tracing | None = None) -> FastAPI:
    tracing = tracing or otlp_tracing(settings)
    running = Running()  # the middlewares' metrics and rate limits, once the lifespan has built them

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            container = await build_container(settings, tracing=tracing)
            app.state.container = container
            running.start(container)
            try:
                async with cabinet_running(cabinet):
                    yield
            finally:
                await container.aclose()
        finally:
            if tracing is not None:
                tracing.shutdown()

    app = FastAPI(
        title="frmr-sso", version=package_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
        **NO_OTEL,
    )
    app.state.draining = Draining()  # `frmr-sso serve` begins it on SIGTERM; /health/ready reports it
    routers = ROUTERS + ((api_v1_requests_admin.dev_router,) if settings.is_demo else ())  # dev outbox
    for router in routers:
        app.include_router(router)
    # innermost: the hot endpoints called directly, without FastAPI's router and dependencies
    paths = [getattr(route, "path", "/") for router in routers for route in router.routes]
    paths += [app.openapi_url or "/", CABINET_MOUNT]
    app.add_middleware(ProtocolDispatch, routes=route_table(DIRECT_ROUTES), roots=path_roots(paths))
    app.add_middleware(RateLimitMiddleware, services=running)
    app.add_middleware(
        BodyLimitMiddleware, limit=settings.max_body_bytes, upload_limit=settings.max_upload_body_bytes
    )
    if tracing is not None:
        tracing.trace_requests(app)  # inside the edge: the request id is known when the span starts
    # outermost: metrics, security headers, canonical host, request id, CORS
    app.add_middleware(
        EdgeMiddleware, issuer=settings.issuer, trusted_proxies=settings.trusted_proxies, services=running
    )
    install_error_handlers(app)
    cabinet = mount_cabinet(app, settings)  # the personal cabinet, a client of this app over HTTP
    # What every page's footer, the start page and the privacy notice say about the service.
    app.state.site = SiteInfo.from_settings(settings, cabinet_mount=CABINET_MOUNT if cabinet else None)
    if cabinet is not None:
        cabinet.state.site = app.state.site
    return app


def otlp_tracing(settings: Settings) -> Tracing | None:
    """OTLP tracing when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else None (nothing imported)."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    from frmr_sso.tracing.provider import Tracing

    return Tracing.otlp()
