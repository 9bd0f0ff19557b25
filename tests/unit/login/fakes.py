"""In-memory doubles for the login use case: a scripted connector, registry, subjects, audit, and a
session manager whose back-channel logout posts to a mock transport (every client registered with
``BACKCHANNEL_URI``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.identity.snils import Snils
from frmr_sso.login.backchannel import BackchannelLogout
from frmr_sso.login.outcomes import Outcome, Redirect
from frmr_sso.login.service import LoginService, LoginSettings
from frmr_sso.login.session_manager import SessionManager
from frmr_sso.login.session_store import SessionStore
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.request import OAuthRequest
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.errors import StorageConflict
from frmr_sso.storage.kv.memory import MemoryKV
from frmr_sso.storage.ports import AuditRecord, LoginSubject, SubjectLink, SubjectRecord
from frmr_sso.upstream.base import ConnectorKind, UpstreamIdentity
from tests.support.oauth import ISSUER, SPA_REDIRECT, TestSigner, lookup

DOCTOR_SNILS = Snils.parse("112-233-445 95")
BACKCHANNEL_URI = "https://rp.test/backchannel"
IDENTITY = UpstreamIdentity(
    connector="esia",
    subject="1000299654",
    snils=DOCTOR_SNILS,
    trusted=True,
    trust_level="PR",
    family_name="Иванова",
    given_name="Мария",
    middle_name="Петровна",
    birthdate="1985-03-14",
    gender="female",
    auth_time=1_700_000_000,
    amr=("pwd", "sms"),
)
PERSON = FrmrPerson(
    frmr_id="FRMR-0000001",
    snils=DOCTOR_SNILS.digits,
    last_name="Иванова",
    first_name="Мария",
    middle_name="Петровна",
    gender="F",
    birth_date=date(1985, 3, 14),
    employments=(
        Employment("1.2.3", "ГКБ № 1", "109", "врач-терапевт", PositionType.MAIN, 1.0, date(2012, 9, 1)),
    ),
)


class Clock:
    def __init__(self, now: float = 1_700_000_100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeConnector:
    name: str = "esia"
    kind: ConnectorKind = "esia"
    display_name: str = "Госуслуги"
    result: UpstreamIdentity | Exception = IDENTITY
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str | None, redirect_uri: str
    ) -> str:
        self.calls.append(
            {"state": state, "nonce": nonce, "verifier": code_verifier, "redirect": redirect_uri}
        )
        return f"https://idp.test/{self.name}?state={state}"

    async def complete(
        self,
        *,
        params: Mapping[str, str],
        expected_state: str,
        nonce: str,
        code_verifier: str | None,
        redirect_uri: str,
    ) -> UpstreamIdentity:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


class FakeRegistry:
    def __init__(self, *persons: FrmrPerson) -> None:
        self.persons = {p.snils: p for p in persons}

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        return self.persons.get(snils_digits)


class FakeSubjects:
    def __init__(self) -> None:
        self.by_oid: dict[str, SubjectRecord] = {}
        self.links: dict[str, SubjectLink] = {}
        self.logins: list[str] = []
        self.conflict: StorageConflict | None = None

    async def get(self, subject_id: str) -> SubjectRecord | None:
        return next((s for s in self.by_oid.values() if s.id == subject_id), None)

    async def get_by_esia_oid(self, esia_oid: str) -> SubjectRecord | None:
        return self.by_oid.get(esia_oid)

    async def for_login(
        self, link_key: str, *, connector: str, snils_hash: str, earlier_snils_hashes: Sequence[str] = ()
    ) -> LoginSubject:
        found = await self._for_login(link_key, connector, snils_hash, earlier_snils_hashes)
        await self.touch_login(found.subject.id)
        return found

    async def _for_login(
        self, link_key: str, connector: str, snils_hash: str, earlier_snils_hashes: Sequence[str]
    ) -> LoginSubject:
        if self.conflict is not None:
            raise self.conflict
        if link_key in self.by_oid or link_key in self.links:
            found = self.by_oid.get(link_key) or await self.get(self.links[link_key].subject_id)
            assert found is not None
            if found.snils_hash in earlier_snils_hashes and found.snils_hash != snils_hash:
                found = self._store(replace(found, snils_hash=snils_hash))
            return LoginSubject(found)
        known = {snils_hash, *earlier_snils_hashes}
        holder = next((s for s in self.by_oid.values() if s.snils_hash in known), None)
        if holder is not None:
            holder = self._store(replace(holder, snils_hash=snils_hash))
            self.links[link_key] = SubjectLink(link_key, holder.id, connector, datetime.now(UTC))
            return LoginSubject(holder, linked=True)
        created = SubjectRecord(str(uuid.uuid4()), link_key, snils_hash, datetime.now(UTC), None)
        return LoginSubject(self._store(created))

    def _store(self, subject: SubjectRecord) -> SubjectRecord:
        self.by_oid[subject.esia_oid] = subject
        return subject

    async def links_of(self, subject_id: str) -> list[SubjectLink]:
        return [link for link in self.links.values() if link.subject_id == subject_id]

    async def unlink(self, subject_id: str, connector: str) -> int:
        gone = [k for k, v in self.links.items() if (v.subject_id, v.connector) == (subject_id, connector)]
        for key in gone:
            del self.links[key]
        return len(gone)

    async def touch_login(self, subject_id: str, at: datetime | None = None) -> bool:
        self.logins.append(subject_id)
        return True


class ListAudit:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> AuditRecord:
        stored = replace(record, id=len(self.records) + 1)
        self.records.append(stored)
        return stored

    def types(self) -> list[str]:
        return [r.event_type for r in self.records]


@dataclass
class Harness:
    service: LoginService
    kv: MemoryKV
    clock: Clock
    connectors: dict[str, FakeConnector]
    subjects: FakeSubjects
    audit: ListAudit
    sessions: SessionStore
    manager: SessionManager
    revoked: list[str] = field(default_factory=list)
    """Session ids whose refresh families the manager revoked."""
    logout_tokens: list[str] = field(default_factory=list)
    """Back-channel logout tokens posted to ``BACKCHANNEL_URI``."""


async def with_backchannel(client_id: str) -> Client | None:
    """The test clients, each registered with ``BACKCHANNEL_URI``."""
    found = await lookup(client_id)
    return None if found is None else replace(found, backchannel_logout_uri=BACKCHANNEL_URI)


def session_manager(
    sessions: SessionStore, auditor: Auditor, clock: Clock, revoked: list[str], tokens: list[str]
) -> SessionManager:
    async def revoke(session_id: str, at: datetime) -> int:
        revoked.append(session_id)
        return 1

    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == BACKCHANNEL_URI
        tokens.append(parse_qs(request.content.decode())["logout_token"][0])
        return httpx.Response(200)

    backchannel = BackchannelLogout(
        issuer=ISSUER, signer=TestSigner(), clients=with_backchannel, auditor=auditor,
        http=httpx.AsyncClient(transport=httpx.MockTransport(answer)), clock=clock,
    )  # fmt: skip
    return SessionManager(
        sessions=sessions, clients=lookup, revoke_session=revoke, backchannel=backchannel,
        auditor=auditor, csrf=CsrfTokens(b"c" * 32), clock=clock,
    )  # fmt: skip


def harness(*connectors: FakeConnector, registry: FakeRegistry | None = None) -> Harness:
    clock = Clock()
    kv = MemoryKV(clock=clock)
    audit, subjects = ListAudit(), FakeSubjects()
    auditor = Auditor(audit)
    sessions = SessionStore(
        kv, FieldCipher("k" * 32, purpose="sso-session"), idle_ttl=1800, absolute_ttl=36000, clock=clock
    )
    revoked: list[str] = []
    tokens: list[str] = []
    manager = session_manager(sessions, auditor, clock, revoked, tokens)
    by_name = {c.name: c for c in (connectors or (FakeConnector(),))}
    service = LoginService(
        LoginSettings(issuer=ISSUER, code_ttl=60, snils_key=b"s" * 32),
        clients=lookup,
        connectors=by_name,
        transactions=LoginTransactions(kv, ttl=600, clock=clock),
        sessions=sessions,
        session_manager=manager,
        registry=registry or FakeRegistry(PERSON),
        subjects=subjects,
        kv=kv,
        auditor=auditor,
        clock=clock,
    )
    return Harness(service, kv, clock, by_name, subjects, audit, sessions, manager, revoked, tokens)


def spa_request(**extra: str) -> OAuthRequest:
    params = {
        "client_id": "demo-spa",
        "redirect_uri": SPA_REDIRECT,
        "response_type": "code",
        "scope": "openid profile snils frmr",
        "state": "client-state",
        "nonce": "client-nonce",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return OAuthRequest.build("GET", query={k: v for k, v in params.items() if v})


CONTEXT = AuditContext(ip="192.0.2.1", user_agent="pytest", request_id="req-0001")


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def start(h: Harness, browser: str | None = None, **extra: str) -> Outcome:
    return await h.service.authorize(
        spa_request(**extra), session_cookie=None, browser_cookie=browser, context=CONTEXT
    )


async def login(h: Harness, **extra: str) -> tuple[Redirect, Outcome]:
    started = await start(h, **extra)
    assert isinstance(started, Redirect)
    assert started.browser_cookie is not None
    state = h.connectors["esia"].calls[-1]["state"]
    finished = await h.service.callback(
        "esia",
        {"state": state, "code": "upstream-code"},
        browser_cookie=started.browser_cookie,
        session_cookie=None,
        context=CONTEXT,
    )
    return started, finished
