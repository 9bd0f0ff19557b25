"""Shared HTTP glue of the cabinet request APIs: the audit context, JSON bodies, OpenAPI fragments.

Their errors are raised and answered by the app's error table (``web/error_table.py``): a field
error 400 (413 too large, 415 wrong file type) with ``invalid-params`` (RFC 9457 §3: ``name`` and
``reason`` per field), the same list as ``errors`` and ``field``, the first one named.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from frmr_sso.audit.events import AuditContext
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.web import json_limits
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.errors import PROBLEM

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
