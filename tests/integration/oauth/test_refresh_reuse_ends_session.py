"""A public client's refresh token reused outside its grace window ends the SSO session it came from,
auditor or not; a confidential client's reuse revokes its family only."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.refresh import RefreshReused
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.integration.oauth.conftest import Clock, login, refresh_form
from tests.support.oauth import ISSUER, WEB, TestSigner
from tests.unit.login.fakes import ListAudit
from tests.unit.login.test_session_store import DRAFT


async def no_client(client_id: str) -> Client | None:
    return None


def session_manager(sessions: SessionStore, engine: AsyncEngine) -> SessionManager:
    repository = SqlRefreshTokenRepository(engine)

    async def revoke(session_id: str, at: datetime) -> int:
        return await repository.revoke_session(session_id, reason="logout", at=at)

    auditor = Auditor(ListAudit())  # the session manager's own records; the token service has none
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    backchannel = BackchannelLogout(
        issuer=ISSUER, signer=TestSigner(), clients=no_client, auditor=auditor, http=http
    )
    return SessionManager(
        sessions=sessions, clients=no_client, revoke_session=revoke, backchannel=backchannel,
        auditor=auditor, csrf=CsrfTokens(b"k" * 32),
    )


@pytest.mark.parametrize(("wired", "public"), [(True, True), (False, True), (True, False)])
async def test_reuse_ends_the_session_without_an_auditor(
    make_service: Any, kv: KeyValueStore, engine: AsyncEngine, clock: Clock, wired: bool, public: bool
) -> None:
    sessions = SessionStore(kv, FieldCipher("k" * 32, purpose="sso-session"), idle_ttl=600, absolute_ttl=3600)
    session, cookie = await sessions.create(replace(DRAFT, created_at=int(clock()), last_seen=int(clock())))
    manager = session_manager(sessions, engine)
    end = partial(manager.end_compromised, by="refresh_reuse") if wired else None
    service: TokenService = make_service(auditor=None, end_session=end)
    first = (await login(service, kv, session_id=session.id)).refresh_token
    # the same registration as a public client would have: no grace window, so a reuse at once is a leak
    holder = replace(WEB, public=public, refresh_grace=0)
    await service.token(holder, refresh_form(first))
    with pytest.raises(RefreshReused) as reused:
        await service.token(holder, refresh_form(first), AuditContext(ip="192.0.2.7"))
    assert reused.value.revoked
    ended = wired and public
    assert reused.value.session_ended is ended
    assert (await sessions.get(cookie) is None) is ended
