"""``GET``/``POST /logout``: OpenID Connect RP-Initiated Logout 1.0 (``LogoutService``), and
``GET /logout/upstream``, where the upstream's logout sends the browser back."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frmr_sso.login.logout import ConfirmLogout, LoggedOut
from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.login.upstream_logout import RETURN_PATH
from frmr_sso.oauth.request import Params
from frmr_sso.registry.labels import technical_reason
from frmr_sso.web.login_http import LoginServicesDep, audit_context, page_form, redirect
from frmr_sso.web.pages import LOGOUT_REFUSED, render

router = APIRouter(tags=["login"])


@router.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
async def logout(request: Request, services: LoginServicesDep) -> Response:
    if request.method == "POST":
        form = await page_form(request)
        params = Params([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    else:
        params = Params(request.query_params)
    outcome = await services.logout.logout(
        request.method, params, session_cookie=request.cookies.get(SESSION_COOKIE),
        context=audit_context(request),
    )
    if isinstance(outcome, ConfirmLogout):
        return render(
            request, "logout_confirm.html", csrf=outcome.csrf, client_id=outcome.client_id,
            client_name=outcome.client_name, post_logout_redirect_uri=outcome.post_logout_redirect_uri,
            state=outcome.state,
        )
    if isinstance(outcome, LoggedOut):
        response = redirect(outcome.redirect) if outcome.redirect else render(request, "logged_out.html")
        response.delete_cookie(SESSION_COOKIE, path="/", secure=services.secure_cookies, httponly=True)
        return response
    detail = technical_reason(outcome.reason)
    return render(request, "message.html", status=400, page=LOGOUT_REFUSED, detail=detail)


@router.get(RETURN_PATH, include_in_schema=False)
async def back_from_upstream(request: Request, services: LoginServicesDep) -> Response:
    target = await services.logout.back_from_upstream(request.query_params.get("k"))
    return redirect(target) if target else render(request, "logged_out.html")

