"""Password recovery: ``GET/POST /recovery`` sends a one-time code, ``POST /recovery/confirm`` uses it.

Every login gets the same "code sent" page; only a known, unblocked account is
actually sent a code, so the page reveals nothing. The recovery request lives
in the KV (``recovery:<rid>``, the code as a digest) for ``otp_ttl`` seconds and
allows ``max_otp_failures`` tries; a correct code is remembered, so a new
password refused by the policy can be corrected without a new code. It is
consumed with a one-time read when the password is replaced, and the account's
lockout counter is reset.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mock_esia.accounts import Account, hash_password
from mock_esia.authn import code_digest, new_code, normalise_code
from mock_esia.lockout import CodeAttempts, account_subject
from mock_esia.pages import (
    FormError,
    csrf_error_page,
    error_page,
    form_error_page,
    read_form,
    render,
    single_query,
    state_of,
)
from mock_esia.password_policy import new_password_problems, policy_violations
from mock_esia.session import Csrf, csrf_valid

log = logging.getLogger("mock_esia.recovery")
router = APIRouter(include_in_schema=False)

SMS_TEXT = "Код для восстановления доступа к Госуслугам: {code}. Никому не сообщайте этот код."
CONFIRM_FIELDS = {"rid": 64, "csrf": 128, "code": 64, "new_password": 256, "new_password_confirm": 256}
EXPIRED = "Срок действия кода истёк или код уже использован. Запросите новый код."


def _request_form(
    request: Request, tx: str | None, *, error: str | None = None, status: int = 200
) -> Response:
    csrf = Csrf(request)
    context = {"tx": tx, "csrf": csrf.token("recovery"), "error": error}
    return render(request, "recovery.html", context, status_code=status, csrf=csrf)


def _confirm_form(
    request: Request,
    rid: str,
    record: dict[str, object],
    *,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    csrf = Csrf(request)
    context = {
        "rid": rid,
        "csrf": csrf.token(f"recovery:{rid}"),
        "problems": problems or [],
        "verified": bool(record.get("verified")),
        "tx": record.get("tx"),
    }
    return render(request, "recovery_confirm.html", context, status_code=status, csrf=csrf)


@router.get("/recovery")
async def recovery_page(request: Request) -> Response:
    return _request_form(request, single_query(request, "tx", 128))


@router.post("/recovery")
async def recovery_start(request: Request) -> Response:
    state = state_of(request)
    try:
        form = await read_form(request, {"login": 256, "csrf": 128, "tx": 128})
    except FormError as exc:
        return form_error_page(request, exc)
    if not csrf_valid(request, "recovery", form.get("csrf")):
        return csrf_error_page(request)
    login, tx = form.get("login", "").strip(), form.get("tx") or None
    if not login:
        return _request_form(request, tx, error="Введите телефон, почту или СНИЛС", status=400)
    account = state.accounts.by_login(login)
    rid, code = secrets.token_urlsafe(24), new_code()
    record: dict[str, object] = {"oid": None, "digest": code_digest(rid, new_code()), "tx": tx}
    if account is not None and not account.blocked:
        record.update(oid=account.oid, digest=code_digest(rid, code))
        aliases = [a for a in (account.email, account.snils_digits) if a]
        state.outbox.send(phone=account.phone, text=SMS_TEXT.format(code=code), code=code, aliases=aliases)
    await state.kv.set(f"recovery:{rid}", json.dumps(record), state.settings.otp_ttl)
    return _confirm_form(request, rid, record)


async def _replace(request: Request, rid: str, account: Account, password: str, tx: str | None) -> Response:
    state = state_of(request)
    if await state.kv.get_and_delete(f"recovery:{rid}") is None:
        return error_page(request, "Код недействителен", EXPIRED)
    account.replace_password(await asyncio.to_thread(hash_password, password))
    await state.lockout.reset(account_subject(account.oid))
    log.info("password replaced by recovery", extra={"oid": account.oid})
    return render(request, "recovery_done.html", {"tx": tx})


@router.post("/recovery/confirm")
async def recovery_confirm(request: Request) -> Response:
    state = state_of(request)
    try:
        form = await read_form(request, CONFIRM_FIELDS)
    except FormError as exc:
        return form_error_page(request, exc)
    rid = form.get("rid", "")
    if not csrf_valid(request, f"recovery:{rid}", form.get("csrf")):
        return csrf_error_page(request)
    raw = await state.kv.get(f"recovery:{rid}")
    if raw is None:
        return error_page(request, "Код недействителен", EXPIRED)
    record = json.loads(raw)
    new, confirmation = form.get("new_password", ""), form.get("new_password_confirm", "")
    problems = policy_violations(new) + (["Пароли не совпадают"] if new != confirmation else [])
    if problems:
        return _confirm_form(request, rid, record, problems=problems, status=400)

    if not record.get("verified"):
        code = normalise_code(form.get("code", ""))
        if code is None:
            return _confirm_form(request, rid, record, problems=["Введите код из 6 цифр"], status=400)
        attempts = CodeAttempts(
            state.kv,
            max_failures=state.settings.max_otp_failures,
            ttl=state.settings.otp_ttl,
            namespace="recovery",
        )
        number = await attempts.reserve(rid)
        if number is None or not secrets.compare_digest(record["digest"], code_digest(rid, code)):
            if number is None or attempts.remaining(number) == 0:
                await state.kv.delete(f"recovery:{rid}")
                return error_page(request, "Превышено число попыток", "Запросите новый код.")
            problems = [f"Неверный код. Осталось попыток: {attempts.remaining(number)}"]
            return _confirm_form(request, rid, record, problems=problems, status=400)

    account = state.accounts.by_oid(record["oid"]) if record.get("oid") else None
    if account is None:  # an unknown login never gets here: its digest matches no code
        return error_page(request, "Код недействителен", EXPIRED)
    problems = await asyncio.to_thread(new_password_problems, new, confirmation, account)
    if problems:
        record["verified"] = True
        left = await state.kv.ttl(f"recovery:{rid}")
        await state.kv.set(f"recovery:{rid}", json.dumps(record), left or 1)
        return _confirm_form(request, rid, record, problems=problems, status=400)
    return await _replace(request, rid, account, new, record.get("tx"))
