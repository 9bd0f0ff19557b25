"""Passkeys at the login's second-factor step: enrol the first one, sign in, lockout, clones, audit."""

from __future__ import annotations

from frmr_sso.audit.events import Auditor
from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.oauth import codes
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.ceremony import RelyingParty
from frmr_sso.second_factor.login_step import CodeForm, LockedOut, RecoveryCodes, SecondFactorStep
from frmr_sso.second_factor.passkey_login import PasskeyLoginStep
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.second_factor.policy import MFA_ACR
from tests.support.oauth import ISSUER
from tests.support.soft_authenticator import SoftAuthenticator
from tests.unit.login.fakes import CONTEXT, Harness, query
from tests.unit.second_factor.fake_passkeys import FakePasskeys
from tests.unit.second_factor.test_policy import _parked, gated

RP = RelyingParty.from_issuer(ISSUER)


def _rig() -> tuple[Harness, SecondFactorStep, PasskeyLoginStep]:
    built: list[Passkeys] = []

    def passkeys_of(h: Harness) -> Passkeys:
        built.append(Passkeys(FakePasskeys(), h.kv, RP, namespace="t", clock=h.clock))
        return built[-1]

    h, step = gated("registry_admin", passkeys_of=passkeys_of)
    login = PasskeyLoginStep(
        step=step, passkeys=built[0], security=step._security, auditor=Auditor(h.audit)
    )
    return h, step, login


async def _grant(h: Harness, done: Redirect) -> codes.CodeGrant:
    grant = await codes.redeem(
        h.kv, query(done.location)["code"], codes.RedeemedCode("t", "j", 0), code_ttl=60
    )
    assert isinstance(grant, codes.CodeGrant)
    return grant


async def _enrol_at_login(
    h: Harness, step: SecondFactorStep, login: PasskeyLoginStep, device: SoftAuthenticator
) -> None:
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is not None  # an authenticator app, or ...
    assert page.passkey is not None
    assert page.passkey.mode == "create"
    done = await login.enrol(
        pending_id, page.csrf, "Телефон", device.create(page.passkey.options_json), browser, CONTEXT
    )
    assert isinstance(done, Redirect), done
    grant = await _grant(h, done)
    assert grant.acr == MFA_ACR
    assert grant.amr == ("pwd", "sms", "hwk", "user", "mfa")


async def test_enrol_a_passkey_at_login_then_sign_in_with_it_alone() -> None:
    h, step, login = _rig()
    device = SoftAuthenticator(RP.origin)
    await _enrol_at_login(h, step, login, device)
    pending_id, browser = await _parked(h)  # the enrolled factor is asked at the next login
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is None
    assert page.totp is False  # no authenticator app: no code form
    assert page.passkey is not None
    assert page.passkey.mode == "get"
    done = await login.submit(pending_id, page.csrf, device.get(page.passkey.options_json), browser, CONTEXT)
    assert isinstance(done, Redirect)
    assert (await _grant(h, done)).amr == ("pwd", "sms", "hwk", "user", "mfa")
    events = [t for t in h.audit.types() if t.startswith("second_factor.")]
    assert events == [
        "second_factor.required", "second_factor.enrolment_started", "second_factor.passkey_enrolled",
        "second_factor.required", "second_factor.passkey_accepted",
    ]  # fmt: skip
    accepted = next(r for r in h.audit.records if r.event_type == "second_factor.passkey_accepted")
    assert accepted.details["passkey_name"] == "Телефон"
    assert device.id not in repr(h.audit.records)  # the credential id is not in the audit


