"""``POST /api/v1/admin/second-factor/reset``: forget a subject's authenticator and passkeys, audited.

The person enrols a new authenticator (and gets new recovery codes) at the next
login that needs the second factor. Same bearer ``admin`` scope check and
problem+json errors as ``/api/v1/admin/unlock`` (``web/routes/admin.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from frmr_sso.second_factor.credentials import reset_second_factor
from frmr_sso.storage.ports.subjects import SUBJECT_ID_LENGTH
from frmr_sso.web import api_docs
from frmr_sso.web.deps import AuditorDep, BearerDep, PasskeysDep, TotpDep
from frmr_sso.web.oauth_http import api_bearer, audit_context
from frmr_sso.web.routes.admin import _PROBLEM_DOC, ADMIN_SCOPE, invalid_body

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class SecondFactorResetRequest(BaseModel):
    subject: str = Field(min_length=1, max_length=SUBJECT_ID_LENGTH)


@router.post(
    "/second-factor/reset", response_class=Response, dependencies=api_docs.BEARER_AUTH,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": SecondFactorResetRequest.model_json_schema()}}}},
    responses={
        200: {"description": "`{subject, was_enrolled}`: the authenticator, recovery codes and passkeys "
                             "are forgotten",
              "content": {"application/json": {"schema": {"type": "object"}}}},
        400: {"description": "the body is not {subject}", **_PROBLEM_DOC},
        401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **_PROBLEM_DOC},
        403: {"description": "insufficient_scope: the token lacks admin", **_PROBLEM_DOC},
        503: {"description": "the store is unavailable", **_PROBLEM_DOC},
    },
)  # fmt: skip
async def reset(
    request: Request, bearer: BearerDep, totp: TotpDep, auditor: AuditorDep, passkeys: PasskeysDep
) -> Response:
    oauth, token = await api_bearer(request)
    claims = await bearer.require(token, scopes={ADMIN_SCOPE})
    try:
        body = SecondFactorResetRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        return invalid_body(exc)
    by = f"admin-api:{claims.client_id}"
    was_enrolled = await reset_second_factor(
        totp, auditor, body.subject, audit_context(request, oauth), by=by, passkeys=passkeys,
    )
    body_out = {"subject": body.subject, "was_enrolled": was_enrolled}
    return JSONResponse(body_out, headers={"Cache-Control": "no-store"})
