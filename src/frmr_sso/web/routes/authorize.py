"""``GET``/``POST /authorize`` (OIDC Core §3.1.2): parse, call ``LoginService.authorize``, respond."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.oauth.request import OAuthRequest
from frmr_sso.web.login_http import LoginServicesDep, audit_context, page_form, respond

router = APIRouter(tags=["login"])


@router.api_route("/authorize", methods=["GET", "POST"], include_in_schema=False)
async def authorize(request: Request, services: LoginServicesDep) -> Response:
    form = list((await page_form(request)).multi_items()) if request.method == "POST" else []
    query = list(request.query_params.multi_items())
    pairs = [(k, v) for k, v in form if isinstance(v, str)]
    oauth_request = OAuthRequest.build(request.method, query=query, form=pairs)
    outcome = await services.login.authorize(
        oauth_request,
        session_cookie=request.cookies.get(SESSION_COOKIE),
        browser_cookie=request.cookies.get(BROWSER_COOKIE),
        context=audit_context(request),
    )
    return respond(request, services, outcome, params=pairs if request.method == "POST" else query)
