"""A new login in a browser that has a live SSO session ends that session like any other ending:
revoked, audited ``session.ended`` via ``replaced``, announced to its clients by back-channel logout —
for another person (a shared workstation), for the same person again, and after the second factor."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jwt

from frmr_sso.audit.events import AuditContext
from frmr_sso.identity.snils import Snils
from frmr_sso.login.outcomes import FailurePage, Redirect
from frmr_sso.login.session_manager import REPLACED
from frmr_sso.login.session_store import SsoSession, session_id_of
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.login_step import CodeForm, RecoveryCodes, SecondFactorStep
from frmr_sso.second_factor.policy import MFA_ACR
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.upstream.base import UpstreamIdentity
from frmr_sso.upstream.errors import UpstreamUnavailable
from tests.unit.login.fakes import (
    CONTEXT,
    IDENTITY,
    PERSON,
    FakeRegistry,
    Harness,
    harness,
    login,
    query,
    spa_request,
)
from tests.unit.second_factor.test_policy import gated

NURSE_SNILS = Snils.parse("345-678-901 23")
NURSE = replace(IDENTITY, subject="1000300001", snils=NURSE_SNILS, given_name="Анна")
NURSE_RECORD = replace(PERSON, frmr_id="FRMR-0000002", snils=NURSE_SNILS.digits, first_name="Анна")
ANOTHER_PERSONS_SESSION = SsoSession(
    id="", subject="someone-else", connector="esia", auth_time=1_700_000_000, created_at=0, last_seen=0,
    amr=("pwd",), claims={"snils": NURSE_SNILS.formatted},
)  # fmt: skip


def ended_records(h: Harness) -> list[AuditRecord]:
    return [r for r in h.audit.records if r.event_type == "session.ended"]


def logout_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def first_login(h: Harness) -> tuple[str, SsoSession]:
    """A login whose session has the SPA as its client: (cookie, session)."""
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    assert finished.session_cookie is not None
    session = await h.sessions.get(finished.session_cookie)
    assert session is not None
    return finished.session_cookie, session


async def login_again(
    h: Harness, cookie: str | None, identity: UpstreamIdentity | Exception = IDENTITY
) -> Redirect | FailurePage:
    """``prompt=login`` in the browser holding ``cookie``, the upstream answering ``identity``."""
    h.connectors["esia"].result = identity
    started = await h.service.authorize(
        spa_request(prompt="login"), session_cookie=cookie, browser_cookie=None, context=CONTEXT
    )
    assert isinstance(started, Redirect)
    finished = await h.service.callback(
        "esia",
        {"state": h.connectors["esia"].calls[-1]["state"], "code": "upstream-code"},
        browser_cookie=started.browser_cookie,
        session_cookie=cookie,
        context=CONTEXT,
    )
    assert isinstance(finished, Redirect | FailurePage)
    return finished


def assert_replaced(h: Harness, old: SsoSession, *, by: str, new_sid: str) -> None:
    """One ``session.ended`` for ``old`` naming the login that replaced it, its families revoked,
    one logout token for its sid."""
    [record] = ended_records(h)
    assert record.subject_id == old.subject
    assert record.outcome == "success"
    assert {k: record.details[k] for k in ("session", "by", "via", "replaced_by", "clients")} == {
        "session": old.id,
        "by": by,
        "via": REPLACED,
        "replaced_by": new_sid,
        "clients": ["demo-spa"],
    }
    assert h.revoked == [old.id]
    [token] = h.logout_tokens
    claims = logout_claims(token)
    assert (claims["sid"], claims["sub"], claims["aud"]) == (old.id, old.subject, "demo-spa")
    delivered = [r for r in h.audit.records if r.event_type == "logout.backchannel_delivered"]
    assert [(r.client_id, r.details["session"]) for r in delivered] == [("demo-spa", old.id)]


async def test_another_person_in_the_same_browser_ends_the_previous_session_everywhere() -> None:
    h = harness(registry=FakeRegistry(PERSON, NURSE_RECORD))
    cookie, doctor = await first_login(h)
    finished = await login_again(h, cookie, NURSE)
    assert isinstance(finished, Redirect)
    assert finished.session_cookie is not None
    nurse = await h.sessions.get(finished.session_cookie)
    assert nurse is not None
    assert nurse.subject != doctor.subject
    assert await h.sessions.get(cookie) is None
    assert_replaced(h, doctor, by=nurse.subject, new_sid=nurse.id)
    success = h.audit.records[-1]
    assert (success.event_type, success.subject_id) == ("login.success", nurse.subject)
    assert (success.details["session"], success.details["replaced"]) == (nurse.id, doctor.id)
    assert h.audit.types().index("session.ended") < len(h.audit.records) - 1


async def test_the_same_person_logging_in_again_ends_the_old_sid_the_same_way() -> None:
    h = harness()
    cookie, before = await first_login(h)
    finished = await login_again(h, cookie)
    assert isinstance(finished, Redirect)
    new_sid = session_id_of(finished.session_cookie)
    assert new_sid is not None
    assert new_sid != before.id
    assert await h.sessions.get(cookie) is None
    assert_replaced(h, before, by=before.subject, new_sid=new_sid)


async def test_a_cookie_with_a_wrong_secret_ends_nothing() -> None:
    h = harness()
    cookie, before = await first_login(h)
    finished = await login_again(h, f"{before.id}.not-the-secret")
    assert isinstance(finished, Redirect)
    assert await h.sessions.get(cookie) is not None
    assert (ended_records(h), h.revoked, h.logout_tokens) == ([], [], [])
    assert "replaced" not in h.audit.records[-1].details


async def test_a_login_that_fails_leaves_the_browsers_session_alone() -> None:
    h = harness()
    cookie, _ = await first_login(h)
    failed = await login_again(h, cookie, UpstreamUnavailable("down", retry_after=5))
    assert isinstance(failed, FailurePage)
    assert await h.sessions.get(cookie) is not None
    assert (ended_records(h), h.revoked, h.logout_tokens) == ([], [], [])


async def test_end_replaced_of_a_session_no_longer_live_does_nothing() -> None:
    h = harness()
    cookie, before = await first_login(h)
    new, _ = await h.sessions.create(replace(before, id=""))
    context = AuditContext(ip="192.0.2.9")
    assert await h.manager.end_replaced(new.id, new, context) is None  # never the new session itself
    assert await h.manager.end_replaced("00000000-0000-0000-0000-000000000000", new, context) is None
    assert await h.sessions.end(cookie) is not None  # ended elsewhere meanwhile
    assert await h.manager.end_replaced(before.id, new, context) is None
    assert (ended_records(h), h.revoked, h.logout_tokens) == ([], [], [])


async def finish_enrolment(h: Harness, step: SecondFactorStep, location: str, browser: str) -> Redirect:
    pending_id = query(location)["id"]
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is not None
    secret = page.enrolment.secret_groups.replace(" ", "")
    code = totp.code_at(secret, totp.current_step(h.clock()))
    shown = await step.submit(pending_id, page.csrf, code, browser, CONTEXT)
    assert isinstance(shown, RecoveryCodes)
    done = await step.proceed(pending_id, page.csrf, browser, CONTEXT)
    assert isinstance(done, Redirect)
    assert done.session_cookie is not None
    return done


async def test_a_login_with_the_second_factor_ends_the_previous_session_once_the_code_is_right() -> None:
    h, step = gated("registry_admin")
    previous, cookie = await h.sessions.create(ANOTHER_PERSONS_SESSION)
    await h.sessions.add_client(previous.id, "demo-spa")
    parked = await login_again(h, cookie)
    assert isinstance(parked, Redirect)
    assert parked.browser_cookie is not None
    assert "/login/2fa?id=" in parked.location
    assert await h.sessions.peek(previous.id) is not None  # not before the code
    assert (ended_records(h), h.revoked, h.logout_tokens) == ([], [], [])
    done = await finish_enrolment(h, step, parked.location, parked.browser_cookie)
    new = await h.sessions.get(done.session_cookie)
    assert new is not None
    assert new.acr == MFA_ACR
    assert await h.sessions.get(cookie) is None
    assert_replaced(h, previous, by=new.subject, new_sid=new.id)
    assert h.audit.records[-1].details["replaced"] == previous.id


async def test_a_step_up_ends_the_session_it_replaces_the_same_way() -> None:
    h, step = gated()
    cookie, before = await first_login(h)
    parked = await h.service.authorize(
        spa_request(acr_values=MFA_ACR), session_cookie=cookie, browser_cookie=None, context=CONTEXT
    )
    assert isinstance(parked, Redirect)
    assert parked.browser_cookie is not None
    assert await h.sessions.peek(before.id) is not None
    done = await finish_enrolment(h, step, parked.location, parked.browser_cookie)
    new_sid = session_id_of(done.session_cookie)
    assert new_sid is not None
    assert await h.sessions.get(cookie) is None
    assert_replaced(h, before, by=before.subject, new_sid=new_sid)
