"""Token revocation (RFC 7009 §2): 200 for any token, known or not (§2.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.oauth.errors import NO_STORE_HEADERS, UnsupportedTokenType
from frmr_sso.oauth.request import Params
from frmr_sso.web import api_docs
from frmr_sso.web.deps import ClientsDep, RevocationDep, SecurityDep
from frmr_sso.web.oauth_http import audit_context, authenticate_client, oauth_request

router = APIRouter(tags=["oauth"])
TOKEN_TYPES = frozenset({"access_token", "refresh_token"})


def _check_hint(form: Params) -> None:
    """RFC 7009 §2.2.1 unsupported_token_type for a hint naming a type we do not issue."""
    hint = form.get("token_type_hint", max_length=32)
    if hint is not None and hint not in TOKEN_TYPES:
        raise UnsupportedTokenType("token_type_hint names a token type this server does not revoke")


@router.post(
    "/revoke",
    response_class=Response,
    dependencies=api_docs.CLIENT_AUTH,
    openapi_extra=api_docs.form_body("RevocationRequest", api_docs.TOKEN_FORM_FIELDS, ["token"]),
    responses={
        **api_docs.responses(
            "Revoked, or unknown (RFC 7009 §2.2); empty body",
            None,
            {
                400: "invalid_request, unsupported_token_type",
                401: "invalid_client",
                503: "temporarily_unavailable",
            },
        ),
        200: {"description": "Revoked, or unknown (RFC 7009 §2.2); empty body"},
    },
)
async def revoke(
    request: Request, clients: ClientsDep, security: SecurityDep, revocation: RevocationDep
) -> Response:
    oauth = await oauth_request(request)
    context = audit_context(request, oauth)
    client = await authenticate_client(clients, oauth, security=security, context=context)
    _check_hint(oauth.form)
    await revocation.revoke(client, oauth.form, context)
    return Response(status_code=200, headers=NO_STORE_HEADERS)
