"""The protocol endpoints called most often, dispatched without FastAPI's per-request machinery.

``/token``, ``/introspect``, ``/userinfo``, discovery and JWKS are ``Request``-only handlers that
build their own ``Response`` and raise their errors: FastAPI has nothing to inject, validate or
serialise for them. Yet the framework's path costs them
three outer layers (server errors, exception telemetry, body limit), a match against every
route before theirs, the dependency solver (for the OpenAPI security schemes they only
declare), two ``AsyncExitStack`` and two exception-handling layers: together more CPU than
discovery's whole answer, and each layer is walked again whenever the request resumes after
an await (a Redis round trip). See bench/README.md.

``BrokerApp`` answers an HTTP request whose method and path are exactly those of such a route
through the app's own middlewares (``add_middleware``: request id, security headers, metrics,
CORS, rate limits see it as before) around a direct call of the endpoint; ``scope["route"]`` is
its ``APIRoute``, so the route-template metric label stays. Anything else — another method
(405), ``HEAD``, a trailing slash, a ``root_path`` set on the app — takes FastAPI's path
unchanged. The routes stay registered, for the OpenAPI document and for those requests.

An exception such an endpoint raises is answered by the app's exception handlers
(``web/error_table.py``), looked up by its class as Starlette's ``ExceptionMiddleware`` does; one
no handler knows reaches ``web/edge.py`` (500 with the request id), as through the framework.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import cast

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.web.errors import handler_for

Endpoint = Callable[[Request], Awaitable[Response]]


def lean_table(routers: Iterable[APIRouter]) -> dict[tuple[str, str], APIRoute]:
    """(method, path) → route of every route of ``routers``; each endpoint must take the request alone."""
    table: dict[tuple[str, str], APIRoute] = {}
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "{" in route.path:
                raise TypeError(f"{route!r}: only fixed-path API routes can be dispatched directly")
            parameters = list(inspect.signature(route.endpoint).parameters.values())
            if len(parameters) != 1 or not inspect.iscoroutinefunction(route.endpoint):
                raise TypeError(f"{route.path}: a direct endpoint is async and takes the request alone")
            for method in (route.methods or set()) - {"HEAD"}:
                table[(method, route.path)] = route
    return table


class BrokerApp(FastAPI):
    _lean_routes: dict[tuple[str, str], APIRoute] = {}  # noqa: RUF012 - replaced, never mutated
    _lean_stack: ASGIApp | None = None

    def serve_directly(self, routers: Iterable[APIRouter]) -> None:
        """Dispatch the routes of ``routers`` (already included in the app) directly."""
        self._lean_routes = lean_table(routers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (
            self._lean_routes.get((scope["method"], get_route_path(scope)))
            if scope["type"] == "http" and not self.root_path
            else None
        )
        if route is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        stack = self._lean_stack
        if stack is None:
            stack = self._lean_stack = self._build_lean_stack()
        await stack(scope, receive, send)

    def _build_lean_stack(self) -> ASGIApp:
        """The app's own middlewares, outermost first, around the direct call."""
        app: ASGIApp = _call_endpoint
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


async def _call_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    endpoint = cast(Endpoint, scope["endpoint"])
    request = Request(scope, receive, send)
    try:
        response = await endpoint(request)
    except Exception as exc:  # answered by the app's table of exception handlers, as FastAPI would
        handler = handler_for(exc, scope["app"].exception_handlers)
        if handler is None:
            raise
        response = await handler(request, exc)
    await response(scope, receive, send)
