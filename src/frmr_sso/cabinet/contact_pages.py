"""The one-time code of a contact change: ``/requests/{id}/confirm`` asks for it and confirms the change.

The code went to the new phone or e-mail when the request was filed; a right code
changes the contact in the record at once (``POST /api/v1/me/contacts/confirm``),
a wrong one is named beside the field, too many lock further tries for a while.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from frmr_sso.cabinet.forms import CsrfRefused, broker_errors, checked_form, csrf_page
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import CHANGE_REQUESTS, page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession

router = APIRouter()
CONFIRM_CONTACT = "/api/v1/me/contacts/confirm"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


async def _contact_request(request: Request, session: CabinetSession, request_id: str) -> dict[str, Any]:
    if not _REQUEST_ID.match(request_id):
        raise HTTPException(404)
    reading = await runtime(request).api.read(session, f"{CHANGE_REQUESTS}/{request_id}")
    if not reading.ok or not isinstance(reading.data, dict) or reading.data.get("section") != "contacts":
        raise HTTPException(404)
    return reading.data


async def _code_page(
    request: Request, session: CabinetSession, found: dict[str, Any], error: str | None, status: int = 200
) -> Response:
    if found.get("status") != "awaiting_code":
        return await page(
            request,
            "message.html",
            session,
            "requests",
            title="Код уже не нужен",
            lead="Эта заявка уже подтверждена или закрыта.",
            link=(f"{request.scope['root_path']}/requests", "К заявкам"),
        )
    fields = found.get("fields") or {}
    return await page(
        request,
        "request_confirm.html",
        session,
        "requests",
        title="Подтверждение контакта",
        change_request_id=found["id"],
        phone=fields.get("phone"),
        email=fields.get("email"),
        error_text=error,
        status=status,
    )


@router.get("/requests/{request_id}/confirm", include_in_schema=False)
async def enter_code(request: Request, request_id: str) -> Response:
    session = await signed_in(request)
    return await _code_page(request, session, await _contact_request(request, session, request_id), None)


@router.post("/requests/{request_id}/confirm", include_in_schema=False)
async def confirm_code(request: Request, request_id: str) -> Response:
    try:
        session, data = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    found = await _contact_request(request, session, request_id)
    code = str(data.get("code", "")).strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return await _code_page(request, session, found, "Введите шесть цифр кода.", 400)
    body = {"request_id": found["id"], "code": code}
    response = await runtime(request).api.call(session, "POST", CONFIRM_CONTACT, json=body)
    if response.status_code == 200:
        what = "телефон" if (found.get("fields") or {}).get("phone") else "адрес электронной почты"
        return await page(
            request,
            "message.html",
            session,
            "requests",
            title="Контакт изменён",
            lead=f"Новый {what} записан в ФРМР.",
            link=(f"{request.scope['root_path']}/profile", "Вернуться в профиль"),
        )
    if response.status_code == 400:
        error = broker_errors(response).get("code", "Код неверный или устарел.")
        return await _code_page(request, session, found, error, 400)
    if response.status_code == 429:
        wait = response.headers.get("retry-after", "")
        minutes = max(1, -(-int(wait) // 60)) if wait.isdigit() else 1
        error = f"Слишком много неверных кодов. Повторите через {minutes} мин. или запросите новый код."
        return await _code_page(request, session, found, error, 429)
    if response.status_code in (404, 409):
        return await _code_page(request, session, {**found, "status": "decided"}, None)
    raise BrokerError(
        f"contact confirmation refused with {response.status_code}", status=response.status_code
    )
