"""How errors are answered, by the kind of route; the table of handlers is ``web/error_table.py``.

Three kinds of route (``route_kind``), each with one shape of error answer:

* ``PROTOCOL``: ``/token``, ``/introspect``, ``/revoke``, ``/userinfo``: RFC 6749 §5.2 / RFC 6750 §3
  JSON (``{"error", "error_description"}``, ``WWW-Authenticate`` where RFC 6750 asks for it);
* ``PAGE``: the browser's pages (login, logout, 2FA, the account pages, the start page): a Russian
  page with the request id;
* ``API``: everything else (``/api/...``, health, metrics, discovery, a path no route serves):
  ``application/problem+json`` (RFC 9457) with the request id.

The kind comes from the route that matched (its path template), so a path no route serves is
never taken for a page (a browser's navigation to it, ``wants_page``, gets the Russian «Страница
не найдена» page all the same). Nothing ever shows a stack trace: an exception the table does not know
is logged and answered 500 by ``web/edge.py`` in the same three shapes (``fallback_body``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import Scope

from frmr_sso.logs import request_id_var
from frmr_sso.web.pages import internal_error_page
from frmr_sso.web.request_id import problem_body

PROBLEM = "application/problem+json"
PROTOCOL_PATHS = frozenset({"/token", "/introspect", "/revoke", "/userinfo"})
PAGE_PATHS = frozenset({"/", "/privacy"})
PAGE_PREFIXES = ("/authorize", "/callback/", "/logout", "/login/", "/account/")
H = TypeVar("H")


class RouteKind(StrEnum):
    PROTOCOL = "protocol"
    API = "api"
    PAGE = "page"


def route_kind(scope: Scope) -> RouteKind:
    if scope.get("path") in PROTOCOL_PATHS:
        return RouteKind.PROTOCOL
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str) and (template in PAGE_PATHS or template.startswith(PAGE_PREFIXES)):
        return RouteKind.PAGE
    return RouteKind.API


def handler_for(exc: BaseException, handlers: Mapping[Any, H]) -> H | None:
    """The handler of ``exc``: its class's or the nearest base class's, as Starlette looks it up."""
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["request_id"] = request_id_var.get()
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers={"Cache-Control": "no-store"})


NOT_FOUND_PAGE_STATUSES = frozenset({404, 405})


def wants_page(request: Request) -> bool:
    """A browser's navigation (it accepts HTML first), not an API or protocol call."""
    accept = request.headers.get("accept", "")
    return request.method in ("GET", "HEAD") and "text/html" in accept.split(",", 1)[0]


def field_problem(
    fields: Sequence[tuple[str, str]], status: int = 400, title: str = "Invalid request"
) -> JSONResponse:
    """Invalid input: ``invalid-params`` (RFC 9457 §3: ``name``, ``reason``), the same list as
    ``errors`` (``field``, ``message``) and ``field``, the first one named."""
    return problem(
        status,
        title,
        "; ".join(f"{name}: {reason}" for name, reason in fields),
        field=fields[0][0],
        errors=[{"field": name, "message": reason} for name, reason in fields],
        **{"invalid-params": [{"name": name, "reason": reason} for name, reason in fields]},
    )


def fallback_body(scope: Scope, request_id: str) -> tuple[str, bytes]:
    """The 500 answer of an exception no handler knows: the Russian page on a page, else a problem."""
    if route_kind(scope) is RouteKind.PAGE:
        return "text/html; charset=utf-8", bytes(internal_error_page(Request(scope)).body)
    return problem_body(request_id)
