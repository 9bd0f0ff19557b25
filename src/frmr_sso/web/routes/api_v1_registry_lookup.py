"""``POST /api/v1/registry/lookup``: a service finds an FRMR record by SNILS or FRMR id.

Needs a bearer token with ``frmr.registry.read`` (a client_credentials token
of a client registered for it). The key travels in a JSON body,
``{"snils": "112-233-445 95"}`` or ``{"frmr_id": "…"}``, never in the URL:
URLs end up in access logs. The answer is the record without identity
documents; 404 when there is none. Every lookup is audited (``registry.lookup``:
the client, the SNILS masked or the FRMR id, found or not).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.audit.events import Event
from frmr_sso.identity.snils import Snils
from frmr_sso.registry.api import LOOKUP_FIELDS, lookup_key
from frmr_sso.web import api_docs, json_limits
from frmr_sso.web.deps import AuditorDep, RegistryAccessDep, RegistryApiDep
from frmr_sso.web.errors import field_problem
from frmr_sso.web.oauth_http import audit_context, oauth_request
from frmr_sso.web.routes.api_v1_registry_http import (
    AUTH_ERRORS,
    JSON_DOC,
    PROBLEM_DOC,
    reading_answer,
    revalidated,
    token_of,
)

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])
MAX_BODY = 4096
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": {name: {"type": "string"} for name in LOOKUP_FIELDS},
                }
            }
        },
    }
}


async def _body(request: Request) -> bytes | Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        wrong_type = [("content-type", "send the body as application/json")]
        return field_problem(wrong_type, 415, "Unsupported Media Type")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return field_problem([("body", f"must be at most {MAX_BODY} bytes")], 413, "Content Too Large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return field_problem([("body", f"must be at most {MAX_BODY} bytes")], 413, "Content Too Large")
        chunks.append(chunk)
    return b"".join(chunks)


@api_docs.bearer_route(
    router.post,
    "/lookup",
    openapi_extra=_BODY_DOC,
    responses={
        200: {"description": "the record (without identity documents)", **JSON_DOC},
        413: {"description": "the body is too large", **PROBLEM_DOC},
        415: {"description": "the body is not application/json", **PROBLEM_DOC},
        **AUTH_ERRORS,
    },
)
async def lookup(
    request: Request, access: RegistryAccessDep, api: RegistryApiDep, auditor: AuditorDep
) -> Response:
    oauth = await oauth_request(request, form=False)
    claims = await access.service(await token_of(request))
    raw = await _body(request)
    if isinstance(raw, Response):
        return raw
    try:
        body = json_limits.loads(raw)
    except ValueError:
        return field_problem([("body", "must be a JSON object in UTF-8")])
    kind, key = lookup_key(body)
    found, headers = False, {"Cache-Control": "no-store"}
    try:
        response = await revalidated(request, lambda: api.lookup_etag(body), headers)
        if response is None:
            response = reading_answer(request, await api.lookup(body), headers)
        found = True
    finally:  # every lookup of a person by a service is audited, found or not
        await auditor.record(
            Event.REGISTRY_LOOKUP,
            audit_context(request, oauth),
            client_id=claims.client_id,
            snils=Snils(key) if kind == "snils" else None,
            details={"by": kind, "found": found, **({"frmr_id": key} if kind == "frmr_id" else {})},
        )
    return response
