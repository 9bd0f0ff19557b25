"""``/api/v1/me/statements``: a worker orders signed PDF statements of their FRMR record and downloads them.

A bearer access token of the worker (scopes ``openid`` and ``frmr``) names the
FRMR record through its ``frmr_person_id`` claim. ``POST`` answers 202 with the
statement's ``Location``; its ``status`` goes ``pending`` → ``ready`` (or
``failed``) within seconds, and ``/{id}/pdf`` then serves the PAdES-signed PDF.
Only one's own statements are visible. ``/api/v1/statements/certificate.pem`` is
the public certificate a verifier trusts. Errors are ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet_backend.statements import service as service
from frmr_sso.cabinet_backend.statements.content import TITLES, StatementKind
from frmr_sso.storage.ports import StatementRecord
from frmr_sso.web import api_docs, json_limits
from frmr_sso.web.cabinet_auth import Refused, worker
from frmr_sso.web.cabinet_http import JSON_DOC, PROBLEM_DOC
from frmr_sso.web.deps import CallersDep, StatementsDep
from frmr_sso.web.errors import problem
from frmr_sso.web.login_http import audit_context

router = APIRouter(tags=["statements"])
BASE = "/api/v1/me/statements"
_AUTH_ERRORS: dict[int | str, Any] = {
    401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **PROBLEM_DOC},
    403: {"description": "insufficient_scope: the token lacks openid or frmr", **PROBLEM_DOC},
    404: {"description": "no such statement of this person, or no FRMR record", **PROBLEM_DOC},
    503: {"description": "the store is unavailable", **PROBLEM_DOC},
}
_ORDER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string", "enum": [k.value for k in StatementKind]}},
                }
            }
        },
    }
}


async def _frmr_id(request: Request, callers: CallersDep) -> str:
    return (await worker(request, callers)).frmr_id


def statement_json(record: StatementRecord) -> dict[str, Any]:
    kind = StatementKind(record.kind)
    links = {"self": f"{BASE}/{record.id}"} | (
        {"pdf": f"{BASE}/{record.id}/pdf"} if record.status == "ready" else {}
    )
    return {
        "id": record.id,
        "kind": kind.value,
        "title": TITLES[kind],
        "status": record.status,
        "created_at": record.created_at.isoformat(),
        "ready_at": record.ready_at.isoformat() if record.ready_at else None,
        "size": record.size,
        "links": links,
    }


async def _kind(request: Request) -> str:
    try:
        body = json_limits.loads(await request.body())
    except ValueError:
        raise Refused(
            problem(400, "Invalid request", "the body must be a JSON object", field="kind")
        ) from None
    kind = body.get("kind") if isinstance(body, dict) else None
    if not isinstance(kind, str):
        raise Refused(problem(400, "Invalid request", "kind is required", field="kind"))
    return kind


@api_docs.bearer_route(
    router.post,
    BASE,
    openapi_extra=_ORDER_BODY,
    status_code=202,
    responses={
        202: {"description": "ordered; Location names it", **JSON_DOC},
        400: {"description": "invalid kind", **PROBLEM_DOC},
        429: {"description": "too many in preparation", **PROBLEM_DOC},
        **_AUTH_ERRORS,
    },
)
async def order_statement(request: Request, callers: CallersDep, statements: StatementsDep) -> Response:
    who = await worker(request, callers)
    record = await statements.order(
        who.frmr_id,
        await _kind(request),
        context=audit_context(request),
        subject=who.subject_id,
        client=who.client_id,
    )
    location = f"{BASE}/{record.id}"
    headers = {"Location": location, "Cache-Control": "no-store", "Retry-After": "2"}
    return JSONResponse(statement_json(record), status_code=202, headers=headers)


@api_docs.bearer_route(
    router.get,
    BASE,
    responses={200: {"description": "the person's statements, newest first", **JSON_DOC}, **_AUTH_ERRORS},
)
async def list_statements(request: Request, callers: CallersDep, statements: StatementsDep) -> Response:
    records = await statements.list(await _frmr_id(request, callers))
    body = {"statements": [statement_json(r) for r in records]}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@api_docs.bearer_route(
    router.get,
    BASE + "/{statement_id}",
    responses={200: {"description": "the statement and its status", **JSON_DOC}, **_AUTH_ERRORS},
)
async def get_statement(
    statement_id: str, request: Request, callers: CallersDep, statements: StatementsDep
) -> Response:
    record = await statements.get(await _frmr_id(request, callers), statement_id)
    headers = {"Cache-Control": "no-store"} | ({"Retry-After": "2"} if record.status == "pending" else {})
    return JSONResponse(statement_json(record), headers=headers)


@api_docs.bearer_route(
    router.get,
    BASE + "/{statement_id}/pdf",
    responses={
        200: {
            "description": "the signed PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        409: {"description": "not ready yet (Retry-After) or failed", **PROBLEM_DOC},
        **_AUTH_ERRORS,
    },
)
async def statement_pdf(
    statement_id: str, request: Request, callers: CallersDep, statements: StatementsDep
) -> Response:
    who = await worker(request, callers)
    record, pdf = await statements.pdf(
        who.frmr_id,
        statement_id,
        context=audit_context(request),
        subject=who.subject_id,
        client=who.client_id,
    )
    name = f"frmr-{record.kind}-{record.id[:8]}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get(
    "/api/v1/statements/certificate.pem",
    response_class=Response,
    responses={
        200: {
            "description": "the X.509 certificate that signs statements (PEM)",
            "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
        },
        503: {"description": "the store is unavailable", **PROBLEM_DOC},
    },
)
async def signing_certificate(statements: StatementsDep) -> Response:
    identity = await statements.identity()
    return Response(
        identity.certificate_pem,
        media_type="application/x-pem-file",
        headers={"Cache-Control": "public, max-age=3600"},
    )
