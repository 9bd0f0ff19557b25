"""A person's SSO sessions: the ``/account/sessions`` page and the ``/api/v1/me/sessions`` API.

The page needs the live SSO cookie; its two forms (end one session, end all
but this one) carry a CSRF token bound to the browser's session. The API needs
a bearer access token issued to the person at a login with ``openid
account.sessions`` (a scope only first-party clients get) and this API's audience:
``GET`` lists, ``DELETE …/{sid}`` ends one; errors are problem+json.
Everything else is ``login.sessions.SessionManager``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from frmr_sso.audit.events import AuditContext
from frmr_sso.login.mapping import ESIA_CONNECTOR_KIND
from frmr_sso.login.session_manager import SessionManager, SessionView
from frmr_sso.login.session_store import SESSION_COOKIE, SsoSession
from frmr_sso.oauth.bearer import AccessClaims, BearerValidator
from frmr_sso.oauth.resources import ACCOUNT_SESSIONS, SESSIONS_API, api_audience
from frmr_sso.oauth.scope import OPENID
from frmr_sso.registry.ru_format import local_time, zone
from frmr_sso.storage.ports import SubjectRepository
from frmr_sso.upstream.base import Connector
from frmr_sso.web import api_docs
from frmr_sso.web.deps import (
    AccountSessionsDep,
    BearerDep,
    ConnectorsDep,
    SettingsDep,
    SubjectsDep,
)
from frmr_sso.web.errors import PROBLEM, problem
from frmr_sso.web.login_http import LoginServicesDep, audit_context, page_form
from frmr_sso.web.oauth_http import api_bearer
from frmr_sso.web.oauth_http import audit_context as api_audit_context
from frmr_sso.web.pages import PageText, render
from frmr_sso.web.refusals import AUDIT_REFUSALS
from frmr_sso.web.user_agents import device_name

router = APIRouter(tags=["account"])
PAGE = "/account/sessions"
NOT_SIGNED_IN = PageText(
    "Вы не вошли",
    "Список сеансов виден только в браузере, где выполнен вход через ФРМР.",
    "Войдите через приложение вашей медицинской организации и откройте эту страницу снова.",
)
REFUSED = PageText(
    "Запрос отклонён",
    "Форма устарела или была отправлена не с этой страницы, поэтому ничего не изменено.",
    "Откройте страницу сеансов заново и повторите действие.",
)
NOT_FOUND = PageText(
    "Сеанс не найден",
    "Такого сеанса нет среди ваших действующих сеансов: возможно, он уже завершён.",
    "Откройте страницу сеансов заново.",
)
NOTICES = {"one": "Сеанс завершён.", "others": "Все сеансы, кроме текущего, завершены."}
_PROBLEM_DOC = {"content": {PROBLEM: {"schema": {"type": "object"}}}}


def _row(view: SessionView, connectors: Mapping[str, Connector], tz: ZoneInfo) -> dict[str, Any]:
    connector = connectors.get(view.connector)
    return {
        "id": view.id,
        "current": view.current,
        "started": local_time(datetime.fromtimestamp(view.created_at, UTC), tz),
        "last_seen": local_time(datetime.fromtimestamp(view.last_seen, UTC), tz),
        "ip": view.ip,
        "user_agent": device_name(view.user_agent),
        "connector": connector.display_name if connector is not None else view.connector,
        "clients": [c.name for c in view.clients],
    }


async def _methods(subjects: SubjectRepository, subject_id: str, connectors: Mapping[str, Connector],
                   tz: ZoneInfo) -> list[dict[str, str]]:
    """The upstream identities that sign this subject in: the first one, then those linked later."""
    subject = await subjects.get(subject_id)
    if subject is None:
        return []
    esia = next((name for name, c in connectors.items() if c.kind == ESIA_CONNECTOR_KIND), "esia")
    first = subject.esia_oid.split(":", 1)[0] if ":" in subject.esia_oid else esia
    methods = [(first, "с первого входа")]
    methods += [(link.connector, f"связан {local_time(link.linked_at, tz)}")
                for link in await subjects.links_of(subject_id)]
    return [{"name": connectors[name].display_name if name in connectors else name, "since": since}
            for name, since in methods]


async def _live(request: Request, services: LoginServicesDep) -> SsoSession | None:
    return await services.sessions.get(request.cookies.get(SESSION_COOKIE))


@router.get(PAGE, include_in_schema=False)
async def sessions_page(
    request: Request, services: LoginServicesDep, manager: AccountSessionsDep, connectors: ConnectorsDep,
    settings: SettingsDep, subjects: SubjectsDep,
) -> Response:
    session = await _live(request, services)
    if session is None:
        return render(request, "message.html", status=401, page=NOT_SIGNED_IN)
    views = await manager.views(session.subject, current=session.id)
    tz = zone(settings.time_zone)
    return render(
        request,
        "sessions.html",
        sessions=[_row(v, connectors, tz) for v in views],
        methods=await _methods(subjects, session.subject, connectors, tz),
        csrf=manager.csrf_token(session.id),
        others=any(not v.current for v in views),
        notice=NOTICES.get(request.query_params.get("done", "")),
    )


@router.post(PAGE + "/end", include_in_schema=False)
async def end_one(request: Request, services: LoginServicesDep, manager: AccountSessionsDep) -> Response:
    return await _end(request, services, manager, others=False)


@router.post(PAGE + "/end-others", include_in_schema=False)
async def end_others(request: Request, services: LoginServicesDep, manager: AccountSessionsDep) -> Response:
    return await _end(request, services, manager, others=True)


async def _end(
    request: Request, services: LoginServicesDep, manager: SessionManager, *, others: bool
) -> Response:
    session = await _live(request, services)
    if session is None:
        return render(request, "message.html", status=401, page=NOT_SIGNED_IN)
    context = audit_context(request)
    form = await page_form(request)
    csrf, sid = form.get("csrf"), form.get("sid")
    if not manager.csrf_ok(session.id, csrf):
        await manager.refuse(session.subject, "csrf token missing or wrong", context, via="page")
        return render(request, "message.html", status=400, page=REFUSED)
    if others:
        await manager.end_others(session.subject, session.id, context, via="page")
        return RedirectResponse(PAGE + "?done=others", status_code=303)
    if not isinstance(sid, str) or not await manager.end(session.subject, sid, context, via="page"):
        return render(request, "message.html", status=404, page=NOT_FOUND)
    if sid != session.id:
        return RedirectResponse(PAGE + "?done=one", status_code=303)
    upstream = await services.logout.upstream_redirect(session)  # this browser: the upstream session too
    response = RedirectResponse(upstream, status_code=303) if upstream else render(request, "logged_out.html")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=services.secure_cookies, httponly=True)
    return response


# -- the cabinet's API ----------------------------------------------------------------------------

API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or an invalid access token (WWW-Authenticate: Bearer)", **_PROBLEM_DOC},
    403: {
        "description": "insufficient_scope: not a person's token with openid account.sessions "
        "(a scope only first-party clients such as the cabinet obtain)",
        **_PROBLEM_DOC,
    },
    503: {"description": "the store is unavailable", **_PROBLEM_DOC},
}


async def subject_claims(
    token: str, bearer: BearerValidator, issuer: str, *,
    scope: str = ACCOUNT_SESSIONS, api: str = SESSIONS_API,
) -> AccessClaims:
    """A person's live token for an account API: scopes ``openid`` and ``scope``, the API's audience."""
    audience = api_audience(issuer, api)
    scopes = frozenset({OPENID, scope})
    return await bearer.require(token, scopes=scopes, audience=audience, person=True)


async def account_caller(
    request: Request, bearer: BearerValidator, issuer: str, *,
    scope: str = ACCOUNT_SESSIONS, api: str = SESSIONS_API,
) -> tuple[AccessClaims, AuditContext]:
    """The person whose valid token for ``api`` calls it, and the request's audit context; a refused
    token raises to the error table (problem+json, audited where the route asks ``AUDIT_REFUSALS``)."""
    oauth, token = await api_bearer(request)
    claims = await subject_claims(token, bearer, issuer, scope=scope, api=api)
    return claims, api_audit_context(request, oauth)


@router.get(
    "/api/v1/me/sessions",
    response_class=Response,
    dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    responses={
        200: {
            "description": "`{sessions: [{id, created_at, last_seen, auth_time, connector, ip, "
            "user_agent, clients: [{client_id, name}], current}]}`, newest first",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **API_RESPONSES,
    },
)
async def list_sessions(
    request: Request, manager: AccountSessionsDep, bearer: BearerDep, settings: SettingsDep
) -> Response:
    claims, _ = await account_caller(request, bearer, settings.issuer)
    views = await manager.views(claims.subject, current=claims.sid)
    body = {"sessions": [view.to_json() for view in views]}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.delete(
    "/api/v1/me/sessions/{sid}",
    response_class=Response,
    status_code=204,
    dependencies=[*api_docs.BEARER_AUTH, *AUDIT_REFUSALS],
    openapi_extra={
        "parameters": [{"name": "sid", "in": "path", "required": True, "schema": {"type": "string"}}]
    },
    responses={
        204: {"description": "the session ended: refresh tokens revoked, clients notified"},
        404: {"description": "not a live session of the token's subject", **_PROBLEM_DOC},
        **API_RESPONSES,
    },
)
async def end_session(
    request: Request, manager: AccountSessionsDep, bearer: BearerDep, settings: SettingsDep
) -> Response:
    sid = str(request.path_params["sid"])
    claims, context = await account_caller(request, bearer, settings.issuer)
    if not await manager.end(claims.subject, sid[:64], context, via="api"):
        return problem(404, "Not found", "no live session of this subject has that id")
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
