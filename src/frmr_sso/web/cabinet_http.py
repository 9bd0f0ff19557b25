"""Shared HTTP glue of the cabinet request APIs: the one mapping of their errors to problem+json.

A field error answers 400 (413 too large, 415 wrong file type) with
``invalid-params`` (RFC 9457 §3: ``name`` and ``reason`` per field), the same
list as ``errors`` (``field``, ``message``: the shape of the app's other
validation errors) and ``field``, the first one named.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from frmr_sso.audit.events import AuditContext
from frmr_sso.cabinet_backend.base import CodeRefused, Conflict, NotFound
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.notifications import NotifierUnavailable
from frmr_sso.cabinet_backend.support.service import SupportConflict, SupportNotFound
from frmr_sso.errors import FrmrSsoError
from frmr_sso.registry.service_length import InvalidPeriod
from frmr_sso.security.person_limits import RateLimited
from frmr_sso.web import json_limits
from frmr_sso.web.cabinet_auth import Refused
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.errors import PROBLEM, problem
from frmr_sso.web.multipart_form import FormRefused

log = logging.getLogger(__name__)
PROBLEM_DOC = {"content": {PROBLEM: {"schema": {"type": "object"}}}}
JSON_DOC = {"content": {"application/json": {"schema": {"type": "object"}}}}
AUTH_ERRORS: dict[int | str, Any] = {
    401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **PROBLEM_DOC},
    403: {"description": "insufficient_scope", **PROBLEM_DOC},
    503: {"description": "the store or the notifier is unavailable (Retry-After)", **PROBLEM_DOC},
}
INPUT_ERRORS: dict[int | str, Any] = {
    400: {"description": "invalid input: `invalid-params` and `errors` name each field", **PROBLEM_DOC},
    404: {"description": "no such item of this person", **PROBLEM_DOC},
}


def field_problem(errors: list[FieldError], status: int = 400, title: str = "Invalid request") -> Response:
    return problem(
        status,
        title,
        "; ".join(f"{e.field}: {e.message}" for e in errors),
        field=errors[0].field,
        errors=[{"field": e.field, "message": e.message} for e in errors],
        **{"invalid-params": [{"name": e.field, "reason": e.message} for e in errors]},
    )


def failure(exc: Exception) -> Response:
    if isinstance(exc, Refused):
        return exc.response
    if isinstance(exc, Invalid):
        return field_problem(exc.errors)
    if isinstance(exc, FormRefused):
        titles = {413: "Content Too Large", 415: "Unsupported Media Type"}
        return field_problem(
            [FieldError(exc.field, exc.message)], exc.status, titles.get(exc.status, "Invalid request")
        )
    if isinstance(exc, InvalidPeriod):
        return field_problem([FieldError(exc.field, exc.message)], 422, "The record cannot be computed")
    if isinstance(exc, NotFound | SupportNotFound):
        return problem(404, "Not Found", str(exc) if isinstance(exc, NotFound) else "no such support request")
    if isinstance(exc, Conflict | SupportConflict):
        return problem(409, "Conflict", str(exc))
    if isinstance(exc, CodeRefused):
        if exc.lock is not None and exc.lock.locked:
            response = problem(
                429, "Too Many Requests", "too many wrong codes; try again later", field="code"
            )
            response.headers["Retry-After"] = str(exc.lock.retry_after)
            return response
        return field_problem([FieldError("code", "the code is wrong or expired")])
    if isinstance(exc, RateLimited):
        response = problem(429, "Too Many Requests", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, NotifierUnavailable | FrmrSsoError):
        log.error("cabinet request API unavailable", extra={"error": type(exc).__name__})
        response = problem(503, "Service unavailable", "the service is temporarily unavailable")
        response.headers["Retry-After"] = "5"
        return response
    raise exc


async def guarded(work: Callable[[], Awaitable[Response]]) -> Response:
    try:
        return await work()
    except (
        Refused,
        Invalid,
        FormRefused,
        InvalidPeriod,
        NotFound,
        SupportNotFound,
        Conflict,
        SupportConflict,
        CodeRefused,
        FrmrSsoError,
    ) as exc:
        return failure(exc)


def context_of(request: Request) -> AuditContext:
    agent = request.headers.get("user-agent")
    return AuditContext(
        request_ip(request.scope),
        agent,
        request.scope.get("state", {}).get("request_id"),
    )


async def json_body(request: Request, limit: int = 16 * 1024) -> dict[str, Any]:
    """A small JSON object body; ``Invalid`` naming ``body`` otherwise."""
    raw = await request.body()  # at most MAX_BODY_BYTES: ``web/body_limit.py`` stops a longer one
    if len(raw) > limit:
        raise Invalid([FieldError("body", "the body is too large")])
    try:
        value = json_limits.loads(raw or b"{}")
    except ValueError as exc:  # UnicodeDecodeError included
        raise Invalid([FieldError("body", _json_problem(exc))]) from None
    if not isinstance(value, dict):
        raise Invalid([FieldError("body", "must be a JSON object")])
    return value


async def json_fields(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``json_body`` holding only the ``allowed`` fields; ``Invalid`` naming each unknown one otherwise."""
    body = await json_body(request)
    unknown = [FieldError(str(k)[:64], "unknown field") for k in body if k not in allowed]
    if unknown:
        raise Invalid(unknown)
    return body


def _json_problem(exc: ValueError) -> str:
    return str(exc) if isinstance(exc, json_limits.TooDeep) else "must be a JSON object"


def no_store(headers: dict[str, str] | None = None) -> dict[str, str]:
    return {"Cache-Control": "no-store", **(headers or {})}
