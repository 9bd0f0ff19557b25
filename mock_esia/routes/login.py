"""The login form: ``GET /login?tx=…``, ``POST /login``, ``POST /login/cancel``.

``/aas/oauth2/v2/ac`` opens a transaction and sends the browser here. A live
SSO session skips the form. The password check follows the lockout's
reserve-then-verify rule (see ``mock_esia.lockout``); unknown logins get the
same answer as wrong passwords after a dummy hash check of the same cost. Next
come the forced password change and the second factor (``second_factor.py``).
This router also carries the recovery and logout pages.
"""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mock_esia import flow
from mock_esia.accounts import DUMMY_HASH, verify_password
from mock_esia.authn import Progress, Stage
from mock_esia.completion import deny, finish, stale_transaction_page
from mock_esia.lockout import LockStatus, account_subject, unknown_login_subject
from mock_esia.pages import (
    FormError,
    csrf_error_page,
    form_error_page,
    read_form,
    render,
    single_query,
    state_of,
)
from mock_esia.routes import logout, recovery, second_factor
from mock_esia.session import SESSION_COOKIE, Csrf, SsoSessions, csrf_valid

log = logging.getLogger("mock_esia.login")
router = APIRouter(include_in_schema=False)
router.include_router(second_factor.router)
router.include_router(recovery.router)
router.include_router(logout.router)

TX_MAX = 128
LOGIN_FIELDS = {"tx": TX_MAX, "csrf": 128, "login": 256, "password": 256}
WRONG_CREDENTIALS = "Неверный логин или пароль"


def login_form(
    request: Request, tx: str, *, login: str = "", error: str | None = None, status_code: int = 200
) -> Response:
    csrf = Csrf(request)
    context = {"tx": tx, "csrf": csrf.token(f"tx:{tx}"), "login": login, "error": error}
    return render(request, "login.html", context, status_code=status_code, csrf=csrf)


def locked_page(request: Request, tx: str, status: LockStatus) -> Response:
    return render(
        request,
        "locked.html",
        {"tx": tx, "minutes": status.minutes_left, "seconds": int(status.seconds_left)},
        status_code=423,
    )


@router.get("/login")
async def login_page(request: Request) -> Response:
    state = state_of(request)
    tx = single_query(request, "tx", TX_MAX)
    if tx is None or await flow.load_transaction(state.kv, tx) is None:
        return stale_transaction_page(request)
    session = await SsoSessions(state.kv).get(request.cookies.get(SESSION_COOKIE))
    account = state.accounts.by_oid(session.oid) if session else None
    if session is not None and account is not None and not account.blocked:
        return await finish(
            request, tx, account, amr=session.amr, auth_time=session.auth_time, session=session
        )
    return login_form(request, tx)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    state = state_of(request)
    try:
        form = await read_form(request, LOGIN_FIELDS)
    except FormError as exc:
        return form_error_page(request, exc)
    tx = form.get("tx", "")
    if not csrf_valid(request, f"tx:{tx}", form.get("csrf")):
        return csrf_error_page(request)
    if await flow.load_transaction(state.kv, tx) is None:
        return stale_transaction_page(request)
    login, password = form.get("login", "").strip(), form.get("password", "")
    if not login or not password:
        return login_form(request, tx, login=login, error="Введите логин и пароль", status_code=400)

    account = state.accounts.by_login(login)
    subject = account_subject(account.oid) if account else unknown_login_subject(login)
    attempt = await state.lockout.reserve(subject)
    if not attempt.allowed:
        log.info("password check refused: locked")
        return locked_page(request, tx, attempt.status)
    stored = account.password_hash if account else DUMMY_HASH
    verified = await asyncio.to_thread(verify_password, password, stored)
    if account is None or not verified:
        status = await state.lockout.failed(attempt)
        log.info("wrong login or password", extra={"attempt": attempt.number, "locked": status.locked})
        if status.locked:
            return locked_page(request, tx, status)
        return login_form(request, tx, login=login, error=WRONG_CREDENTIALS, status_code=401)
    await state.lockout.succeeded(attempt)

    if account.blocked:
        log.info("login refused: account blocked", extra={"oid": account.oid})
        return render(request, "blocked.html", {"tx": tx}, status_code=403)
    progress = Progress(oid=account.oid, stage=Stage.SECOND_FACTOR, auth_time=int(time.time()))
    if account.password_expired(state.settings.password_max_age_days):
        return await second_factor.require_password_change(request, tx, progress)
    return await second_factor.begin(request, tx, account, progress)


@router.post("/login/cancel")
async def login_cancel(request: Request) -> Response:
    try:
        form = await read_form(request, {"tx": TX_MAX, "csrf": 128})
    except FormError as exc:
        return form_error_page(request, exc)
    tx = form.get("tx", "")
    if not csrf_valid(request, f"tx:{tx}", form.get("csrf")):
        return csrf_error_page(request)
    return await deny(request, tx, reason="cancelled by the user")
