"""``/login/2fa``: the broker's own second factor during a login (``SecondFactorStep``).

``GET /login/2fa?id=…`` shows the code form, or the enrolment (QR code, otpauth
URI, the secret in groups) when the person has no authenticator yet;
``POST /login/2fa`` (fields ``id``, ``csrf``, ``code``) checks a TOTP or recovery
code; ``POST /login/2fa/continue`` finishes the login after the recovery codes
of a new enrolment were shown. The page also offers a passkey
(``web/routes/passkeys.py``): to sign in with one, or to enrol one instead of an
authenticator app. The per-IP rate limit of the ``/login/2fa`` group applies
(``web/rate_limit.py``); a lock shows ``security_pages.locked_page``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from frmr_sso.login.transaction import BROWSER_COOKIE
from frmr_sso.second_factor.login_step import CodeForm, LockedOut, RecoveryCodes, StepOutcome
from frmr_sso.second_factor.policy import PAGE_PATH
from frmr_sso.web.deps import SecondFactorDep
from frmr_sso.web.login_http import LoginServices, LoginServicesDep, audit_context, page_fields, respond
from frmr_sso.web.pages import render
from frmr_sso.web.passkey_texts import passkey_message
from frmr_sso.web.security_pages import locked_page

router = APIRouter(tags=["login"])
MAX_FIELD = 256


@router.get(PAGE_PATH, include_in_schema=False)
async def second_factor_page(
    request: Request, services: LoginServicesDep, second_factor: SecondFactorDep
) -> Response:
    outcome = await second_factor.page(
        request.query_params.get("id", "")[:MAX_FIELD],
        request.cookies.get(BROWSER_COOKIE),
        audit_context(request),
    )
    return show(request, services, outcome)


@router.post(PAGE_PATH, include_in_schema=False)
async def second_factor_submit(
    request: Request, services: LoginServicesDep, second_factor: SecondFactorDep
) -> Response:
    form = await page_fields(request, MAX_FIELD)
    outcome = await second_factor.submit(
        form.get("id"),
        form.get("csrf"),
        form.get("code", ""),
        request.cookies.get(BROWSER_COOKIE),
        audit_context(request),
    )
    return show(request, services, outcome)


@router.post(PAGE_PATH + "/continue", include_in_schema=False)
async def second_factor_continue(
    request: Request, services: LoginServicesDep, second_factor: SecondFactorDep
) -> Response:
    form = await page_fields(request, MAX_FIELD)
    outcome = await second_factor.proceed(
        form.get("id"), form.get("csrf"), request.cookies.get(BROWSER_COOKIE), audit_context(request)
    )
    return show(request, services, outcome)


def show(request: Request, services: LoginServices, outcome: StepOutcome) -> Response:
    if isinstance(outcome, CodeForm):
        return render(
            request,
            "second_factor.html",
            status=400 if outcome.error or outcome.passkey_error else 200,
            action=PAGE_PATH,
            pending_id=outcome.pending_id,
            csrf=outcome.csrf,
            enrolment=outcome.enrolment,
            error=outcome.error,
            totp=outcome.totp,
            passkey=outcome.passkey,
            passkey_message=passkey_message(outcome.passkey_error),
            script=outcome.passkey is not None,
        )
    if isinstance(outcome, RecoveryCodes):
        return render(
            request,
            "second_factor_codes.html",
            action=PAGE_PATH + "/continue",
            pending_id=outcome.pending_id,
            csrf=outcome.csrf,
            codes=outcome.codes,
        )
    if isinstance(outcome, LockedOut):
        return locked_page(request, outcome.status)
    return respond(request, services, outcome)
