"""Registry administrators review change requests: ``/api/v1/admin/change-requests``.

A bearer token with the ``admin`` scope (client_credentials) or ``frmr.admin``
(a worker holding the FRMR role ``registry_admin``). ``approve`` changes the FRMR
record, the request's status and the audit log in one transaction; ``reject``
needs ``{"reason": "..."}``. A request decided already answers 409.

``GET /_dev/outbox?address=…`` (demo mode only, like the mock ESIA's) shows the
one-time codes "sent" to a new e-mail or phone, newest first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.change_requests.model import Status
from frmr_sso.web import api_docs
from frmr_sso.web.cabinet_auth import reviewer
from frmr_sso.web.cabinet_http import (
    AUTH_ERRORS,
    INPUT_ERRORS,
    JSON_DOC,
    PROBLEM_DOC,
    context_of,
    json_fields,
    no_store,
)
from frmr_sso.web.deps import CallersDep, ChangeRequestsDep, OutboxDep, SettingsDep
from frmr_sso.web.routes.api_v1_requests import document_response, request_json

router = APIRouter(tags=["admin"])
dev_router = APIRouter(include_in_schema=False)
BASE = "/api/v1/admin/change-requests"
_ERRORS = {**AUTH_ERRORS, **INPUT_ERRORS}
_DECIDED = {
    200: {"description": "the decided request", **JSON_DOC},
    409: {
        "description": "the request is not «На проверке» (decided already, or awaiting a code)",
        **PROBLEM_DOC,
    },
    **_ERRORS,
}
_STATUS_PARAM = {
    "parameters": [
        {
            "name": "status",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": [s.value for s in Status]},
            "description": "only requests in this status (the review queue: pending), oldest first",
        }
    ]
}
_REJECT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "maxLength": 1000}},
                }
            }
        },
    }
}


def _status(request: Request) -> Status | None:
    unknown = [k for k in request.query_params if k != "status"]
    if unknown:
        raise Invalid([FieldError(k[:64], "unknown parameter") for k in unknown])
    raw = request.query_params.get("status")
    if raw is None:
        return None
    try:
        return Status(raw)
    except ValueError:
        raise Invalid(
            [FieldError("status", "must be one of: " + ", ".join(s.value for s in Status))]
        ) from None


@api_docs.bearer_route(
    router.get,
    BASE,
    openapi_extra=_STATUS_PARAM,
    responses={200: {"description": "`{change_requests: [...]}`", **JSON_DOC}, **_ERRORS},
)
async def review_queue(request: Request, callers: CallersDep, change_requests: ChangeRequestsDep) -> Response:
    await reviewer(request, callers)
    queue = await change_requests.queue(_status(request))
    items = [request_json(r, base=BASE, admin=True) for r in queue]
    return JSONResponse({"change_requests": items}, headers=no_store())


@api_docs.bearer_route(
    router.get,
    BASE + "/{request_id}",
    responses={200: {"description": "the request", **JSON_DOC}, **_ERRORS},
)
async def review_one(
    request_id: str, request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    await reviewer(request, callers)
    found = await change_requests.get(request_id[:64])
    return JSONResponse(request_json(found, base=BASE, admin=True), headers=no_store())


@api_docs.bearer_route(
    router.get,
    BASE + "/{request_id}/documents/{document_id}",
    responses={
        200: {
            "description": "the document (attachment)",
            "content": {"application/pdf": {}, "image/jpeg": {}},
        },
        **_ERRORS,
    },
)
async def review_document(
    request_id: str, document_id: str, request: Request, callers: CallersDep,
    change_requests: ChangeRequestsDep
) -> Response:
    await reviewer(request, callers)
    info, data = await change_requests.document(
        request_id[:64], document_id[:64], worker=None
    )
    return document_response(info, data)


@api_docs.bearer_route(
    router.post,
    BASE + "/{request_id}/approve",
    responses=_DECIDED,
)
async def approve(
    request_id: str, request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    by = await reviewer(request, callers)
    decided = await change_requests.approve(
        request_id[:64], by=by, context=context_of(request)
    )
    return JSONResponse(request_json(decided, base=BASE, admin=True), headers=no_store())


@api_docs.bearer_route(
    router.post,
    BASE + "/{request_id}/reject",
    openapi_extra=_REJECT_BODY,
    responses=_DECIDED,
)
async def reject(
    request_id: str, request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    by = await reviewer(request, callers)
    body = await json_fields(request, ("reason",))
    decided = await change_requests.reject(
        request_id[:64], body.get("reason"), by=by, context=context_of(request)
    )
    return JSONResponse(request_json(decided, base=BASE, admin=True), headers=no_store())


@dev_router.get("/_dev/outbox")
async def dev_outbox(request: Request, outbox: OutboxDep, settings: SettingsDep) -> Response:
    address = request.query_params.get("address", "")
    if outbox is None or not settings.is_demo:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    messages: list[Any] = await outbox.read(address) if address else []
    return JSONResponse({"address": address, "messages": messages}, headers=no_store())
