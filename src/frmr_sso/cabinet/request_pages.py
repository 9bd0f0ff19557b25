"""The cabinet's change requests: a page per section, the organisation from the directory, contacts by code.

``/requests/new`` lists the sections; each has a form of its own
(``/requests/new/{section}``, fields from ``change_forms``), posted to ``/requests``. The place of work
starts with the organisation: a search (``?q=``, a GET form) lists the
directory's matches, and choosing one (``?org=<OID>``) opens the form with its
name, OID and OKTMO filled in. ``?record=<id>`` corrects one of the person's
items instead of adding one: the form opens filled from it. A contact change
sends a one-time code to the new contact and goes on to its confirmation page
(``contact_pages``). No page needs a script.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from frmr_sso.cabinet.change_forms import SectionForm, check, form_values, record_title, section_forms
from frmr_sso.cabinet.forms import CsrfRefused, broker_errors, checked_form, csrf_page, upload
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import CHANGE_REQUESTS, SECTIONS, items_of, page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.registry.directories import Organization, directories, find_organizations

router = APIRouter()
RECORDS = {"workplace": SECTIONS["work"][1][0].path, "education": SECTIONS["education"][1][0].path}
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
    request: Request,
    section: str,
    org: str | None = None,
    q: str | None = None,
    record: str | None = None,
    other: str | None = None,
) -> Response:
    """``org``: the chosen organisation; ``q``: a search; ``record``: the item to correct (its organisation
    unless ``other`` asks to choose another one)."""
    session = await signed_in(request)
    form = _section(section)
    items = await _records(request, session, form.section)
    item = next((i for i in items if record and str(i.get("id")) == record), None)
    if record and item is None:
        raise HTTPException(404)
    values = form_values(form, item) if item else {}
    kept = None if other else (item or {}).get("organization_oid")
    organization = _organization(org or kept)
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
            unknown=bool(org or kept),
            records=[(str(i.get("id")), record_title(i)) for i in items],
            record=item and str(item.get("id")),
        )
    return await _form_page(request, session, form, values, {}, organization, items)


async def _records(request: Request, session: CabinetSession, section: str) -> list[dict[str, Any]]:
    """The person's items of the section, which a request may correct (none for contacts)."""
    path = RECORDS.get(section)
    if path is None:
        return []
    found = items_of(await runtime(request).api.read(session, path, cache=True))
    return [i for i in found if isinstance(i, dict) and i.get("id")] if isinstance(found, list) else []


async def _form_page(
    request: Request,
    session: CabinetSession,
    form: SectionForm,
    values: dict[str, str],
    errors: dict[str, str],
    organization: Organization | None,
    items: list[dict[str, Any]] | None = None,
) -> Response:
    if items is None:
        items = await _records(request, session, form.section)
    record = next(
        (i for i in items if values.get("record_id") and str(i.get("id")) == values["record_id"]), None
    )
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
        record=record and (str(record.get("id")), record_title(record)),
        records=[(str(i.get("id")), record_title(i)) for i in items],
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
