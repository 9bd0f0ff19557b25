"""Token introspection (RFC 7662 §2): an authenticated confidential client asks about a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.oauth.errors import NO_STORE_HEADERS
from frmr_sso.web import api_docs
from frmr_sso.web.deps import ClientsDep, IntrospectionDep, SecurityDep
from frmr_sso.web.oauth_http import audit_context, authenticate_client, json_response, oauth_request

router = APIRouter(tags=["oauth"])


@router.post(
    "/introspect",
    response_class=Response,
    dependencies=api_docs.CLIENT_AUTH,
    openapi_extra=api_docs.form_body("IntrospectionRequest", api_docs.TOKEN_FORM_FIELDS, ["token"]),
    responses=api_docs.responses(
        "RFC 7662 §2.2: {active: false} for any token that is not active",
        api_docs.INTROSPECTION_RESPONSE,
        {
            400: "invalid_request",
            401: "invalid_client (public clients too)",
            429: "too_many_requests: the address's rate limit (Retry-After)",
            503: "temporarily_unavailable",
        },
    ),
)
async def introspect(
    request: Request, clients: ClientsDep, security: SecurityDep, introspection: IntrospectionDep
) -> Response:
    oauth = await oauth_request(request)
    context = audit_context(request, oauth)
    client = await authenticate_client(clients, oauth, security=security, context=context)
    body = await introspection.introspect(client, oauth.form)
    return json_response(body, NO_STORE_HEADERS)