async def test_a_person_with_both_may_choose_a_code_instead() -> None:
    h, step, login = _rig()
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is not None
    secret = page.enrolment.secret_groups.replace(" ", "")
    shown = await step.submit(
        pending_id, page.csrf, totp.code_at(secret, totp.current_step(h.clock())), browser, CONTEXT
    )
    assert isinstance(shown, RecoveryCodes)
    assert isinstance(await step.proceed(pending_id, page.csrf, browser, CONTEXT), Redirect)
    device = SoftAuthenticator(RP.origin)
    subject = next(r.subject_id for r in h.audit.records if r.subject_id)
    assert subject is not None
    passkeys = login._passkeys
    options = await passkeys.creation_options("account:x", subject, "x", [])
    assert (await passkeys.register("account:x", subject, "USB", device.create(options))).passkey is not None
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.totp is True
    assert page.passkey is not None
    assert page.passkey.mode == "get"
    h.clock.now += totp.INTERVAL
    done = await step.submit(
        pending_id, page.csrf, totp.code_at(secret, totp.current_step(h.clock())), browser, CONTEXT
    )
    assert isinstance(done, Redirect)
    assert (await _grant(h, done)).amr == ("pwd", "sms", "otp", "mfa")


async def test_refused_assertions_count_toward_the_lockout_like_wrong_codes() -> None:
    h, step, login = _rig()
    device = SoftAuthenticator(RP.origin)
    await _enrol_at_login(h, step, login, device)
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.passkey is not None
    empty = await login.submit(pending_id, page.csrf, " ", browser, CONTEXT)  # no script: not counted
    assert isinstance(empty, CodeForm)
    assert empty.passkey_error == "malformed"
    assert empty.passkey is not None
    page = empty
    stranger = SoftAuthenticator(RP.origin)
    outcomes = []
    for _ in range(4):
        outcomes.append(
            await login.submit(
                pending_id, page.csrf, stranger.get(page.passkey.options_json), browser, CONTEXT
            )
        )
        latest = outcomes[-1]
        if isinstance(latest, CodeForm) and latest.passkey is not None:
            page = latest
    assert [type(o) for o in outcomes] == [CodeForm, CodeForm, LockedOut, LockedOut]  # max_failures=3
    first = outcomes[0]
    assert isinstance(first, CodeForm)
    assert first.passkey_error == "unknown_credential"
    assert first.passkey is not None  # a new challenge for the next try
    reasons = [
        r.details["reason"] for r in h.audit.records if r.event_type == "second_factor.passkey_rejected"
    ]
    assert reasons == ["unknown_credential", "unknown_credential", "unknown_credential", "locked"]
    assert "subject.locked" in h.audit.types()
    # Locked: even the right passkey is not checked until the lock ends.
    assert isinstance(
        await login.submit(pending_id, page.csrf, device.get(page.passkey.options_json), browser, CONTEXT),
        LockedOut,
    )


async def test_a_cloned_authenticator_is_refused_and_audited() -> None:
    h, step, login = _rig()
    device = SoftAuthenticator(RP.origin)
    await _enrol_at_login(h, step, login, device)
    copy = device.clone()
    for answer in (device, copy):
        pending_id, browser = await _parked(h)
        page = await step.page(pending_id, browser, CONTEXT)
        assert isinstance(page, CodeForm)
        assert page.passkey is not None
        outcome = await login.submit(
            pending_id, page.csrf, answer.get(page.passkey.options_json), browser, CONTEXT
        )
    assert isinstance(outcome, CodeForm)
    assert outcome.passkey_error == "clone"
    [clone] = [r for r in h.audit.records if r.event_type == "second_factor.passkey_clone_refused"]
    assert clone.outcome == "failure"
    assert clone.details["reason"] == "clone"


async def test_stale_forms_and_a_second_enrolment_at_login_are_refused() -> None:
    h, step, login = _rig()
    device = SoftAuthenticator(RP.origin)
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.passkey is not None
    stale = FailurePage(Failure.STALE_LOGIN, 400)
    answer = device.create(page.passkey.options_json)
    assert await login.enrol(pending_id, "forged", "", answer, browser, CONTEXT) == stale
    assert await login.enrol(pending_id, page.csrf, "", answer, "x" * 43, CONTEXT) == stale
    assert await login.submit(pending_id, "forged", "{}", browser, CONTEXT) == stale
    await _enrol_at_login(h, step, login, SoftAuthenticator(RP.origin))
    # Once a factor exists, a login cannot add one without using it.
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert await login.enrol(pending_id, page.csrf, "", answer, browser, CONTEXT) == stale
