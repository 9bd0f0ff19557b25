"""The cabinet's «Доступ приложений» and «Журнал входов»: the broker's consents and login-history APIs.

``/apps`` lists the applications the person allowed and what each receives, with a
«Отозвать доступ» form (``DELETE /api/v1/me/consents/{client_id}``: the broker also
revokes that application's refresh tokens). ``/logins`` shows the person's sign-ins of
the last 90 days, newest first, a page at a time (``?cursor=`` from the broker's
``next_cursor``).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from frmr_sso.cabinet.forms import CsrfRefused, checked_form, csrf_page
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.oidc.scope_labels import scope_labels

router = APIRouter()
CONSENTS_API = "/api/v1/me/consents"
LOGINS_API = "/api/v1/me/logins"
PAGE_SIZE = 20
_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_CURSOR = re.compile(r"[0-9]{1,19}")


@router.get("/apps", include_in_schema=False)
async def apps(request: Request) -> Response:
    session = await signed_in(request)
    reading = await runtime(request).api.read(session, CONSENTS_API)
    items = reading.data.get("consents", []) if reading.ok and isinstance(reading.data, dict) else []
    consents = [{**item, "labels": scope_labels(item.get("scopes") or [])} for item in items]
    return await page(
        request, "apps.html", session, "apps", title="Доступ приложений", reading=reading, consents=consents
    )


@router.post("/apps/revoke", include_in_schema=False)
async def revoke(request: Request) -> Response:
    try:
        session, form = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    client_id = str(form.get("client_id", ""))
    if not _CLIENT_ID.fullmatch(client_id):
        session.notice = "Приложение не найдено."
    else:
        response = await runtime(request).api.call(session, "DELETE", f"{CONSENTS_API}/{quote(client_id)}")
        status = response.status_code
        if status not in (204, 404):
            raise BrokerError(f"revoking a consent refused with {status}", status=status)
        session.notice = "Доступ приложения отозван." if status == 204 else "Доступ уже отозван."
    await runtime(request).sessions.save(session)
    return RedirectResponse(f"{request.scope['root_path']}/apps", status_code=303)


@router.get("/logins", include_in_schema=False)
async def logins(request: Request) -> Response:
    session = await signed_in(request)
    cursor = request.query_params.get("cursor", "")
    query = {"limit": str(PAGE_SIZE)} | ({"cursor": cursor} if _CURSOR.fullmatch(cursor) else {})
    reading = await runtime(request).api.read(session, f"{LOGINS_API}?{urlencode(query)}")
    body = reading.data if reading.ok and isinstance(reading.data, dict) else {}
    following = body.get("next_cursor")
    return await page(
        request, "logins.html", session, "logins", title="Журнал входов", reading=reading,
        items=body.get("items", []), first_page="cursor" not in query,
        next_url=f"?{urlencode({'cursor': following})}" if isinstance(following, str) else None,
    )
