"""The token endpoint (RFC 6749 §3.2, §5): form in, ``TokenService`` called, JSON out.

The hot path reaches no database: the client comes from ``ClientService``'s
cache, its secret check from the verifier's cache, and the signing key from the
in-memory ``KeyRing`` (reloaded at most once per refresh interval).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.web import api_docs
from frmr_sso.web.deps import ClientsDep, KeysDep, SecurityDep, TokensDep
from frmr_sso.web.oauth_http import audit_context, authenticate_client, json_response, oauth_request

router = APIRouter(tags=["oauth"])


@router.post(
    "/token",
    response_class=Response,
    dependencies=api_docs.CLIENT_AUTH,
    openapi_extra=api_docs.form_body("TokenRequest", api_docs.TOKEN_FIELDS, ["grant_type"]),
    responses=api_docs.responses(
        "Tokens (RFC 6749 §5.1), Cache-Control: no-store",
        api_docs.TOKEN_RESPONSE,
        {
            400: "invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope",
            401: "invalid_client (WWW-Authenticate: Basic)",
            429: "too_many_requests: the address's rate limit (Retry-After)",
            503: "temporarily_unavailable",
        },
    ),
)
async def token(
    request: Request, clients: ClientsDep, security: SecurityDep, keys: KeysDep, tokens: TokensDep
) -> Response:
    oauth = await oauth_request(request)
    context = audit_context(request, oauth)
    client = await authenticate_client(clients, oauth, security=security, context=context)
    await keys.refresh_if_stale()
    issued = await tokens.token(client, oauth.form, context)
    return json_response(issued.body(), issued.headers())
