"""The cabinet's support form: filed through the broker's support API with the person's token."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from frmr_sso.cabinet.forms import CsrfRefused, checked_form, csrf_page, field_errors, upload
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession

router = APIRouter()
SUPPORT = "/api/v1/support-requests"
MOSCOW = timezone(timedelta(hours=3))  # the support desk reads a time without an offset as Moscow time


def _moscow_now() -> str:
    return datetime.now(MOSCOW).strftime("%Y-%m-%dT%H:%M")


@router.get("/support", include_in_schema=False)
async def support(request: Request) -> Response:
    session = await signed_in(request)
    return await page(
        request,
        "support.html",
        session,
        "support",
        title="Поддержка",
        form={},
        errors=[],
        sent=None,
        now=_moscow_now(),
    )


@router.post("/support", include_in_schema=False)
async def send_support(request: Request) -> Response:
    try:
        session, form = await checked_form(request)
    except CsrfRefused:
        return csrf_page(request)
    try:
        return await _send_support(request, session, form)
    finally:
        await form.close()  # uploaded files are spooled to temporary files


async def _send_support(request: Request, session: CabinetSession, form: FormData) -> Response:
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf" and v.strip()}
    now = _moscow_now()
    screenshot = await upload(
        form.get("screenshot"), allowed={"image/png", "image/jpeg"}, label="Снимок экрана"
    )
    if isinstance(screenshot, str):
        return await page(
            request,
            "support.html",
            session,
            "support",
            title="Поддержка",
            form=values,
            errors=[screenshot],
            sent=None,
            now=now,
            status=400,
        )
    files = [("screenshot", screenshot)] if screenshot else None
    response = await runtime(request).api.call(session, "POST", SUPPORT, data=values, files=files)
    if response.status_code in (200, 201, 202):
        sent = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        return await page(
            request,
            "support.html",
            session,
            "support",
            title="Поддержка",
            form={},
            errors=[],
            sent=sent if isinstance(sent, dict) else {},
            now=now,
        )
    if response.status_code in (400, 413, 415, 422):
        return await page(
            request,
            "support.html",
            session,
            "support",
            title="Поддержка",
            form=values,
            errors=field_errors(response),
            sent=None,
            now=now,
            status=400,
        )
    raise BrokerError(f"support request refused with {response.status_code}", status=response.status_code)
