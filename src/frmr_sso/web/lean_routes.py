"""The protocol endpoints called most often, dispatched without FastAPI's per-request machinery.

``/token``, ``/introspect``, ``/userinfo``, discovery and JWKS are handlers of the ``Request`` and
the services they name (``web/deps.py``: dependencies computed from the request alone) that build
their own ``Response`` and raise their errors: FastAPI has nothing to validate or serialise for
them, and a direct call gets each service from its provider. Yet the
framework's path costs them three outer layers (server errors, exception telemetry, body
limit), a match against every route before theirs, the dependency solver (for the OpenAPI
security schemes they only declare), two ``AsyncExitStack`` and two exception-handling
layers: together more CPU than discovery's whole answer, and each layer is walked again
whenever the request resumes after an await (a Redis round trip). See bench/README.md.

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
from dataclasses import dataclass
from typing import Annotated, Any, cast, get_args, get_origin, get_type_hints

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.web.errors import handler_for

Provider = Callable[[Request], Awaitable[object]]
_LEAN = "frmr_sso.lean_route"  # the scope key of the ``LeanRoute`` being answered


@dataclass(frozen=True, slots=True)
class LeanRoute:
    route: APIRoute
    providers: tuple[tuple[str, Provider], ...]  # (parameter, its dependency) but the request

    async def respond(self, request: Request) -> Response:
        services = {name: await provider(request) for name, provider in self.providers}
        return await cast(Callable[..., Awaitable[Response]], self.route.endpoint)(request, **services)


def lean_table(routers: Iterable[APIRouter]) -> dict[tuple[str, str], LeanRoute]:
    """(method, path) → route of every route of ``routers``; each endpoint must be async and take the
    request and, by keyword, dependencies of the request alone (``web/deps.py``)."""
    table: dict[tuple[str, str], LeanRoute] = {}
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "{" in route.path:
                raise TypeError(f"{route!r}: only fixed-path API routes can be dispatched directly")
            lean = LeanRoute(route, _providers(route))
            for method in (route.methods or set()) - {"HEAD"}:
                table[(method, route.path)] = lean
    return table


def _providers(route: APIRoute) -> tuple[tuple[str, Provider], ...]:
    refused = TypeError(f"{route.path}: a direct endpoint is async and takes the request and services alone")
    if not inspect.iscoroutinefunction(route.endpoint):
        raise refused
    try:
        hints = get_type_hints(route.endpoint, include_extras=True)
    except NameError:  # an annotation names something the endpoint's module does not define
        raise refused from None
    names = list(inspect.signature(route.endpoint).parameters)
    if not names or hints.get(names[0]) is not Request:
        raise refused
    providers = [(name, _provider(hints.get(name))) for name in names[1:]]
    found = [(name, provider) for name, provider in providers if provider is not None]
    if len(found) != len(providers):
        raise refused
    return tuple(found)


def _provider(hint: Any) -> Provider | None:
    """The dependency of ``Annotated[T, Depends(provider)]`` when it is async and takes the request alone."""
    if get_origin(hint) is not Annotated:
        return None
    for marker in get_args(hint)[1:]:
        call = marker.dependency if isinstance(marker, Depends) else None
        if inspect.iscoroutinefunction(call) and len(inspect.signature(call).parameters) == 1:
            return cast(Provider, call)
    return None


class BrokerApp(FastAPI):
    _lean_routes: dict[tuple[str, str], LeanRoute] = {}  # noqa: RUF012 - replaced, never mutated
    _lean_stack: ASGIApp | None = None

    def serve_directly(self, routers: Iterable[APIRouter]) -> None:
        """Dispatch the routes of ``routers`` (already included in the app) directly."""
        self._lean_routes = lean_table(routers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lean = (
            self._lean_routes.get((scope["method"], get_route_path(scope)))
            if scope["type"] == "http" and not self.root_path
            else None
        )
        if lean is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        scope["route"] = lean.route
        scope["endpoint"] = lean.route.endpoint
        scope[_LEAN] = lean
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
    lean = cast(LeanRoute, scope[_LEAN])
    request = Request(scope, receive, send)
    try:
        response = await lean.respond(request)
    except Exception as exc:  # answered by the app's table of exception handlers, as FastAPI would
        handler = handler_for(exc, scope["app"].exception_handlers)
        if handler is None:
            raise
        response = await handler(request, exc)
    await response(scope, receive, send)
