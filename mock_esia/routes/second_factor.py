"""After the password: forced change of an expired password, then the second factor.

``POST /login/password`` (fields ``new_password``, ``new_password_confirm``),
``POST /login/code`` (field ``code``), ``POST /login/resend`` (a new SMS code).
Every code check first reserves one of ``max_otp_failures`` tries for the
transaction; when the tries run out the transaction is cancelled and the
browser goes back to the client with ``access_denied`` (ESIA-007004), so the
client, not the mock, decides what the person sees next.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mock_esia.accounts import Account, SecondFactor, hash_password
from mock_esia.authn import (
    AMR,
    LoginProgress,
    Progress,
    Stage,
    Verdict,
    check_sms_code,
    check_totp_code,
    normalise_code,
    send_sms_code,
    with_sms_code,
)
from mock_esia.completion import deny, finish, stale_transaction_page
from mock_esia.lockout import CodeAttempts
from mock_esia.pages import FormError, csrf_error_page, form_error_page, read_form, render, state_of
from mock_esia.password_policy import new_password_problems
from mock_esia.session import Csrf, csrf_valid

log = logging.getLogger("mock_esia.login")
router = APIRouter(include_in_schema=False)

SMS_TEXT = "Код подтверждения для входа на Госуслуги: {code}. Никому не сообщайте этот код."
MAX_RESENDS = 3
BASE_FIELDS = {"tx": 128, "csrf": 128}
MESSAGES = {
    Verdict.WRONG: "Неверный код",
    Verdict.EXPIRED: "Срок действия кода истёк. Запросите новый код.",
    Verdict.REPLAYED: "Этот код уже использован. Дождитесь нового кода в приложении.",
}


def masked_phone(phone: str) -> str:
    return f"+7 *** ***-**-{phone[-2:]}"


def code_form(
    request: Request,
    tx: str,
    account: Account,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    csrf = Csrf(request)
    context = {
        "tx": tx,
        "csrf": csrf.token(f"tx:{tx}"),
        "factor": account.second_factor.value,
        "phone": masked_phone(account.phone),
        "error": error,
        "notice": notice,
    }
    return render(request, "code.html", context, status_code=status_code, csrf=csrf)


def password_form(
    request: Request, tx: str, *, problems: list[str] | None = None, status_code: int = 200
) -> Response:
    csrf = Csrf(request)
    context = {"tx": tx, "csrf": csrf.token(f"tx:{tx}"), "problems": problems or []}
    return render(request, "password_change.html", context, status_code=status_code, csrf=csrf)


def _progress_store(request: Request) -> LoginProgress:
    state = state_of(request)
    return LoginProgress(state.kv, state.settings.transaction_ttl)


async def require_password_change(request: Request, tx: str, progress: Progress) -> Response:
    await _progress_store(request).save(tx, replace(progress, stage=Stage.CHANGE_PASSWORD))
    return password_form(request, tx)


async def begin(request: Request, tx: str, account: Account, progress: Progress) -> Response:
    state = state_of(request)
    if account.second_factor is SecondFactor.NONE:
        return await finish(request, tx, account, amr=AMR[SecondFactor.NONE], auth_time=progress.auth_time)
    progress = replace(progress, stage=Stage.SECOND_FACTOR)
    if account.second_factor is SecondFactor.SMS:
        code = send_sms_code(state.outbox, account, text=SMS_TEXT)
        progress = with_sms_code(progress, tx, code, state.settings.otp_ttl)
    await _progress_store(request).save(tx, progress)
    return code_form(request, tx, account)


async def _step(
    request: Request, extra: dict[str, int], stage: Stage
) -> tuple[str, dict[str, str], Progress, Account] | Response:
    """The posted form, the transaction's progress and account, or the page that says why not."""
    try:
        form = await read_form(request, {**BASE_FIELDS, **extra})
    except FormError as exc:
        return form_error_page(request, exc)
    tx = form.get("tx", "")
    if not csrf_valid(request, f"tx:{tx}", form.get("csrf")):
        return csrf_error_page(request)
    progress = await _progress_store(request).load(tx)
    account = state_of(request).accounts.by_oid(progress.oid) if progress else None
    if progress is None or account is None or progress.stage is not stage:
        return stale_transaction_page(request)
    return tx, form, progress, account


@router.post("/login/password")
async def change_password(request: Request) -> Response:
    step = await _step(request, {"new_password": 256, "new_password_confirm": 256}, Stage.CHANGE_PASSWORD)
    if isinstance(step, Response):
        return step
    tx, form, progress, account = step
    new, confirmation = form.get("new_password", ""), form.get("new_password_confirm", "")
    problems = await asyncio.to_thread(new_password_problems, new, confirmation, account)
    if problems:
        return password_form(request, tx, problems=problems, status_code=400)
    account.replace_password(await asyncio.to_thread(hash_password, new))
    log.info("expired password replaced", extra={"oid": account.oid})
    return await begin(request, tx, account, progress)


@router.post("/login/code")
async def submit_code(request: Request) -> Response:
    step = await _step(request, {"code": 64}, Stage.SECOND_FACTOR)
    if isinstance(step, Response):
        return step
    tx, form, progress, account = step
    code = normalise_code(form.get("code", ""))
    if code is None:
        return code_form(request, tx, account, error="Введите код из 6 цифр", status_code=400)
    state = state_of(request)
    attempts = CodeAttempts(
        state.kv, max_failures=state.settings.max_otp_failures, ttl=state.settings.transaction_ttl
    )
    number = await attempts.reserve(tx)
    if number is None:
        return await deny(request, tx, reason="one-time code tries used up")
    if account.second_factor is SecondFactor.TOTP:
        verdict = await check_totp_code(state.kv, account, code)
    else:
        verdict = check_sms_code(progress, tx, code)
    if verdict is Verdict.OK:
        return await finish(
            request, tx, account, amr=AMR[account.second_factor], auth_time=progress.auth_time
        )
    left = attempts.remaining(number)
    log.info("one-time code refused", extra={"verdict": verdict.value, "tries_left": left})
    if left == 0:
        return await deny(request, tx, reason="one-time code tries used up")
    error = f"{MESSAGES[verdict]}. Осталось попыток: {left}".replace("..", ".")
    return code_form(request, tx, account, error=error, status_code=400)


@router.post("/login/resend")
async def resend_code(request: Request) -> Response:
    step = await _step(request, {}, Stage.SECOND_FACTOR)
    if isinstance(step, Response):
        return step
    tx, _, progress, account = step
    if account.second_factor is not SecondFactor.SMS:
        return code_form(request, tx, account, error="Код формирует ваше приложение", status_code=400)
    state = state_of(request)
    resends = CodeAttempts(
        state.kv, max_failures=MAX_RESENDS, ttl=state.settings.transaction_ttl, namespace="resend"
    )
    if await resends.reserve(tx) is None:
        return code_form(request, tx, account, error="Превышено число запросов кода", status_code=429)
    code = send_sms_code(state.outbox, account, text=SMS_TEXT)
    await _progress_store(request).save(tx, with_sms_code(progress, tx, code, state.settings.otp_ttl))
    return code_form(request, tx, account, notice="Новый код отправлен")
