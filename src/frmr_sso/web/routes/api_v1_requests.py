"""``/api/v1/me/change-requests``: a worker proposes corrections of their FRMR record, with documents.

``POST`` takes ``multipart/form-data``: ``section`` (education, workplace,
contacts), ``fields`` (a JSON object of the section's fields), ``comment``
(optional) and up to five ``documents`` (PDF or JPEG, 5 MB each, the type read
from the content). A contacts change answers 202 «Ожидает подтверждения»: the
one-time code goes to the new e-mail or phone, and ``POST
/api/v1/me/contacts/confirm`` with ``{request_id, code}`` applies it. Only
one's own requests and documents are visible; another worker's id is "not found".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.change_requests.model import ChangeRequest
from frmr_sso.cabinet_backend.change_requests.uploads import DOCUMENT_TYPES
from frmr_sso.web import api_docs, json_limits
from frmr_sso.web.cabinet_auth import worker
from frmr_sso.web.cabinet_http import (
    AUTH_ERRORS,
    INPUT_ERRORS,
    JSON_DOC,
    PROBLEM_DOC,
    context_of,
    json_fields,
    no_store,
)
from frmr_sso.web.deps import CallersDep, ChangeRequestsDep
from frmr_sso.web.multipart_form import FilePart, read_multipart

router = APIRouter(tags=["cabinet"])
BASE = "/api/v1/me/change-requests"
_ERRORS = {**AUTH_ERRORS, **INPUT_ERRORS}
_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["section", "fields"],
                    "properties": {
                        "section": {"type": "string", "enum": ["education", "workplace", "contacts"]},
                        "fields": {"type": "string", "description": "JSON object of the section's fields"},
                        "comment": {"type": "string", "maxLength": 1000},
                        "documents": {
                            "type": "array",
                            "maxItems": 5,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            }
        },
    }
}
_CONFIRM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["request_id", "code"],
                    "properties": {
                        "request_id": {"type": "string"},
                        "code": {"type": "string", "pattern": "^[0-9]{6}$"},
                    },
                }
            }
        },
    }
}


def request_json(request: ChangeRequest, *, base: str = BASE, admin: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": request.id,
        "section": request.section.value,
        "status": request.status.value,
        "status_label": request.status_label,
        "fields": {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in request.proposal.items()},
        "comment": request.comment,
        "reason": request.reason,
        "created_at": request.created_at.isoformat(),
        "updated_at": request.updated_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "documents": [
            {
                "id": d.id,
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "href": f"{base}/{request.id}/documents/{d.id}",
            }
            for d in request.documents
        ],
    }
    if admin:
        body |= {
            "frmr_id": request.frmr_id,
            "subject_id": request.subject_id,
            "decided_by": request.decided_by,
        }
    return body


def document_response(info: Any, data: bytes) -> Response:
    disposition = f"attachment; filename=\"document\"; filename*=UTF-8''{_quote(info.filename)}"
    headers = no_store(
        {
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
    )
    return Response(data, media_type=info.content_type, headers=headers)


def _quote(name: str) -> str:
    return quote(name, safe="")


@api_docs.bearer_route(
    router.post,
    BASE,
    openapi_extra=_SUBMIT_BODY,
    status_code=201,
    responses={
        201: {"description": "the request, «На проверке» (Location: its URL)", **JSON_DOC},
        202: {"description": "a contacts change awaiting its one-time code", **JSON_DOC},
        413: {"description": "a document is larger than 5 MB; `field` names it", **PROBLEM_DOC},
        415: {"description": "a document is not a PDF or JPEG by content", **PROBLEM_DOC},
        **_ERRORS,
    },
)
async def submit_change_request(
    request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    me = await worker(request, callers)
    form = await read_multipart(
        request,
        texts=("section", "fields", "comment"),
        files={"documents": FilePart(DOCUMENT_TYPES, count=5)},
    )
    try:
        fields = json_limits.loads(form.texts.get("fields") or "null")
    except ValueError:
        raise Invalid([FieldError("fields", "must be a JSON object")]) from None
    body = {"section": form.texts.get("section"), "fields": fields, "comment": form.texts.get("comment")}
    created = await change_requests.submit(
        me, body, form.files, context_of(request)
    )
    status = 202 if created.status.value == "awaiting_code" else 201
    return JSONResponse(
        request_json(created), status_code=status, headers=no_store({"Location": f"{BASE}/{created.id}"})
    )


@api_docs.bearer_route(
    router.get,
    BASE,
    responses={200: {"description": "`{change_requests: [...]}`, newest first", **JSON_DOC}, **AUTH_ERRORS},
)
async def my_change_requests(
    request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    mine = await change_requests.mine(await worker(request, callers))
    return JSONResponse({"change_requests": [request_json(r) for r in mine]}, headers=no_store())


@api_docs.bearer_route(
    router.get,
    BASE + "/{request_id}",
    responses={200: {"description": "the request", **JSON_DOC}, **_ERRORS},
)
async def my_change_request(
    request_id: str, request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    me = await worker(request, callers)
    found = await change_requests.get_mine(me, request_id[:64])
    return JSONResponse(request_json(found), headers=no_store())


@api_docs.bearer_route(
    router.get,
    BASE + "/{request_id}/documents/{document_id}",
    responses={
        200: {
            "description": "the document as uploaded (attachment)",
            "content": {"application/pdf": {}, "image/jpeg": {}},
        },
        **_ERRORS,
    },
)
async def my_document(
    request_id: str, document_id: str, request: Request, callers: CallersDep,
    change_requests: ChangeRequestsDep
) -> Response:
    me = await worker(request, callers)
    info, data = await change_requests.document(
        request_id[:64], document_id[:64], worker=me
    )
    return document_response(info, data)


@api_docs.bearer_route(
    router.post,
    "/api/v1/me/contacts/confirm",
    openapi_extra=_CONFIRM_BODY,
    responses={
        200: {"description": "the request, «Одобрено»: the new contact is in the record", **JSON_DOC},
        409: {"description": "the request does not await a code", **PROBLEM_DOC},
        429: {"description": "too many wrong codes (Retry-After)", **PROBLEM_DOC},
        **_ERRORS,
    },
)
async def confirm_contact(
    request: Request, callers: CallersDep, change_requests: ChangeRequestsDep
) -> Response:
    me = await worker(request, callers)
    body = await json_fields(request, ("request_id", "code"))
    confirmed = await change_requests.confirm_contact(
        me,
        body.get("request_id"),
        body.get("code"),
        context_of(request),
    )
    return JSONResponse(request_json(confirmed), headers=no_store())
