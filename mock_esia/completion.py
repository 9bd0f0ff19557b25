"""How a login ends: back to the client with a code, with an ESIA error, or on a page.

``finish`` closes the transaction with a one-time read before anything is
issued, so a double submit (or two tabs) can never mint two codes: the second
caller finds the transaction gone and gets a page. A client that requires
confirmed accounts gets ``ESIA-007055`` for any other account. The SSO session
is started (or kept) either way: the person did authenticate.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from mock_esia import flow
from mock_esia.accounts import Account
from mock_esia.authn import LoginProgress
from mock_esia.errors import EsiaError
from mock_esia.pages import error_page, redirect, state_of
from mock_esia.session import SESSION_COOKIE, SsoSession, SsoSessions, secure_cookies, set_cookie

log = logging.getLogger("mock_esia.login")

STALE_TITLE = "Запрос на вход устарел"
STALE_MESSAGE = (
    "Время на вход истекло или вход уже выполнен. Вернитесь в систему, из которой вы пришли, "
    "и начните вход заново."
)


def stale_transaction_page(request: Request) -> Response:
    return error_page(request, STALE_TITLE, STALE_MESSAGE)


async def finish(
    request: Request,
    tx: str,
    account: Account,
    *,
    amr: str,
    auth_time: int,
    session: SsoSession | None = None,
) -> Response:
    state = state_of(request)
    auth = await flow.close_transaction(state.kv, tx)
    await LoginProgress(state.kv, state.settings.transaction_ttl).drop(tx)
    if auth is None:
        return stale_transaction_page(request)
    token: str | None = None
    if session is None:
        token, session = await SsoSessions(state.kv).start(oid=account.oid, auth_time=auth_time, amr=amr)
    client = state.clients.get(auth.client_id)
    if client is not None and client.require_trusted and not account.trusted:
        log.info("login refused: account not confirmed", extra={"client_id": auth.client_id})
        response = redirect(flow.error_redirect(auth, EsiaError("ESIA-007055")))
    else:
        grant = flow.Grant(
            client_id=auth.client_id,
            redirect_uri=auth.redirect_uri,
            scope=auth.scope,
            scope_org=auth.scope_org,
            oid=account.oid,
            auth_time=auth_time,
            amr=amr,
            sid=session.sid,
            access_type=auth.access_type,
        )
        code = await flow.issue_code(state.kv, grant, state.settings.code_ttl)
        log.info("login completed", extra={"client_id": auth.client_id, "oid": account.oid, "amr": amr})
        response = redirect(flow.success_redirect(auth, code))
    if token is not None:
        set_cookie(response, SESSION_COOKIE, token, secure=secure_cookies(state.settings.base_url))
    return response


async def deny(request: Request, tx: str, *, reason: str) -> Response:
    """End the transaction and send the person back with ``access_denied`` (ESIA-007004)."""
    state = state_of(request)
    auth = await flow.close_transaction(state.kv, tx)
    await LoginProgress(state.kv, state.settings.transaction_ttl).drop(tx)
    if auth is None:
        return stale_transaction_page(request)
    log.info("login denied", extra={"client_id": auth.client_id, "reason": reason})
    return redirect(flow.error_redirect(auth, EsiaError("ESIA-007004")))
