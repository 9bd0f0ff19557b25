"""``create_cabinet(config)``: the personal cabinet, a FastAPI app the broker mounts under ``/cabinet``.

It is a client of the broker like any hospital application: it signs people in
through ``/authorize`` (code flow, PKCE S256, its own client secret), reads
``/userinfo`` and ``/api/v1/...`` with the access token, refreshes it, and ends
the login with RP-initiated ``/logout``. Its cookies are ``frmr_cabinet_*``
(path ``/cabinet``); every form carries the session's CSRF token; every failure
is a Russian page with the request id.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from frmr_sso.cabinet import (
    access,
    backchannel,
    contact_pages,
    forms,
    pages,
    request_pages,
    statements,
    support,
)
from frmr_sso.cabinet.api import SessionExpired
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.runtime import COOKIE, LOGIN_COOKIE, CabinetConfig, Runtime, current_session, runtime
from frmr_sso.cabinet.views import render
from frmr_sso.errors import FrmrSsoError

log = logging.getLogger(__name__)
_SLUGS = {
    "profile",
    "education",
    "work",
    "qualification",
    "service-length",
    "accreditation",
    "requests",
    "statements",
    "support",
    "sessions",
    "second-factor",
    "requests/new",
}


def message(
    request: Request, status: int, title: str, lead: str, advice: str = "", **extra: object
) -> Response:
    return render(
        request,
        "message.html",
        status=status,
        title=title,
        lead=lead,
        advice=advice,
        alert=status >= 400,
        **extra,
    )


def _next_path(value: str | None) -> str:
    return value if value in _SLUGS else "profile"


def create_cabinet(config: CabinetConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime.open(config)
        try:
            yield
        finally:
            await app.state.runtime.aclose()

    app = FastAPI(title="frmr-cabinet", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    _install_errors(app)
    app.include_router(_auth_router())
    app.include_router(pages.router)
    app.include_router(forms.router)
    app.include_router(request_pages.router)
    app.include_router(contact_pages.router)
    app.include_router(statements.router)
    app.include_router(support.router)
    app.include_router(access.router)
    app.include_router(backchannel.router)
    return app


def _auth_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        if await current_session(request) is not None:
            return RedirectResponse(f"{request.scope['root_path']}/profile", status_code=303)
        return render(request, "landing.html", title="Личный кабинет")

    @router.get("/login", include_in_schema=False)
    async def login(request: Request, next: str | None = None) -> Response:
        rt = runtime(request)
        start = await rt.client.start()
        await rt.sessions.begin_login(start, _next_path(next))
        response = RedirectResponse(start.url, status_code=303)
        response.set_cookie(
            LOGIN_COOKIE,
            start.state,
            max_age=600,
            path=request.scope["root_path"] or "/",
            httponly=True,
            samesite="lax",
            secure=rt.config.secure_cookies,
        )
        return response

    @router.get("/callback", include_in_schema=False)
    async def callback(
        request: Request, code: str | None = None, state: str | None = None, error: str | None = None
    ) -> Response:
        rt, base = runtime(request), request.scope["root_path"]
        again = (f"{base}/login", "Войти снова")
        bound = request.cookies.get(LOGIN_COOKIE, "")
        pending = await rt.sessions.take_login(state) if state else None
        if pending is None or not hmac.compare_digest(bound, state or ""):
            return message(
                request,
                400,
                "Сеанс входа устарел",
                "Вход не был завершён вовремя или начат в другом окне.",
                "Начните вход заново.",
                link=again,
            )
        if error or not code:
            return message(
                request,
                403,
                "Вход не выполнен",
                "Вход был отменён или не разрешён.",
                "Начните вход заново; если ошибка повторяется, напишите в поддержку.",
                link=again,
            )
        tokens, claims = await rt.client.redeem(code, verifier=pending.verifier, nonce=pending.nonce)
        info = await rt.client.userinfo(tokens.access_token)
        name = str(info.get("name") or claims.get("name") or "Медицинский работник")
        sid = claims.get("sid")
        session = await rt.sessions.create(
            sub=str(claims["sub"]), name=name, tokens=tokens, sid=sid if isinstance(sid, str) else None
        )
        session.cache["userinfo"] = {"etag": None, "data": info}
        await rt.sessions.save(session)
        response = RedirectResponse(f"{base}/{pending.next_path}", status_code=303)
        response.delete_cookie(LOGIN_COOKIE, path=base or "/")
        response.set_cookie(
            COOKIE,
            session.id,
            path=base or "/",
            httponly=True,
            samesite="lax",
            secure=rt.config.secure_cookies,
        )
        return response

    @router.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        rt, base = runtime(request), request.scope["root_path"]
        session = await current_session(request)
        form = await request.form()
        if session is None or not rt.sessions.csrf_ok(session, form.get("csrf")):
            return RedirectResponse(f"{base}/", status_code=303)
        await rt.sessions.delete(session.id)
        target = await rt.client.end_session_url(session.tokens.id_token, f"{rt.config.base_url}/logged-out")
        # a page that moves on by itself, not a redirect: the broker's logout goes on through the upstream's,
        # another origin, which this form's ``form-action 'self'`` would refuse within the same navigation
        response = message(
            request, 200, "Выход", "Завершаем сеанс…", link=(target, "Продолжить"), refresh_to=target
        )
        response.delete_cookie(COOKIE, path=base or "/")
        return response

    @router.get("/logged-out", include_in_schema=False)
    async def logged_out(request: Request) -> Response:
        base = request.scope["root_path"]
        return message(
            request, 200, "Вы вышли из кабинета", "Сеанс завершён.", link=(f"{base}/login", "Войти снова")
        )

    return router


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(SessionExpired)
    async def expired(request: Request, exc: SessionExpired) -> Response:
        base = request.scope["root_path"]
        await runtime(request).sessions.delete(request.cookies.get(COOKIE, ""))  # the server's copy too
        target = request.url.path.removeprefix(base).strip("/")
        response = RedirectResponse(f"{base}/login?next={quote(_next_path(target))}", status_code=303)
        response.delete_cookie(COOKIE, path=base or "/")
        return response

    @app.exception_handler(BrokerError)
    async def broker_down(request: Request, exc: BrokerError) -> Response:
        log.error("cabinet: broker call failed", extra={"error": str(exc), "status": exc.status})
        response = message(
            request,
            502,
            "Сервис ФРМР временно недоступен",
            "Кабинет не получил ответ от сервиса ФРМР.",
            "Обновите страницу через минуту. Если ошибка повторяется, сообщите код запроса.",
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(FrmrSsoError)
    async def store_down(request: Request, exc: FrmrSsoError) -> Response:
        log.error("cabinet: request failed", extra={"error": type(exc).__name__})
        return message(
            request,
            503,
            "Кабинет временно недоступен",
            "Произошла техническая ошибка.",
            "Повторите попытку через несколько минут и назовите поддержке код запроса.",
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return message(
                request,
                404,
                "Страница не найдена",
                "Такой страницы в кабинете нет.",
                link=(f"{request.scope['root_path']}/", "В кабинет"),
            )
        return message(request, exc.status_code, "Запрос не выполнен", str(exc.detail))
