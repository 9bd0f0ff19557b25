"""SessionManager: a person lists and ends their own sessions, never someone else's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import httpx

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.oauth.clients import Client
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.ports import ClientRecord
from tests.support.oauth import ISSUER, TestSigner
from tests.unit.login.fakes import ListAudit
from tests.unit.login.test_session_store import DRAFT, store

APP = Client.from_record(
    ClientRecord(client_id="app", name="Больница", backchannel_logout_uri="https://a.test/b")
)
CONTEXT = AuditContext(ip="192.0.2.1")


async def lookup(client_id: str) -> Client | None:
    return APP if client_id == "app" else None


class Harness:
    def __init__(self) -> None:
        self.sessions, self.kv, self.clock = store()
        self.audit, self.revoked, self.posted = ListAudit(), list[str](), list[str]()

        async def revoke(session_id: str, at: datetime) -> int:
            self.revoked.append(session_id)
            return 2

        def answer(request: httpx.Request) -> httpx.Response:
            self.posted.append(str(request.url))
            return httpx.Response(200)

        auditor = Auditor(self.audit)
        backchannel = BackchannelLogout(
            issuer=ISSUER,
            signer=TestSigner(),
            clients=lookup,
            auditor=auditor,
            http=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        )
        self.manager = SessionManager(
            sessions=self.sessions,
            clients=lookup,
            revoke_session=revoke,
            backchannel=backchannel,
            auditor=auditor,
            csrf=CsrfTokens(b"k" * 32),
            clock=self.clock,
        )


async def test_views_name_the_clients_and_mark_the_current_session() -> None:
    h = Harness()
    first, _ = await h.sessions.create(DRAFT)
    h.clock.now += 5
    second, _ = await h.sessions.create(DRAFT)
    await h.sessions.add_client(first.id, "app")
    await h.sessions.add_client(first.id, "gone-client")
    views = await h.manager.views("sub-1", current=second.id)
    assert [(v.id, v.current) for v in views] == [(second.id, True), (first.id, False)]
    assert [(c.client_id, c.name) for c in views[1].clients] == [
        ("app", "Больница"),
        ("gone-client", "gone-client"),
    ]
    assert views[1].to_json()["created_at"].endswith("Z")


async def test_ending_an_own_session_revokes_notifies_and_audits() -> None:
    h = Harness()
    session, cookie = await h.sessions.create(DRAFT)
    await h.sessions.add_client(session.id, "app")
    assert await h.manager.end("sub-1", session.id, CONTEXT, via="api") is True
    assert await h.sessions.get(cookie) is None
    assert h.revoked == [session.id]
    assert h.posted == ["https://a.test/b"]
    ended = [r for r in h.audit.records if r.event_type == "session.ended"]
    assert [
        (r.subject_id, r.details["session"], r.details["via"], r.details["refresh_families"]) for r in ended
    ] == [("sub-1", session.id, "api", 2)]


async def test_someone_elses_or_an_unknown_session_is_refused_and_left_alone() -> None:
    h = Harness()
    theirs, their_cookie = await h.sessions.create(replace(DRAFT, subject="sub-2"))
    for sid in (theirs.id, "00000000-0000-0000-0000-000000000000", "not-an-id"):
        assert await h.manager.end("sub-1", sid, CONTEXT, via="page") is False
    assert await h.sessions.get(their_cookie) is not None
    assert h.revoked == []
    assert h.posted == []
    assert [r.event_type for r in h.audit.records] == ["session.end_refused"] * 3


async def test_end_others_keeps_the_current_session() -> None:
    h = Harness()
    current, current_cookie = await h.sessions.create(DRAFT)
    others = [await h.sessions.create(DRAFT) for _ in range(3)]
    assert await h.manager.end_others("sub-1", current.id, CONTEXT, via="page") == 3
    assert await h.sessions.get(current_cookie) is not None
    assert all([await h.sessions.get(cookie) is None for _, cookie in others])
    assert sorted(h.revoked) == sorted(s.id for s, _ in others)
    assert [v.id for v in await h.manager.views("sub-1")] == [current.id]


def test_csrf_tokens_are_bound_to_the_session() -> None:
    h = Harness()
    token = h.manager.csrf_token("sid-1")
    assert h.manager.csrf_ok("sid-1", token)
    assert not h.manager.csrf_ok("sid-2", token)
    assert not h.manager.csrf_ok("sid-1", None)
    assert not h.manager.csrf_ok("sid-1", token[:-1] + "0" if token[-1] != "0" else token[:-1] + "1")
