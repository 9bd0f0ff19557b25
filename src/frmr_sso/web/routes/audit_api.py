"""Audit log API for auditors: filtered pages (``/events``) and a JSON Lines export (``/events.jsonl``).

Both need a bearer access token of this broker with the ``audit.read`` scope
(a client_credentials token of a client registered for it). Errors are
``application/problem+json``: 401/403 also carry the RFC 6750 ``Bearer``
challenge, 400 names the offending ``field``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from frmr_sso.audit import query as audit_query
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.web import api_docs
from frmr_sso.web.deps import AuditRecordsDep, BearerDep
from frmr_sso.web.errors import PROBLEM
from frmr_sso.web.oauth_http import api_bearer
from frmr_sso.web.refusals import AUDIT_REFUSALS

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/audit", tags=["audit"], dependencies=AUDIT_REFUSALS)
JSONL = "application/jsonl"
_FILTERS = {
    "subject_id": "broker subject id",
    "client_id": "client id",
    "event_type": "event type, e.g. login.success",
    "ip": "client IP address",
    "from": "ISO 8601 date-time, inclusive (UTC when no offset is given)",
    "to": "ISO 8601 date-time, exclusive (UTC when no offset is given)",
    "after_id": "cursor: records with a greater id (the `next` link sets it)",
}
_PROBLEM_DOC = {"content": {PROBLEM: {"schema": {"type": "object"}}}}
_ERRORS: dict[int | str, Any] = {
    400: {"description": "a parameter is invalid; `field` names it", **_PROBLEM_DOC},
    401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **_PROBLEM_DOC},
    403: {"description": "insufficient_scope: the token lacks audit.read", **_PROBLEM_DOC},
    503: {"description": "the audit store is unavailable", **_PROBLEM_DOC},
}


def _parameters(paged: bool) -> dict[str, Any]:
    names = {**_FILTERS, **({"limit": f"page size, 1..{audit_query.MAX_LIMIT}"} if paged else {})}
    return {
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string"}, "description": text}
            for name, text in names.items()
        ]
    }


async def _query(request: Request, bearer: BearerValidator, paged: bool) -> audit_query.AuditQuery:
    """The auditor's query: the token checked (``audit.read``), then the parameters."""
    _, token = await api_bearer(request)
    await audit_query.authorize_reader(token, bearer)
    return audit_query.parse_query(request.query_params.multi_items(), paged=paged)


def _next_link(request: Request, records: list[AuditRecord], limit: int) -> str | None:
    if len(records) < limit:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "after_id"]
    params.append(("after_id", str(records[-1].id)))
    return f"{request.url.path}?{urlencode(params)}"


@router.get("/events", response_class=Response, dependencies=api_docs.BEARER_AUTH,
            openapi_extra=_parameters(paged=True),
            responses={200: {"description": "a page of events in id order and the `next` link (or null)",
                             "content": {"application/json": {"schema": {"type": "object"}}}}, **_ERRORS})
async def audit_events(request: Request, bearer: BearerDep, audit: AuditRecordsDep) -> Response:
    query = await _query(request, bearer, paged=True)
    records = list(await audit.search(query.where, after_id=query.after_id, limit=query.limit))
    next_link = _next_link(request, records, query.limit)
    headers = {"Cache-Control": "no-store"} | ({"Link": f'<{next_link}>; rel="next"'} if next_link else {})
    body = {"events": [audit_query.event_json(r) for r in records], "next": next_link}
    return JSONResponse(body, headers=headers)


@router.get("/events.jsonl", response_class=Response, dependencies=api_docs.BEARER_AUTH,
            openapi_extra=_parameters(paged=False),
            responses={200: {"description": "every matching event, one JSON object per line, in id order",
                             "content": {JSONL: {"schema": {"type": "string"}}}}, **_ERRORS})
async def audit_export(request: Request, bearer: BearerDep, audit: AuditRecordsDep) -> Response:
    query = await _query(request, bearer, paged=False)
    records = audit_query.export(audit, query.where, after_id=query.after_id)
    first = await anext(records, None)  # read before the status goes out: an outage is still a 503

    async def lines() -> AsyncIterator[bytes]:
        if first is None:
            return
        yield _line(first)
        try:
            async for record in records:
                yield _line(record)
        except FrmrSsoError as exc:  # the status is sent: end the stream short, and say so in the log
            log.error("audit export interrupted", extra={"error": type(exc).__name__})

    return StreamingResponse(lines(), media_type=JSONL, headers={"Cache-Control": "no-store"})


def _line(record: AuditRecord) -> bytes:
    text = json.dumps(audit_query.event_json(record), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"
