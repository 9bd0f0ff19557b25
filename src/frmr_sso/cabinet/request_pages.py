"""The cabinet's change requests: a page per section, the organisation from the directory, contacts by code.

``/requests/new`` lists the sections; each has a form of its own
(``/requests/new/{section}``, fields from ``change_forms``), posted to ``/requests``. The place of work
starts with the organisation: a search (``?q=``, a GET form) lists the
directory's matches, and choosing one (``?org=<OID>``) opens the form with its
name, OID and OKTMO filled in. A contact change sends a one-time code to the
new contact and goes on to ``/requests/{id}/confirm``, where the code is entered.
No page needs a script.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from frmr_sso.cabinet.change_forms import SectionForm, check, section_forms
from frmr_sso.cabinet.forms import CsrfRefused, broker_errors, checked_form, csrf_page, upload
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import CHANGE_REQUESTS, page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.registry.directories import Organization, directories, find_organizations

router = APIRouter()
CONFIRM_CONTACT = "/api/v1/me/contacts/confirm"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_CHECKED = (200, 201, 202)
_REFUSED = (400, 413, 415, 422)


def _section(name: str) -> SectionForm:
    form = section_forms().get(name)
    if form is None:
        raise HTTPException(404)
    return form


def _organization(oid: object) -> Organization | None:
    return directories().organizations.get(str(oid or "").strip())


@router.get("/requests/new", include_in_schema=False)
async def choose_section(request: Request) -> Response:
    session = await signed_in(request)
    return await page(
        request, "request_new.html", session, "requests", title="Новая заявка", sections=section_forms()
    )


@router.get("/requests/new/{section}", include_in_schema=False)
async def section_form(
    request: Request, section: str, org: str | None = None, q: str | None = None
) -> Response:
    session = await signed_in(request)
    form = _section(section)
    organization = _organization(org)
    if form.section == "workplace" and organization is None:
        query = (q or "").strip()[:100]
        found = find_organizations(query, directories().organizations) if query else []
        return await page(
            request,
            "request_organization.html",
            session,
            "requests",
            title="Место работы: организация",
            query=query,
            found=found,
            unknown=bool(org),
        )
    return await _form_page(request, session, form, {}, {}, organization)


async def _form_page(
    request: Request,
    session: CabinetSession,
    form: SectionForm,
    values: dict[str, str],
    errors: dict[str, str],
    organization: Organization | None,
) -> Response:
    return await page(
        request,
        "request_form.html",
        session,
        "requests",
        title=f"Заявка: {form.title.lower()}",
        form=form,
        values=values,
        errors=errors,
        organization=organization,
        status=400 if errors else 200,
    )


@router.post("/requests", include_in_schema=False)
async def submit_section(request: Request) -> Response:
    """Every section's form posts here (the upload path the deployment allows 5 MB files on)."""
    try:
        session, data = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    try:
        return await _submit(request, session, _section(str(data.get("section", ""))), data)
    finally:
        await data.close()  # uploaded files are spooled to temporary files


async def _submit(request: Request, session: CabinetSession, form: SectionForm, data: FormData) -> Response:
    values = {k: v for k, v in data.items() if isinstance(v, str) and k not in ("csrf", "section")}
    organization = _organization(values.get("organization_oid"))
    document = None
    if form.documents:
        document = await upload(
            data.get("document"), allowed={"application/pdf", "image/jpeg"}, label="Документ"
        )
    today = datetime.now(UTC).date()  # the broker's «not in the future» is by its UTC date
    checked = check(
        form, values, today=today, documents=int(isinstance(document, tuple)), organization=organization
    )
    errors = dict(checked.errors)
    if isinstance(document, str):
        errors["documents"] = document + "."
    if errors:
        return await _form_page(request, session, form, values, errors, organization)
    body = {
        "section": form.section,
        "fields": json.dumps(checked.fields, ensure_ascii=False),
        "comment": values.get("comment", "").strip(),
    }
    files = [("documents", document)] if isinstance(document, tuple) else None
    response = await runtime(request).api.call(session, "POST", CHANGE_REQUESTS, data=body, files=files)
    if response.status_code == 202:
        return RedirectResponse(f"{request.scope['root_path']}/requests/{response.json()['id']}/confirm", 303)
    if response.status_code in _CHECKED:
        session.notice = "Заявка отправлена. Её статус виден в списке заявок."
        await runtime(request).sessions.save(session)
        return RedirectResponse(f"{request.scope['root_path']}/requests", status_code=303)
    if response.status_code in _REFUSED:
        return await _form_page(request, session, form, values, broker_errors(response), organization)
    if response.status_code == 429:
        errors = {"fields": "Слишком много заявок за последний час. Повторите позже."}
        return await _form_page(request, session, form, values, errors, organization)
    if response.status_code in (404, 405):
        unavailable = {"fields": "Приём заявок через кабинет пока недоступен; обратитесь в кадровую службу."}
        return await _form_page(request, session, form, values, unavailable, organization)
    raise BrokerError(f"change request refused with {response.status_code}", status=response.status_code)


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
        minutes = max(1, -(-int(response.headers.get("retry-after", "60") or 60) // 60))
        error = f"Слишком много неверных кодов. Повторите через {minutes} мин. или запросите новый код."
        return await _code_page(request, session, found, error, 429)
    if response.status_code in (404, 409):
        return await _code_page(request, session, {**found, "status": "decided"}, None)
    raise BrokerError(
        f"contact confirmation refused with {response.status_code}", status=response.status_code
    )
