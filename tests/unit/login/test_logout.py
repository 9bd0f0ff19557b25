from __future__ import annotations

import time
from datetime import datetime

import httpx

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.logout import ConfirmLogout, LoggedOut, LogoutRefused, LogoutService, verify_id_token_hint
from frmr_sso.login.session_store import SessionStore
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.request import Params
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.kv.memory import MemoryKV
from frmr_sso.storage.ports import ClientRecord
from tests.support.oauth import ISSUER, TestSigner
from tests.unit.login.fakes import ListAudit
from tests.unit.login.test_session_store import DRAFT

APP = Client.from_record(
    ClientRecord(
        client_id="app",
        name="Больница",
        redirect_uris=("https://app.test/cb",),
        post_logout_redirect_uris=("https://app.test/bye",),
    )
)
CONTEXT = AuditContext(ip="192.0.2.1")
SIGNER = TestSigner()


async def clients(client_id: str) -> Client | None:
    return APP if client_id == "app" else None


class Harness:
    def __init__(self) -> None:
        self.kv = MemoryKV()
        self.sessions = SessionStore(
            self.kv, FieldCipher("k" * 32, purpose="sso-session"), idle_ttl=600, absolute_ttl=3600
        )
        self.revoked: list[str] = []
        self.audit = ListAudit()

        async def revoke(session_id: str, at: datetime) -> int:
            self.revoked.append(session_id)
            return 1

        self.service = LogoutService(
            issuer=ISSUER,
            clients=clients,
            sessions=self.sessions,
            key_lookup=SIGNER.key,
            revoke_session=revoke,
            auditor=Auditor(self.audit),
            csrf=CsrfTokens(b"c" * 32),
        )

    async def logout(self, method: str, cookie: str | None, **params: str) -> object:
        return await self.service.logout(method, Params(params), session_cookie=cookie, context=CONTEXT)


def id_token(sid: str | None = None, **extra: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": "sub-1",
        "aud": "app",
        "iat": now - 7200,
        "exp": now - 3600,
    }
    if sid:
        claims["sid"] = sid
    claims.update(extra)
    return SIGNER.sign(claims)


async def test_an_expired_id_token_hint_is_accepted_but_not_another_issuer_or_an_access_token() -> None:
    assert await verify_id_token_hint(id_token(), SIGNER.key, issuer=ISSUER) is not None
    assert await verify_id_token_hint(id_token(iss="https://other.test"), SIGNER.key, issuer=ISSUER) is None
    access = SIGNER.sign({"iss": ISSUER, "sub": "s", "aud": "app", "exp": 1, "iat": 1}, typ="at+jwt")
    assert await verify_id_token_hint(access, SIGNER.key, issuer=ISSUER) is None
    assert await verify_id_token_hint("not.a.jwt", SIGNER.key, issuer=ISSUER) is None


async def test_hint_logout_ends_the_session_revokes_families_and_redirects_with_state() -> None:
    h = Harness()
    session, cookie = await h.sessions.create(DRAFT)
    outcome = await h.logout(
        "GET",
        cookie,
        id_token_hint=id_token(session.id),
        post_logout_redirect_uri="https://app.test/bye",
        state="s 1",
    )
    assert outcome == LoggedOut("https://app.test/bye?state=s+1")
    assert await h.sessions.get(cookie) is None
    assert h.revoked == [session.id]
    assert h.audit.types() == ["logout.success"]


async def test_hint_sid_ends_a_session_the_browser_did_not_send() -> None:
    h = Harness()
    session, cookie = await h.sessions.create(DRAFT)
    assert await h.logout("GET", None, id_token_hint=id_token(session.id)) == LoggedOut(None)
    assert await h.sessions.get(cookie) is None


async def test_unregistered_redirect_mismatched_client_and_bad_hint_are_refused() -> None:
    h = Harness()
    _, cookie = await h.sessions.create(DRAFT)
    for params in (
        {"client_id": "app", "post_logout_redirect_uri": "https://evil.test/"},
        {"post_logout_redirect_uri": "https://app.test/bye"},  # no client to check it against
        {"id_token_hint": id_token(), "client_id": "other"},
        {"id_token_hint": "garbage"},
        {"client_id": "unknown"},
    ):
        assert isinstance(await h.logout("GET", cookie, **params), LogoutRefused)
    assert h.audit.types().count("logout.refused") == 5


