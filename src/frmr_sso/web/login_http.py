"""The login use case as the web layer sees it: its services, the request context, cookies, the
pages' forms and the conversion of outcomes into responses.

The composition root (``bootstrap``) builds ``LoginServices``, the services with the cookie
settings; routes declare ``LoginServicesDep``. This module turns their outcomes into responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from frmr_sso.audit.events import AuditContext
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.outcomes import ChooseUpstream, FailurePage, Outcome
from frmr_sso.login.service import LoginService
from frmr_sso.login.session_store import SESSION_COOKIE, SessionStore
from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.deps import provided
from frmr_sso.web.pages import SECURITY_HEADERS, PageText, failure_page, render, request_id

MALFORMED_FORM = PageText(
    "Некорректная форма",
    "Браузер или приложение отправили форму, которую нельзя прочитать.",
    "Вернитесь назад, обновите страницу и отправьте форму снова.",
)


@dataclass(frozen=True, slots=True)
class LoginServices:
    login: LoginService
    logout: LogoutService
    sessions: SessionStore
    secure_cookies: bool
    transaction_ttl: int
    session_ttl: int


LoginServicesDep = Annotated[LoginServices, Depends(provided("login_services"))]


def audit_context(request: Request) -> AuditContext:
    return AuditContext(
        ip=request_ip(request.scope),
        user_agent=request.headers.get("user-agent"),
        request_id=request_id(request),
    )


def redirect(location: str) -> RedirectResponse:
    headers = {k: v for k, v in SECURITY_HEADERS.items() if k in ("Cache-Control", "Pragma")}
    return RedirectResponse(location, status_code=302, headers=headers)


def set_cookie(response: Response, name: str, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax")


def respond(
    request: Request, services: LoginServices, outcome: Outcome, params: list[tuple[str, str]] | None = None
) -> Response:
    """``params``: the authorization request's parameters, for the chooser's links."""
    if isinstance(outcome, FailurePage):
        return failure_page(request, outcome)
    if isinstance(outcome, ChooseUpstream):
        query = [(k, v) for k, v in params or () if k != "idp_hint"]
        choices = [
            {"display_name": c.display_name, "url": "/authorize?" + urlencode([*query, ("idp_hint", c.name)])}
            for c in outcome.choices
        ]
        return render(request, "choose.html", choices=choices)
    response = redirect(outcome.location)
    secure = services.secure_cookies
    if outcome.browser_cookie is not None:
        ttl = services.transaction_ttl
        set_cookie(response, BROWSER_COOKIE, outcome.browser_cookie, max_age=ttl, secure=secure)
    if outcome.session_cookie is not None:
        ttl = services.session_ttl
        set_cookie(response, SESSION_COOKIE, outcome.session_cookie, max_age=ttl, secure=secure)
    return response


class MalformedForm(Exception):
    """A page's form the framework could not read (multipart without a boundary, too many fields …)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


async def page_form(request: Request) -> FormData:
    """The posted form of a page; ``MalformedForm`` (answered with the «Некорректная форма» page) when
    the framework refuses it. A body over the limit still goes to ``web/body_limit.py`` (413)."""
    try:
        return await request.form()
    except HTTPException as exc:
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        raise MalformedForm(status, str(exc.detail)) from None


async def page_fields(request: Request, limit: int = 256) -> dict[str, str]:
    """The text fields of a page's posted form, each cut to ``limit`` characters."""
    return {k: v[:limit] for k, v in (await page_form(request)).items() if isinstance(v, str)}
