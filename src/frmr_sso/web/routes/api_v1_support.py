"""Support requests: ``/api/v1/support-requests`` for anyone, ``/api/v1/admin/support-requests`` for the desk.

Filing needs no login (the commonest problem is that login fails), so it is
rate-limited per client IP (429 with Retry-After). A worker's bearer token, when
sent, makes the request theirs. ``POST`` takes ``multipart/form-data``: ``name``,
``snils`` or ``licence_number``, ``email``, ``description``, ``problem_time``
(ISO 8601; without an offset, Moscow time) and an optional ``screenshot`` (PNG or
JPEG, 5 MB). The answer (201) holds the number ``SR-YYYY-NNNNNN``, the deadlines
(answer within 24 h, escalation after 72 h) and an ``access_key``, shown once:
``GET /api/v1/support-requests/{number}`` answers the owner's token or the
``X-Support-Key`` header carrying that key, and "not found" to anyone else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.change_requests.uploads import SCREENSHOT_TYPES
from frmr_sso.cabinet_backend.support.model import FIELDS, SupportRequest, SupportStatus
from frmr_sso.identity.snils import Snils
from frmr_sso.web import api_docs
from frmr_sso.web.cabinet_auth import optional_worker, reviewer
from frmr_sso.web.cabinet_http import (
    AUTH_ERRORS,
    INPUT_ERRORS,
    JSON_DOC,
    PROBLEM_DOC,
    context_of,
    no_store,
)
from frmr_sso.web.deps import CallersDep, SupportDep, SupportRateDep
from frmr_sso.web.errors import problem
from frmr_sso.web.multipart_form import FilePart, read_multipart

router = APIRouter(tags=["support"])
BASE, DESK = "/api/v1/support-requests", "/api/v1/admin/support-requests"
KEY_HEADER = "x-support-key"
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "email", "description", "problem_time"],
                    "properties": {
                        **{name: {"type": "string"} for name in FIELDS},
                        "screenshot": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


def support_json(request: SupportRequest, now: Any, *, desk: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": request.number,
        "status": request.status.value,
        "status_label": request.status_label,
        "created_at": request.created_at.isoformat(),
        "problem_time": request.problem_time.isoformat(),
        "answer_due": request.answer_due.isoformat(),
        "escalate_at": request.escalate_at.isoformat(),
        "answer_overdue": request.answer_overdue(now),
        "escalation_due": request.escalation_due(now),
        "screenshot": request.screenshot_type is not None,
    }
    if desk:
        snils = Snils(request.snils).formatted if request.snils else None
        body |= {
            "name": request.name,
            "email": request.email,
            "snils": snils,
            "licence_number": request.licence_number,
            "description": request.description,
            "subject_id": request.subject_id,
        }
    return body


@router.post(
    BASE,
    response_class=Response,
    status_code=201,
    openapi_extra=_FILE_BODY,
    responses={
        201: {"description": "number, deadlines and the access key (shown once)", **JSON_DOC},
        413: {"description": "the screenshot is larger than 5 MB", **PROBLEM_DOC},
        415: {"description": "the screenshot is not a PNG or JPEG by content", **PROBLEM_DOC},
        429: {"description": "too many requests from this address (Retry-After)", **PROBLEM_DOC},
        **AUTH_ERRORS,
        **INPUT_ERRORS,
    },
)
async def file_support_request(
    request: Request, callers: CallersDep, service: SupportDep, support_rate: SupportRateDep
) -> Response:
    me = await optional_worker(request, callers)
    context = context_of(request)
    decision = await support_rate.hit(context.ip or "unknown")
    if not decision.allowed:
        response = problem(429, "Too Many Requests", "too many support requests from this address")
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    form = await read_multipart(
        request, texts=tuple(FIELDS), files={"screenshot": FilePart(SCREENSHOT_TYPES)}
    )
    filed = await service.file(
        dict(form.texts),
        form.files[0] if form.files else None,
        subject_id=me.subject_id if me else None,
        client_id=me.client_id if me else None,
        context=context,
    )
    body = {**support_json(filed.request, service.now()), "access_key": filed.access_key}
    return JSONResponse(
        body, status_code=201, headers=no_store({"Location": f"{BASE}/{filed.request.number}"})
    )


@router.get(
    BASE + "/{number}",
    response_class=Response,
    openapi_extra={
        "parameters": [
            {
                "name": "X-Support-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "the access key given at filing (instead of the owner's bearer token)",
            }
        ]
    },
    responses={200: {"description": "status and deadlines", **JSON_DOC}, **AUTH_ERRORS, **INPUT_ERRORS},
)
async def support_request(
    number: str, request: Request, callers: CallersDep, service: SupportDep
) -> Response:
    me = await optional_worker(request, callers)
    key = request.headers.get(KEY_HEADER)
    found = await service.get(
        number[:32], subject_id=me.subject_id if me else None, access_key=key[:128] if key else None
    )
    return JSONResponse(support_json(found, service.now()), headers=no_store())


def _status(request: Request) -> SupportStatus | None:
    unknown = [k for k in request.query_params if k != "status"]
    if unknown:
        raise Invalid([FieldError(k[:64], "unknown parameter") for k in unknown])
    raw = request.query_params.get("status")
    try:
        return None if raw is None else SupportStatus(raw)
    except ValueError:
        raise Invalid([FieldError("status", "must be one of: new, answered, closed")]) from None


@api_docs.bearer_route(
    router.get,
    DESK,
    tags=["admin"],
    responses={
        200: {"description": "`{support_requests: [...]}` with overdue flags, oldest first", **JSON_DOC},
        **AUTH_ERRORS,
        **INPUT_ERRORS,
    },
)
async def support_desk(request: Request, callers: CallersDep, service: SupportDep) -> Response:
    await reviewer(request, callers)
    items = await service.desk(_status(request))
    now = service.now()
    body = {
        "support_requests": [support_json(r, now, desk=True) for r in items],
        "overdue": sum(r.answer_overdue(now) for r in items),
        "escalation_due": sum(r.escalation_due(now) for r in items),
    }
    return JSONResponse(body, headers=no_store())


@api_docs.bearer_route(
    router.get,
    DESK + "/{number}/screenshot",
    tags=["admin"],
    responses={
        200: {"description": "the screenshot", "content": {"image/png": {}, "image/jpeg": {}}},
        **AUTH_ERRORS,
        **INPUT_ERRORS,
    },
)
async def support_screenshot(
    number: str, request: Request, callers: CallersDep, service: SupportDep
) -> Response:
    await reviewer(request, callers)
    found = await service.desk_get(number[:32])
    shot = await service.screenshot(found)
    if shot is None:
        raise Invalid([FieldError("screenshot", "this request has no screenshot")])
    return Response(
        shot[1],
        media_type=shot[0],
        headers=no_store(
            {
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": "attachment",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            }
        ),
    )


def _move_route(action: str, to: SupportStatus, summary: str) -> None:
    async def move(number: str, request: Request, callers: CallersDep, service: SupportDep) -> Response:
        by = await reviewer(request, callers)
        moved = await service.move(number[:32], to, by=by, context=context_of(request))
        return JSONResponse(support_json(moved, service.now(), desk=True), headers=no_store())

    router.add_api_route(
        f"{DESK}/{{number}}/{action}",
        move,
        methods=["POST"],
        response_class=Response,
        tags=["admin"],
        dependencies=api_docs.BEARER_AUTH,
        name=f"support_{action}",
        summary=summary,
        responses={
            200: {"description": "the request in its new status", **JSON_DOC},
            409: {"description": "the status does not allow this step", **PROBLEM_DOC},
            **AUTH_ERRORS,
            **INPUT_ERRORS,
        },
    )


_move_route("answer", SupportStatus.ANSWERED, "Mark a new request answered (stops the 24-hour clock)")
_move_route("close", SupportStatus.CLOSED, "Close a request (stops the escalation clock)")
