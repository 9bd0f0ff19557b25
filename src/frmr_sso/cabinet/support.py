"""The cabinet's support form: filed through the broker's support API with the person's token.

What the cabinet already knows is not asked again: the name, the e-mail and the
SNILS come from the person's FRMR record (``/api/v1/me``) and are shown
read-only, the SNILS masked; the values sent are the record's, whatever the
form carries. Without a record the name comes from the login and the fields are
typed. The answer names the request's number once, as the number to quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from frmr_sso.cabinet.forms import CsrfRefused, broker_errors, checked_form, csrf_page, upload
from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.pages import PROFILE, page, signed_in
from frmr_sso.cabinet.runtime import runtime
from frmr_sso.cabinet.session import CabinetSession
from frmr_sso.identity.snils import InvalidSnils, Snils

router = APIRouter()
SUPPORT = "/api/v1/support-requests"
MOSCOW = timezone(timedelta(hours=3))  # the support desk reads a time without an offset as Moscow time


@dataclass(frozen=True, slots=True)
class Known:
    """What the record says of the person: sent as it is, shown read-only (the SNILS masked)."""

    values: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)


def known_of(record: Any) -> Known:
    if not isinstance(record, dict):
        return Known()
    values: dict[str, str] = {}
    shown: dict[str, str] = {}
    name = " ".join(str(record[k]) for k in ("last_name", "first_name", "middle_name") if record.get(k))
    if name:
        values["name"] = shown["name"] = name
    if isinstance(record.get("email"), str) and record["email"]:
        values["email"] = shown["email"] = record["email"]
    try:
        snils = Snils.parse(str(record.get("snils") or ""))
    except InvalidSnils:
        snils = None
    if snils is not None:
        values["snils"], shown["snils"] = snils.formatted, snils.mask()
    return Known(values, shown)


async def _known(request: Request, session: CabinetSession) -> Known:
    reading = await runtime(request).api.read(session, PROFILE, cache=True)
    return known_of(reading.data) if reading.ok else Known()


def _moscow_now() -> str:
    return datetime.now(MOSCOW).strftime("%Y-%m-%dT%H:%M")


async def _page(
    request: Request,
    session: CabinetSession,
    known: Known,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    sent: dict[str, Any] | None = None,
) -> Response:
    return await page(
        request,
        "support.html",
        session,
        "support",
        title="Поддержка",
        form=form or {},
        errors=errors or {},
        sent=sent,
        known=known.shown,
        now=_moscow_now(),
        hide_request_id=sent is not None,  # the request's number is the one to quote
        status=400 if errors else 200,
    )


@router.get("/support", include_in_schema=False)
async def support(request: Request) -> Response:
    session = await signed_in(request)
    return await _page(request, session, await _known(request, session))


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
    known = await _known(request, session)
    typed = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf" and v.strip()}
    values = {**typed, **known.values}  # the record's values, whatever the form carries
    screenshot = await upload(
        form.get("screenshot"), allowed={"image/png", "image/jpeg"}, label="Снимок экрана"
    )
    if isinstance(screenshot, str):
        return await _page(request, session, known, form=typed, errors={"screenshot": screenshot + "."})
    files = [("screenshot", screenshot)] if screenshot else None
    response = await runtime(request).api.call(session, "POST", SUPPORT, data=values, files=files)
    if response.status_code in (200, 201, 202):
        is_json = response.headers.get("content-type", "").startswith("application/json")
        sent = response.json() if is_json else {}
        return await _page(request, session, known, sent=sent if isinstance(sent, dict) else {})
    if response.status_code in (400, 413, 415, 422):
        return await _page(request, session, known, form=typed, errors=broker_errors(response))
    raise BrokerError(f"support request refused with {response.status_code}", status=response.status_code)
