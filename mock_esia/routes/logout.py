"""``GET /idp/ext/Logout?client_id=…&redirect_url=…``: end the SSO session and go back.

The session ends (server side and cookie) whatever the parameters are. The
browser is sent to ``redirect_url`` only when it is one of the client's
registered redirect URIs or shares the origin of one of them; otherwise a
Russian page says the person has left, so the endpoint cannot be used as an
open redirector.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mock_esia.pages import error_page, redirect, render, single_query, state_of
from mock_esia.session import SESSION_COOKIE, SsoSessions, clear_cookie, secure_cookies

log = logging.getLogger("mock_esia.logout")
router = APIRouter(include_in_schema=False)

MAX_URL = 2048


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def return_allowed(redirect_url: str, registered: tuple[str, ...]) -> bool:
    origin = _origin(redirect_url)
    if origin is None:
        return False
    return redirect_url in registered or any(_origin(uri) == origin for uri in registered)


@router.get("/idp/ext/Logout")
async def logout(request: Request) -> Response:
    state = state_of(request)
    ended = await SsoSessions(state.kv).end(request.cookies.get(SESSION_COOKIE))
    client_id = single_query(request, "client_id", 256)
    redirect_url = single_query(request, "redirect_url", MAX_URL)
    client = state.clients.get(client_id) if client_id else None
    log.info("logout", extra={"client_id": client_id, "session_ended": ended})
    if client is not None and redirect_url is not None and return_allowed(redirect_url, client.redirect_uris):
        response = redirect(redirect_url)
    elif redirect_url is None and "redirect_url" not in request.query_params:
        response = render(request, "logged_out.html", {})
    else:
        response = error_page(
            request,
            "Вы вышли из учётной записи",
            "Выход выполнен, но вернуться в систему автоматически нельзя: адрес возврата "
            "не зарегистрирован для этой системы.",
            hint="Закройте вкладку или откройте нужную систему заново.",
        )
    clear_cookie(response, SESSION_COOKIE, secure=secure_cookies(state.settings.base_url))
    return response
