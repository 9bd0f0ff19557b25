"""UserInfo (OIDC Core §5.3): the bearer token's user and the claims of its scope.

The token comes in the Authorization header (RFC 6750 §2.1) or a POSTed form
body (§2.2), never in the query; failures answer with a ``Bearer`` challenge.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.oauth.errors import NO_STORE_HEADERS, InvalidRequest
from frmr_sso.web import api_docs
from frmr_sso.web.deps import UserInfoDep
from frmr_sso.web.oauth_http import (
    FORM_TYPE,
    BearerInvalidRequest,
    bearer_token,
    json_response,
    media_type,
    oauth_request,
)

router = APIRouter(tags=["oidc"])
ERRORS = {
    400: "invalid_request (e.g. token in the query, or sent twice)",
    401: 'invalid_token (WWW-Authenticate: Bearer error="invalid_token")',
    403: "insufficient_scope: the token lacks openid",
}
RESPONSES = api_docs.responses("The claims (Cache-Control: no-store)", api_docs.USERINFO_RESPONSE, ERRORS)
FORM_DOCS = api_docs.form_body(
    "UserInfoRequest", {"access_token": {"type": "string"}}, ["access_token"], optional=True
)


async def _answer(request: Request, userinfo: UserInfoDep) -> Response:
    try:
        with_form = request.method == "POST" and media_type(request) == FORM_TYPE
        token = bearer_token(await oauth_request(request, form=with_form))
    except InvalidRequest as exc:
        raise BearerInvalidRequest(exc.description) from None
    claims = await userinfo.userinfo(token)
    return json_response(claims, NO_STORE_HEADERS)


@router.get("/userinfo", response_class=Response, dependencies=api_docs.BEARER_AUTH, responses=RESPONSES)
async def userinfo_get(request: Request, userinfo: UserInfoDep) -> Response:
    return await _answer(request, userinfo)


@router.post(
    "/userinfo",
    response_class=Response,
    dependencies=api_docs.BEARER_AUTH,
    responses=RESPONSES,
    openapi_extra=FORM_DOCS,
)
async def userinfo_post(request: Request, userinfo: UserInfoDep) -> Response:
    return await _answer(request, userinfo)
