"""Passkeys: at ``/login/2fa`` (sign in, or enrol the first one) and on ``/account/2fa/passkeys``.

``POST /login/2fa/passkey`` (fields ``id``, ``csrf``, ``credential``) and
``POST /login/2fa/passkey/enrol`` (also ``name``) finish a pending login
(``PasskeyLoginStep``); ``GET /account/2fa/passkeys`` lists a person's passkeys,
``POST …/passkeys`` adds one (``csrf``, ``name``, ``credential``) and
``POST …/passkeys/remove`` (``csrf``, ``passkey``) removes one (``AccountPasskeys``).
``credential`` is the browser's ``PublicKeyCredential`` as JSON, put there by
the one static script ``GET /static/passkeys.js``. The rate limit of the
``second_factor`` group applies to all but the script (``web/rate_limit.py``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response

from frmr_sso.config import Settings
from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.registry.ru_format import local_time, zone
from frmr_sso.second_factor.account_forms import Refused
from frmr_sso.second_factor.login_step import LockedOut
from frmr_sso.second_factor.passkey_account import PasskeyAccountOutcome
from frmr_sso.second_factor.policy import PAGE_PATH
from frmr_sso.web.deps import AccountPasskeysDep, PasskeyLoginDep, SettingsDep
from frmr_sso.web.login_http import LoginServicesDep, audit_context, page_form
from frmr_sso.web.pages import SCRIPT_PATH, render
from frmr_sso.web.passkey_texts import passkey_message
from frmr_sso.web.routes.account_second_factor import PAGE as TOTP_PAGE
from frmr_sso.web.routes.account_second_factor import REFUSALS
from frmr_sso.web.routes.second_factor import show
from frmr_sso.web.security_pages import locked_page

router = APIRouter(tags=["account"])
PAGE = TOTP_PAGE + "/passkeys"
MAX_FIELD, MAX_CREDENTIAL = 256, 16_384
SCRIPT = (Path(__file__).parents[1] / "static" / "passkeys.js").read_bytes()
NOTICES = {"added": "Ключ доступа подключён.", "removed": "Ключ доступа удалён."}


async def _form(request: Request) -> dict[str, str]:
    """The posted fields, each cut to its length (the credential JSON may be longer than the rest)."""
    form = await page_form(request)
    limit = {"credential": MAX_CREDENTIAL}
    return {k: v[: limit.get(k, MAX_FIELD)] for k, v in form.items() if isinstance(v, str)}


@router.get(SCRIPT_PATH, include_in_schema=False)
async def passkey_script() -> Response:
    return Response(
        SCRIPT, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.post(PAGE_PATH + "/passkey", include_in_schema=False)
async def login_with_passkey(
    request: Request, services: LoginServicesDep, passkey_login: PasskeyLoginDep
) -> Response:
    form = await _form(request)
    outcome = await passkey_login.submit(
        form.get("id"), form.get("csrf"), form.get("credential", ""), request.cookies.get(BROWSER_COOKIE),
        audit_context(request),
    )  # fmt: skip
    return show(request, services, outcome)


@router.post(PAGE_PATH + "/passkey/enrol", include_in_schema=False)
async def enrol_passkey_at_login(
    request: Request, services: LoginServicesDep, passkey_login: PasskeyLoginDep
) -> Response:
    form = await _form(request)
    outcome = await passkey_login.enrol(
        form.get("id"), form.get("csrf"), form.get("name", ""), form.get("credential", ""),
        request.cookies.get(BROWSER_COOKIE), audit_context(request),
    )  # fmt: skip
    return show(request, services, outcome)


@router.get(PAGE, include_in_schema=False)
async def account_passkeys(
    request: Request, account: AccountPasskeysDep, settings: SettingsDep
) -> Response:
    outcome = await account.page(request.cookies.get(SESSION_COOKIE))
    return _show(request, outcome, settings)


@router.post(PAGE, include_in_schema=False)
async def add_passkey(
    request: Request, account: AccountPasskeysDep, settings: SettingsDep
) -> Response:
    form = await _form(request)
    outcome = await account.add(
        request.cookies.get(SESSION_COOKIE), form.get("csrf"), form.get("name", ""),
        form.get("credential", ""), audit_context(request),
    )  # fmt: skip
    return _show(request, outcome, settings)


@router.post(PAGE + "/remove", include_in_schema=False)
async def remove_passkey(
    request: Request, account: AccountPasskeysDep, settings: SettingsDep
) -> Response:
    form = await _form(request)
    outcome = await account.remove(
        request.cookies.get(SESSION_COOKIE), form.get("csrf"), form.get("passkey", ""),
        audit_context(request),
    )  # fmt: skip
    return _show(request, outcome, settings)


def _show(request: Request, outcome: PasskeyAccountOutcome, settings: Settings) -> Response:
    if isinstance(outcome, Refused):
        status, text = REFUSALS[outcome.reason]
        return render(request, "message.html", status=status, page=text)
    if isinstance(outcome, LockedOut):
        return locked_page(request, outcome.status)
    tz = zone(settings.time_zone)
    rows = [
        {
            "id": p.id, "name": p.name, "created": local_time(p.created_at, tz),
            "last_used": local_time(p.last_used_at, tz) if p.last_used_at else None,
        }
        for p in outcome.passkeys
    ]  # fmt: skip
    return render(
        request, "passkeys.html", status=400 if outcome.error else 200, script=outcome.prompt is not None,
        csrf=outcome.csrf, passkeys=rows, passkey=outcome.prompt,
        passkey_message=passkey_message(outcome.error),
        notice=NOTICES.get(outcome.notice or ""), add_action=PAGE, remove_action=PAGE + "/remove",
        totp_url=TOTP_PAGE,
    )  # fmt: skip
