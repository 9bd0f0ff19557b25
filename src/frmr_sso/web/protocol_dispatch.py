"""The endpoints called most often, answered without FastAPI's routing and dependency solver.

``/token``, ``/introspect``, ``/userinfo``, discovery and JWKS, and the registry API's three whole-record
reads (``GET /api/v1/me``, ``GET /api/v1/me/length-of-service``, ``POST /api/v1/registry/lookup``) are
handlers of the ``Request`` and the
services they name (``web/deps.py``: dependencies computed from the request alone) that build their own
``Response`` and raise their errors: FastAPI has nothing to validate or serialise for them,
and a direct call gets each service from its provider. Its router would still match the request against
every route before theirs, run the dependency solver (for the OpenAPI security schemes they only
declare), two ``AsyncExitStack`` and two exception-handling layers — more CPU than discovery's whole
answer, paid again at every resume after an await (a Redis round trip).

``ProtocolDispatch`` is an ordinary ASGI middleware (``app.add_middleware``), added first so that
it is the innermost one: every middleware of the app (edge, tracing, body limit, rate limits) and
the framework's own outer layers see these requests as before. A request whose method and path
are exactly those of such a route is answered by a direct call of its endpoint; ``scope["route"]``
is the route, so the route-template metric label stays. Anything else — another method (405),
``HEAD``, a trailing slash, a request under a ``root_path`` — goes on to FastAPI's router
unchanged. The routes stay registered with the app, for the OpenAPI document and for those
requests. Only public framework APIs are used (the ASGI middleware protocol, ``APIRoute``,
``Request``/``Response``).

A path whose first segment begins no route of the app (``roots``) is answered 404 at once, as the
router would after trying every route: FastAPI's router has no index by prefix, and trying its routes
one by one cost a request to an unknown address ~20 times the CPU of discovery's answer.

An exception such an endpoint raises is answered by the app's exception handlers
(``web/error_table.py``), looked up by its class as Starlette's ``ExceptionMiddleware`` does (this
middleware sits outside it); one no handler knows reaches ``web/edge.py`` (500 with the request id),
as through the router.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, cast, get_args, get_origin, get_type_hints

from fastapi import APIRouter
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from frmr_sso.web.errors import handler_for

Provider = Callable[[Request], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class DirectRoute:
    route: APIRoute
    providers: tuple[tuple[str, Provider], ...]  # (parameter, its dependency) but the request

    async def respond(self, request: Request) -> Response:
        services = {name: await provider(request) for name, provider in self.providers}
        return await cast(Callable[..., Awaitable[Response]], self.route.endpoint)(request, **services)


RouteTable = Mapping[tuple[str, str], DirectRoute]


def route_table(routes: Iterable[BaseRoute]) -> dict[tuple[str, str], DirectRoute]:
    """(method, path) → route of each of ``routes``; each endpoint must be async and take the request
    and, by keyword, dependencies of the request alone (``web/deps.py``)."""
    table: dict[tuple[str, str], DirectRoute] = {}
    for route in routes:
        if not isinstance(route, APIRoute) or "{" in route.path:
            raise TypeError(f"{route!r}: only fixed-path API routes can be dispatched directly")
        direct = DirectRoute(route, _providers(route))
        for method in (route.methods or set()) - {"HEAD"}:
            table[(method, route.path)] = direct
    return table


def path_roots(paths: Iterable[str]) -> frozenset[str] | None:
    """The first segments of ``paths`` (``/a/b`` → ``a``, ``/`` → ``""``); None when one of them is a
    parameter, so that any first segment may lead somewhere."""
    roots = {path.removeprefix("/").split("/", 1)[0] for path in paths}
    return None if any("{" in root for root in roots) else frozenset(roots)


def routes_at(router: APIRouter, *paths: str) -> list[BaseRoute]:
    """The routes of ``router`` at ``paths`` (its prefix included)."""
    found = [route for route in router.routes if getattr(route, "path", None) in paths]
    if {getattr(route, "path", None) for route in found} != set(paths):
        raise LookupError(f"no route at one of {paths}")
    return found


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


class ProtocolDispatch:
    """ASGI middleware: the routes of ``routes`` called directly, everything else passed on."""

    def __init__(self, app: ASGIApp, *, routes: RouteTable, roots: frozenset[str] | None = None) -> None:
        self.app = app
        self.routes = dict(routes)
        self.roots = roots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        direct = self.routes.get((scope["method"], scope["path"]))
        if direct is None:
            if self.roots is None or _root(scope["path"]) in self.roots:
                await self.app(scope, receive, send)
            else:
                await self._answer(scope, receive, send, _not_found)
            return
        scope["route"] = direct.route
        scope["endpoint"] = direct.route.endpoint
        scope["path_params"] = {}
        await self._answer(scope, receive, send, direct.respond)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, respond: Callable[[Request], Awaitable[Response]]
    ) -> None:
        request = Request(scope, receive, send)
        try:
            response = await respond(request)
        except Exception as exc:  # answered by the app's table of exception handlers, as FastAPI would
            handler = handler_for(exc, scope["app"].exception_handlers) if "app" in scope else None
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)


def _root(path: str) -> str:
    return path.removeprefix("/").split("/", 1)[0]


async def _not_found(request: Request) -> Response:
    raise HTTPException(status_code=404)  # what the router raises for a path no route matches
