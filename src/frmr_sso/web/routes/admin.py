"""Administration API: ``POST /api/v1/admin/unlock`` lifts a lockout, audited as ``*.unlocked``.

Needs a bearer access token of this broker with the ``admin`` scope (a
client_credentials token of a client registered for it). Errors are
``application/problem+json``; 401/403 also carry the RFC 6750 ``Bearer`` challenge.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError, model_validator

from frmr_sso.security.services import LockKind
from frmr_sso.storage.ports.subjects import SUBJECT_ID_LENGTH
from frmr_sso.web import api_docs
from frmr_sso.web.deps import BearerDep, SecurityDep
from frmr_sso.web.errors import PROBLEM, problem
from frmr_sso.web.oauth_http import api_bearer, audit_context
from frmr_sso.web.refusals import AUDIT_REFUSALS

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
ADMIN_SCOPE = "admin"
_PROBLEM_DOC = {"content": {PROBLEM: {"schema": {"type": "object"}}}}


class UnlockRequest(BaseModel):
    """Exactly one of ``client``, ``subject`` or ``ip``."""

    client: str | None = Field(default=None, min_length=1, max_length=128)
    subject: str | None = Field(default=None, min_length=1, max_length=SUBJECT_ID_LENGTH)
    ip: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> UnlockRequest:
        if sum(v is not None for v in (self.client, self.subject, self.ip)) != 1:
            raise ValueError("give exactly one of client, subject or ip")
        return self

    def target(self) -> tuple[LockKind, str]:
        if self.client is not None:
            return "client", self.client
        if self.subject is not None:
            return "subject", self.subject
        return "ip", str(self.ip)


def invalid_body(exc: ValidationError) -> Response:
    detail = "; ".join(str(err["msg"]) for err in exc.errors())
    return problem(400, "Invalid request", detail or "the body is invalid")


@router.post(
    "/unlock", response_class=Response, dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": UnlockRequest.model_json_schema()}}}},
    responses={
        200: {"description": "`{kind, id, was_locked}`: lock lifted, the window's failures forgotten",
              "content": {"application/json": {"schema": {"type": "object"}}}},
        400: {"description": "the body is not one of {client}, {subject}, {ip}", **_PROBLEM_DOC},
        401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **_PROBLEM_DOC},
        403: {"description": "insufficient_scope: the token lacks admin", **_PROBLEM_DOC},
        503: {"description": "the store is unavailable", **_PROBLEM_DOC},
    },
)
async def unlock(request: Request, bearer: BearerDep, security: SecurityDep) -> Response:
    oauth, token = await api_bearer(request)
    claims = await bearer.require(token, scopes={ADMIN_SCOPE})
    try:
        body = UnlockRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        return invalid_body(exc)
    kind, key = body.target()
    by = f"admin-api:{claims.client_id}"
    was_locked = await security.unlock(kind, key, audit_context(request, oauth), by=by)
    body_out = {"kind": kind, "id": key, "was_locked": was_locked}
    return JSONResponse(body_out, headers={"Cache-Control": "no-store"})
