"""``GET``/``POST /account/2fa``: a person replaces their authenticator (``AccountSecondFactor``).

Needs the live SSO cookie (``frmr_sso_session``); the form carries the field
``code`` and a CSRF token kept with the new secret. After the first right code
the ten new recovery codes are shown once. Every page leads back to the personal
cabinet's second-factor section when this broker serves the cabinet (its start page otherwise).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request, Response

from frmr_sso.login.session_store import SESSION_COOKIE
from frmr_sso.second_factor.enrolment import AccountOutcome, Refused
from frmr_sso.second_factor.login_step import CodeForm, LockedOut
from frmr_sso.web.deps import AccountSecondFactorDep
from frmr_sso.web.login_http import audit_context, page_fields
from frmr_sso.web.pages import PageText, render
from frmr_sso.web.security_pages import locked_page
from frmr_sso.web.site import DEFAULT_SITE, SiteInfo

router = APIRouter(tags=["account"])
PAGE = "/account/2fa"
MAX_FIELD = 256
REFUSALS = {
    "not_signed_in": (401, PageText(
        "Вы не вошли",
        "Настройка приложения-аутентификатора доступна только в браузере, где выполнен вход через ФРМР.",
        "Войдите через приложение вашей медицинской организации и откройте эту страницу снова.",
    )),
    "needs_second_factor": (403, PageText(
        "Нужно подтверждение вторым фактором",
        "Чтобы изменить второй фактор, войдите с кодом из текущего приложения, с резервным кодом "
        "или с ключом доступа.",
        "Если доступа к приложению и резервным кодам нет, обратитесь к администратору для сброса.",
    )),
    "stale": (400, PageText(
        "Форма устарела",
        "Форма устарела или была отправлена не с этой страницы, поэтому ничего не изменено.",
        "Откройте страницу заново и повторите действие.",
    )),
}  # fmt: skip


@router.get(PAGE, include_in_schema=False)
async def account_second_factor_page(request: Request, service: AccountSecondFactorDep) -> Response:
    outcome = await service.page(request.cookies.get(SESSION_COOKIE), audit_context(request))
    return _show(request, outcome)


@router.post(PAGE, include_in_schema=False)
async def account_second_factor_submit(request: Request, service: AccountSecondFactorDep) -> Response:
    form = await page_fields(request, MAX_FIELD)
    outcome = await service.submit(
        request.cookies.get(SESSION_COOKIE), form.get("csrf"), form.get("code", ""), audit_context(request)
    )
    return _show(request, outcome)


@router.post(PAGE + "/recovery-codes", include_in_schema=False)
async def account_new_recovery_codes(request: Request, service: AccountSecondFactorDep) -> Response:
    form = await page_fields(request, MAX_FIELD)
    outcome = await service.new_recovery_codes(
        request.cookies.get(SESSION_COOKIE), form.get("csrf"), audit_context(request)
    )
    return _show(request, outcome)


def _way_back(site: SiteInfo, reason: str) -> tuple[str, str]:
    """(address, button) of a refusal page: sign in again, open the form again, or back to the cabinet."""
    if reason == "stale":
        return PAGE, "Открыть страницу заново"
    if site.cabinet_url is None:
        return site.home_url, "На главную"
    if reason == "not_signed_in":
        return f"{site.cabinet_url}login?next=second-factor", "Войти в личный кабинет"
    return _back(site), "Вернуться в личный кабинет"


def _back(site: SiteInfo) -> str:
    return f"{site.cabinet_url}second-factor" if site.cabinet_url else site.home_url


def _show(request: Request, outcome: AccountOutcome) -> Response:
    site: SiteInfo = getattr(request.app.state, "site", DEFAULT_SITE)
    if isinstance(outcome, Refused):
        status, text = REFUSALS[outcome.reason]
        target, button = _way_back(site, outcome.reason)
        return render(
            request, "message.html", status=status, page=replace(text, retry=button), restart_url=target
        )
    if isinstance(outcome, LockedOut):
        return locked_page(request, outcome.status)
    if isinstance(outcome, CodeForm):
        intro = (
            "Подключите новое приложение-аутентификатор. Прежнее перестанет действовать, "
            "когда вы введёте код из нового."
        )
        return render(
            request, "second_factor.html", status=400 if outcome.error else 200, action=PAGE, pending_id=None,
            csrf=outcome.csrf, enrolment=outcome.enrolment, error=outcome.error, intro=intro, totp=True,
            codes_action=PAGE + "/recovery-codes", back_url=_back(site), passkeys_url=PAGE + "/passkeys",
        )  # fmt: skip
    return render(request, "second_factor_codes.html", action=None, pending_id=None, codes=outcome.codes)
