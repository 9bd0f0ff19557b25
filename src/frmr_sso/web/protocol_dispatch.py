"""The protocol endpoints called most often, answered without FastAPI's routing and dependency solver.

``/token``, ``/introspect``, ``/userinfo``, discovery and JWKS are ``Request``-only handlers that
build their own ``Response`` and answer every error themselves (``protocol_call``): FastAPI has
nothing to inject, validate or serialise for them. Its router would still match the request
against every route before theirs, run the dependency solver (for the OpenAPI security schemes
they only declare), two ``AsyncExitStack`` and two exception-handling layers — more CPU than
discovery's whole answer, paid again at every resume after an await (a Redis round trip).

``ProtocolDispatch`` is an ordinary ASGI middleware (``app.add_middleware``), added first so that
it is the innermost one: every middleware of the app (edge, tracing, body limit, rate limits) and
the framework's own outer layers see these requests as before. A request whose method and path
are exactly those of such a route is answered by a direct call of its endpoint; ``scope["route"]``
is the route, so the route-template metric label stays. Anything else — another method (405),
``HEAD``, a trailing slash, a request under a ``root_path`` — goes on to FastAPI's router
unchanged. The routes stay registered with the app, for the OpenAPI document and for those
requests. Only public framework APIs are used (the ASGI middleware protocol, ``APIRoute``,
``Request``/``Response``).

An exception that escapes such an endpoint reaches ``web/edge.py`` (500 with the request id), as
it did through the router: FastAPI's handlers cover ``HTTPException`` and request validation only,
which these endpoints never raise.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import cast

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
RouteTable = Mapping[tuple[str, str], APIRoute]


def route_table(routers: Iterable[APIRouter]) -> dict[tuple[str, str], APIRoute]:
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


class ProtocolDispatch:
    """ASGI middleware: the routes of ``routes`` called directly, everything else passed on."""

    def __init__(self, app: ASGIApp, *, routes: RouteTable) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (
            self.routes.get((scope["method"], scope["path"]))
            if scope["type"] == "http" and not scope.get("root_path")
            else None
        )
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        response = await cast(Endpoint, route.endpoint)(Request(scope, receive, send))
        await response(scope, receive, send)
