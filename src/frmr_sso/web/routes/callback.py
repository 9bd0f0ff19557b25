"""``GET /callback/{connector}``: the upstream sends the browser back; ``LoginService.callback``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.web.login_http import LoginServicesDep, audit_context, respond

router = APIRouter(tags=["login"])
MAX_PARAM = 4096


@router.get("/callback/{connector}", include_in_schema=False)
async def callback(connector: str, request: Request, services: LoginServicesDep) -> Response:
    params = {k: v[:MAX_PARAM] for k, v in request.query_params.items()}
    outcome = await services.login.callback(
        connector[:64],
        params,
        browser_cookie=request.cookies.get(BROWSER_COOKIE),
        session_cookie=request.cookies.get(SESSION_COOKIE),
        context=audit_context(request),
    )
    return respond(request, services, outcome)