async def test_a_logout_without_a_session_stores_nothing() -> None:
    """Anonymous requests (no live session, no valid hint) write no CSRF token and no audit record."""
    h = Harness()
    keys_before = dict(h.kv._data)
    assert await h.logout("GET", None) == LoggedOut(None)
    assert await h.logout("GET", "stale-cookie.value", client_id="app") == LoggedOut(None)
    registered = {"client_id": "app", "post_logout_redirect_uri": "https://app.test/bye", "state": "s"}
    bye = await h.logout("GET", None, **registered)
    assert bye == LoggedOut("https://app.test/bye?state=s")
    assert await h.logout("POST", None, csrf="anything") == LoggedOut(None)
    for params in ({"client_id": "unknown"}, {"id_token_hint": "garbage"}):
        assert isinstance(await h.logout("GET", None, **params), LogoutRefused)
    assert h.kv._data == keys_before
    assert h.audit.types() == []


async def test_without_hint_a_csrf_bound_confirmation_is_required() -> None:
    h = Harness()
    _, cookie = await h.sessions.create(DRAFT)
    confirm = await h.logout("GET", cookie, client_id="app", post_logout_redirect_uri="https://app.test/bye")
    assert isinstance(confirm, ConfirmLogout)
    assert confirm.client_name == "Больница"
    assert isinstance(await h.logout("POST", cookie, csrf="forged"), ConfirmLogout)
    _, other_cookie = await h.sessions.create(DRAFT)
    assert isinstance(await h.logout("POST", other_cookie, csrf=confirm.csrf), ConfirmLogout)  # not its own
    confirm = await h.logout("GET", cookie, client_id="app", post_logout_redirect_uri="https://app.test/bye")
    assert isinstance(confirm, ConfirmLogout)
    assert isinstance(await h.logout("GET", cookie, csrf=confirm.csrf), ConfirmLogout)  # GET never confirms
    done = await h.logout(
        "POST", cookie, csrf=confirm.csrf, client_id="app", post_logout_redirect_uri="https://app.test/bye"
    )
    assert done == LoggedOut("https://app.test/bye")
    assert await h.sessions.get(cookie) is None


async def test_an_id_token_of_another_person_asks_before_ending_this_browsers_session() -> None:
    h = Harness()
    _, cookie = await h.sessions.create(DRAFT)
    outcome = await h.logout("GET", cookie, id_token_hint=id_token(sub="someone-else"))
    assert isinstance(outcome, ConfirmLogout)
    assert await h.sessions.get(cookie) is not None


async def test_logout_sends_back_channel_tokens_to_the_clients_of_the_ended_sessions() -> None:
    h = Harness()
    posted: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append((str(request.url), request.content.decode()))
        return httpx.Response(200)

    bcl_app = Client.from_record(
        ClientRecord(client_id="bcl-app", name="RP", backchannel_logout_uri="https://rp.test/bcl")
    )

    async def lookup(client_id: str) -> Client | None:
        return {"app": APP, "bcl-app": bcl_app}.get(client_id)

    auditor = Auditor(h.audit)
    h.service = LogoutService(
        issuer=ISSUER,
        clients=lookup,
        sessions=h.sessions,
        key_lookup=SIGNER.key,
        revoke_session=h.service._revoke,
        auditor=auditor,
        csrf=CsrfTokens(b"c" * 32),
        backchannel=BackchannelLogout(
            issuer=ISSUER,
            signer=SIGNER,
            clients=lookup,
            auditor=auditor,
            http=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        ),
    )
    session, cookie = await h.sessions.create(DRAFT)
    await h.sessions.add_client(session.id, "app")
    await h.sessions.add_client(session.id, "bcl-app")
    outcome = await h.logout("GET", cookie, id_token_hint=id_token(session.id))
    assert outcome == LoggedOut(None)
    assert [url for url, _ in posted] == ["https://rp.test/bcl"]
    assert posted[0][1].startswith("logout_token=")
    assert h.audit.types() == ["logout.success", "logout.backchannel_delivered"]
    assert h.audit.records[0].details["sessions"] == [session.id]
    assert h.audit.records[0].subject_id == "sub-1"
