"""The cabinet's form plumbing: CSRF, uploads; and ending one of the person's sessions.

Every POST carries the session's CSRF token. Uploads are checked here only for
what a person can fix at once (size, PDF/JPEG by their first bytes); the broker
validates everything again; its field errors are shown in Russian beside their fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from frmr_sso.cabinet.form_messages import russian_errors
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import SESSIONS as SESSIONS_API
from frmr_sso.cabinet.pages import signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.cabinet.views import render
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError

router = APIRouter()
MAX_UPLOAD = 5 * 1024 * 1024
_SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}


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


def broker_errors(response: Any) -> dict[str, str]:
    """The broker's problem+json field errors by field, in Russian (``fields`` for the form as a whole)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    listed = body.get("errors") if isinstance(body, dict) else None
    errors = [
        FieldError(str(e.get("field", "fields")), str(e.get("message", "")))
        for e in listed or ()
        if isinstance(e, dict)
    ]
    return russian_errors(errors) or {
        "fields": "Сервис ФРМР не принял данные. Проверьте их и отправьте снова."
    }


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
