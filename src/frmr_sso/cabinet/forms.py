"""The cabinet's forms: CSRF, uploads, and the change request with its document.

Every POST carries the session's CSRF token. Uploads are checked here only for
what a person can fix at once (size, PDF/JPEG by their first bytes); the broker
validates everything again and its field errors are shown as they come.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import CHANGE_REQUESTS, page, signed_in
from frmr_sso.cabinet.pages import SESSIONS as SESSIONS_API
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.cabinet.views import render

router = APIRouter()
MAX_UPLOAD = 5 * 1024 * 1024
_SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}
REQUEST_FIELDS = {
    "workplace": (
        "organization_name",
        "organization_oid",
        "post_id",
        "position_type",
        "rate",
        "begin_date",
        "end_date",
    ),
    "education": (
        "kind",
        "institution",
        "speciality_code",
        "qualification",
        "diploma_series",
        "diploma_number",
        "diploma_date",
        "graduation_year",
    ),
}


class CsrfRefused(Exception):
    pass


async def checked_form(request: Request) -> tuple[CabinetSession, FormData]:
    session = await signed_in(request)
    form = await request.form(max_files=2, max_fields=40)
    if not runtime(request).sessions.csrf_ok(session, form.get("csrf")):
        await form.close()
        raise CsrfRefused
    return session, form


def csrf_page(request: Request) -> Response:
    return render(
        request,
        "message.html",
        status=403,
        title="Форма устарела",
        alert=True,
        lead="Страница с формой была открыта слишком давно или в другом сеансе.",
        advice="Вернитесь назад, обновите страницу и отправьте форму снова.",
    )


async def upload(part: object, *, allowed: set[str], label: str) -> tuple[str, bytes, str] | str | None:
    """(filename, bytes, media type), or a Russian complaint, or None when nothing was chosen."""
    if not isinstance(part, UploadFile) or not part.filename:
        return None
    data = await part.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return f"{label}: файл больше 5 МБ"
    kind = next((t for sig, t in _SIGNATURES.items() if data.startswith(sig)), None)
    if kind not in allowed:
        return f"{label}: допустимы только " + ", ".join(sorted(t.split("/")[1].upper() for t in allowed))
    return part.filename, data, kind


def field_errors(response: Any) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return ["сервис ФРМР не принял данные"]
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        return [
            f"{e.get('field', '')}: {e.get('message', '')}".strip(": ") for e in errors if isinstance(e, dict)
        ]
    return [str(body.get("detail") or "сервис ФРМР не принял данные")] if isinstance(body, dict) else []


@router.get("/requests/new", include_in_schema=False)
async def new_request(request: Request) -> Response:
    session = await signed_in(request)
    return await page(
        request,
        "request_new.html",
        session,
        "requests",
        title="Новая заявка",
        form={},
        errors=[],
        fields=REQUEST_FIELDS,
    )


@router.post("/requests", include_in_schema=False)
async def submit_request(request: Request) -> Response:
    try:
        session, form = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    try:
        return await _submit_request(request, session, form)
    finally:
        await form.close()  # uploaded files are spooled to temporary files


async def _submit_request(request: Request, session: CabinetSession, form: FormData) -> Response:
    section = str(form.get("section", ""))
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    errors: list[str] = []
    if section not in REQUEST_FIELDS:
        errors.append("выберите, что исправить")
    document = await upload(form.get("document"), allowed={"application/pdf", "image/jpeg"}, label="Документ")
    if document is None:
        errors.append("приложите подтверждающий документ")
    elif isinstance(document, str):
        errors.append(document)
    if errors or not isinstance(document, tuple):
        return await _request_form(request, session, values, errors)
    fields = {
        name: values[f"{section}.{name}"].strip()
        for name in REQUEST_FIELDS[section]
        if values.get(f"{section}.{name}", "").strip()
    }
    data = {
        "section": section,
        "fields": json.dumps(fields, ensure_ascii=False),
        "comment": values.get("comment", "").strip(),
    }
    response = await runtime(request).api.call(
        session, "POST", CHANGE_REQUESTS, data=data, files=[("documents", document)]
    )
    if response.status_code in (200, 201, 202):
        session.notice = "Заявка отправлена. Её статус виден в списке заявок."
        await runtime(request).sessions.save(session)
        return RedirectResponse(f"{request.scope['root_path']}/requests", status_code=303)
    if response.status_code in (400, 413, 415, 422):
        return await _request_form(request, session, values, field_errors(response))
    if response.status_code in (404, 405):
        unavailable = ["приём заявок через кабинет пока недоступен; обратитесь в кадровую службу"]
        return await _request_form(request, session, values, unavailable)
    raise BrokerError(f"change request refused with {response.status_code}", status=response.status_code)


async def _request_form(
    request: Request, session: CabinetSession, values: dict[str, str], errors: list[str]
) -> Response:
    return await page(
        request,
        "request_new.html",
        session,
        "requests",
        title="Новая заявка",
        form=values,
        errors=errors,
        fields=REQUEST_FIELDS,
        status=400,
    )


@router.post("/sessions/end", include_in_schema=False)
async def end_session(request: Request) -> Response:
    """Ends one of the person's other sessions through ``DELETE /api/v1/me/sessions/{sid}``."""
    try:
        session, form = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    sid = str(form.get("sid", ""))
    if not sid or len(sid) > 64 or not all(c.isalnum() or c in "-_" for c in sid):
        session.notice = "Сеанс не найден."
    else:
        response = await runtime(request).api.call(session, "DELETE", f"{SESSIONS_API}/{sid}")
        if response.status_code not in (204, 404):
            raise BrokerError(
                f"ending a session refused with {response.status_code}", status=response.status_code
            )
        session.notice = "Сеанс завершён." if response.status_code == 204 else "Сеанс уже завершён."
    await runtime(request).sessions.save(session)
    return RedirectResponse(f"{request.scope['root_path']}/sessions", status_code=303)
