"""The one table of exception handlers: each error class the broker's routes let escape, and its answer.

``install_error_handlers`` registers every row with ``app.add_exception_handler``; Starlette (and
``web/protocol_dispatch.py`` for the protocol endpoints it serves directly) looks a raised exception up
by its class, the nearest registered class along its MRO winning. Routes only raise: a handler
answers by the kind of the route (``web/errors.route_kind``) where the class can reach several:

* an ``OAuthError``: on a protocol endpoint its RFC 6749 §5.2 / RFC 6750 §3 JSON and headers
  (``WWW-Authenticate``, ``Cache-Control: no-store``); on an API problem+json with the same
  status, ``error`` and headers; first it is audited (``web/refusals.py``) where the route is
  audited: the protocol endpoints and the API routes that depend on ``AUDIT_REFUSALS``;
* ``FrmrSsoError`` (a store, the notifier or the signing keys unavailable): logged by class only,
  ``temporarily_unavailable`` or a 503 problem with ``Retry-After: 5``, or the Russian
  «Вход временно невозможен» page with the request id on the browser's pages;
* the API's own errors (invalid parameters, not found, conflicts, a wrong code, rate limits):
  problem+json, ``invalid-params`` naming each field;
* ``MalformedForm`` (a page's form the framework could not read): the «Некорректная форма» page;
* ``HTTPException`` (no route, a wrong method): problem+json, or the «Страница не найдена» page for a
  browser's navigation.

Anything else escapes to ``web/edge.py``: logged, 500, answered by the same route kinds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from frmr_sso.audit.login_history import InvalidHistoryQuery
from frmr_sso.audit.query import InvalidAuditQuery
from frmr_sso.cabinet_backend.base import CodeRefused, Conflict, NotFound
from frmr_sso.cabinet_backend.change_requests.form_fields import Invalid
from frmr_sso.cabinet_backend.statements import service as statements
from frmr_sso.cabinet_backend.support.service import SupportConflict, SupportNotFound
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.errors import OAuthError, TemporarilyUnavailable
from frmr_sso.registry import api as registry_api
from frmr_sso.registry.service_length import InvalidPeriod
from frmr_sso.security.person_limits import RateLimited
from frmr_sso.web.cabinet_auth import Refused
from frmr_sso.web.deps import refusal_audit_of
from frmr_sso.web.errors import (
    NOT_FOUND_PAGE_STATUSES,
    RouteKind,
    field_problem,
    problem,
    route_kind,
    wants_page,
)
from frmr_sso.web.login_http import MALFORMED_FORM, MalformedForm
from frmr_sso.web.multipart_form import FormRefused
from frmr_sso.web.oauth_http import RETRY_AFTER, error_response
from frmr_sso.web.pages import NOT_FOUND, internal_error_page, render
from frmr_sso.web.refusals import record_refusal

log = logging.getLogger(__name__)
Handler = Callable[[Request, Any], Awaitable[Response]]


def _retry(response: Response, seconds: int | str) -> Response:
    response.headers["Retry-After"] = str(seconds)
    return response


async def oauth_error(request: Request, exc: OAuthError) -> Response:
    await record_refusal(request, exc, await refusal_audit_of(request))
    kind = route_kind(request.scope)
    if kind is RouteKind.PROTOCOL:
        return error_response(exc)
    if kind is RouteKind.PAGE:
        log.error("a page failed", extra={"error": type(exc).__name__})
        return internal_error_page(request)
    response = problem(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.description, error=exc.error)
    response.headers.update(exc.headers())
    return response


async def unavailable(request: Request, exc: FrmrSsoError) -> Response:
    """A store, the notifier or the signing keys are down: the caller may retry."""
    log.error("request failed: a dependency is unavailable", extra={"error": type(exc).__name__})
    kind = route_kind(request.scope)
    if kind is RouteKind.PROTOCOL:
        outage = TemporarilyUnavailable("the service is temporarily unavailable")
        return _retry(error_response(outage), RETRY_AFTER)
    if kind is RouteKind.PAGE:
        return internal_error_page(request)
    return _retry(problem(503, "Service unavailable", "the service is temporarily unavailable"), RETRY_AFTER)


async def malformed_form(request: Request, exc: MalformedForm) -> Response:
    return render(request, "message.html", status=exc.status, page=MALFORMED_FORM, detail=exc.detail)


async def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code in NOT_FOUND_PAGE_STATUSES and wants_page(request):
        return render(request, "message.html", status=exc.status_code, page=NOT_FOUND)
    response = problem(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    fields = [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg")}
        for err in exc.errors()
    ]
    return problem(400, "Invalid request", "one or more fields are invalid", errors=fields)


async def refused(request: Request, exc: Refused) -> Response:
    return exc.response


async def invalid_fields(request: Request, exc: Invalid) -> Response:
    return field_problem([(e.field, e.message) for e in exc.errors])


async def form_refused(request: Request, exc: FormRefused) -> Response:
    title = {413: "Content Too Large", 415: "Unsupported Media Type"}.get(exc.status, "Invalid request")
    return field_problem([(exc.field, exc.message)], exc.status, title)


async def invalid_period(request: Request, exc: InvalidPeriod) -> Response:
    return field_problem([(exc.field, exc.message)], 422, "The record cannot be computed")


async def invalid_params(request: Request, exc: registry_api.InvalidParams) -> Response:
    return field_problem(exc.params)


async def invalid_audit_query(request: Request, exc: InvalidAuditQuery) -> Response:
    return problem(400, "Invalid request", exc.message, field=exc.field)


async def invalid_history_query(request: Request, exc: InvalidHistoryQuery) -> Response:
    return problem(400, "Bad request", str(exc), field=exc.field)


def _not_found(detail: str | None = None) -> Handler:
    async def not_found(request: Request, exc: Exception) -> Response:
        return problem(404, "Not Found", detail or str(exc))

    return not_found


async def conflict(request: Request, exc: Exception) -> Response:
    return problem(409, "Conflict", str(exc))


async def code_refused(request: Request, exc: CodeRefused) -> Response:
    if exc.lock is not None and exc.lock.locked:
        locked = problem(429, "Too Many Requests", "too many wrong codes; try again later", field="code")
        return _retry(locked, exc.lock.retry_after)
    return field_problem([("code", "the code is wrong or expired")])


async def rate_limited(request: Request, exc: RateLimited) -> Response:
    return _retry(problem(429, "Too Many Requests", str(exc)), exc.retry_after)


async def too_many_pending(request: Request, exc: statements.TooManyPending) -> Response:
    return _retry(problem(429, "Too Many Requests", str(exc)), 10)


async def unknown_kind(request: Request, exc: statements.UnknownStatementKind) -> Response:
    return problem(400, "Invalid request", str(exc), field="kind")


async def not_ready(request: Request, exc: statements.StatementNotReady) -> Response:
    response = problem(409, "Conflict", f"the statement is {exc.status}", status_of_statement=exc.status)
    return _retry(response, 2) if exc.status == "pending" else response


HANDLERS: Mapping[type[Exception], Handler] = {
    OAuthError: oauth_error,
    FrmrSsoError: unavailable,
    HTTPException: http_error,
    RequestValidationError: validation_error,
    MalformedForm: malformed_form,
    Refused: refused,
    Invalid: invalid_fields,
    FormRefused: form_refused,
    InvalidPeriod: invalid_period,
    registry_api.InvalidParams: invalid_params,
    registry_api.NotFound: _not_found("no such record or item for this caller"),
    InvalidAuditQuery: invalid_audit_query,
    InvalidHistoryQuery: invalid_history_query,
    NotFound: _not_found(),
    SupportNotFound: _not_found("no such support request"),
    Conflict: conflict,
    SupportConflict: conflict,
    CodeRefused: code_refused,
    RateLimited: rate_limited,
    statements.UnknownStatementKind: unknown_kind,
    statements.StatementNotFound: _not_found("no such statement"),
    statements.NoRegistryRecord: _not_found("there is no FRMR record of this person"),
    statements.StatementNotReady: not_ready,
    statements.TooManyPending: too_many_pending,
}
"""Error class → its handler: the one place errors become responses."""


def install_error_handlers(app: FastAPI) -> None:
    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)

