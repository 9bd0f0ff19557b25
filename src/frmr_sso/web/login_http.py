"""The login use case as the web layer sees it: its services, the request context, cookies and
the conversion of outcomes into responses.

The composition root (``bootstrap``) builds ``LoginServices``, the services with the cookie
settings; routes declare ``LoginServicesDep``. This module turns their outcomes into responses.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from frmr_sso.audit.events import AuditContext
from frmr_sso.login.logout import LogoutService
from frmr_sso.login.outcomes import ChooseUpstream, Failure, FailurePage, Outcome
from frmr_sso.login.service import LoginService
from frmr_sso.login.session_store import SESSION_COOKIE, SessionStore
from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.web.body_limit import BodyTooLarge
from frmr_sso.web.client_ip import request_ip
from frmr_sso.web.deps import provided
from frmr_sso.web.pages import SECURITY_HEADERS, PageText, failure_page, render, request_id

MALFORMED_FORM = PageText(
    "Некорректная форма",
    "Браузер или приложение отправили форму, которую нельзя прочитать.",
    "Вернитесь назад, обновите страницу и отправьте форму снова.",
)
log = logging.getLogger(__name__)


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


async def page_on_error(request: Request, step: Callable[[], Awaitable[Response]]) -> Response:
    """Run a login step; an unexpected failure (a store down) is a Russian page with the request id,
    not the JSON problem API clients get. A body the framework cannot parse (multipart without a
    boundary, …) is the invalid-request page with the framework's status."""
    try:
        return await step()
    except BodyTooLarge:
        raise  # answered 413 by ``web/body_limit.py``
    except HTTPException as exc:  # the framework refused the form (no multipart boundary, too many fields)
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        return render(request, "message.html", status=status, page=MALFORMED_FORM, detail=str(exc.detail))
    except Exception:
        log.exception("a login step failed")
        return failure_page(request, FailurePage(Failure.INTERNAL_ERROR, 500))
