"""The login use case with the broker's second factor, on memory stores and a fake credential store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import pytest

from frmr_sso.audit.events import Auditor
from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.login.service import LoginService
from frmr_sso.login.transaction import LoginTransactions
from frmr_sso.oauth import codes
from frmr_sso.oauth.authorization import AuthorizationRequest
from frmr_sso.second_factor import totp
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.login_step import CodeForm, LockedOut, RecoveryCodes, SecondFactorStep
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.second_factor.policy import (
    MFA_ACR,
    PendingLogins,
    SecondFactorGate,
    SecondFactorPolicy,
)
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.security.limiter import Lockout
from frmr_sso.security.lockout import LockoutPolicy
from frmr_sso.security.services import Security
from frmr_sso.storage.ports import TotpCredentialRecord
from tests.support.oauth import ISSUER, SPA
from tests.unit.login.fakes import CONTEXT, PERSON, FakeRegistry, Harness, harness, login, query, spa_request


class FakeSecondFactors:
    def __init__(self) -> None:
        self.credentials: dict[str, TotpCredentialRecord] = {}
        self.codes: dict[str, dict[str, datetime | None]] = {}

    async def get(self, subject_id: str) -> TotpCredentialRecord | None:
        return self.credentials.get(subject_id)

    async def enrol(self, credential: TotpCredentialRecord, recovery_code_hashes: Sequence[str]) -> None:
        self.credentials[credential.subject_id] = credential
        self.codes[credential.subject_id] = dict.fromkeys(recovery_code_hashes)

    async def advance_step(self, subject_id: str, step: int) -> bool:
        found = self.credentials.get(subject_id)
        if found is None or (found.last_used_step is not None and found.last_used_step >= step):
            return False
        self.credentials[subject_id] = replace(found, last_used_step=step)
        return True

    async def use_recovery_code(self, subject_id: str, code_hash: str, *, at: datetime) -> bool:
        codes = self.codes.get(subject_id, {})
        if code_hash not in codes or codes[code_hash] is not None:
            return False
        codes[code_hash] = at
        return True

    async def remaining_recovery_codes(self, subject_id: str) -> int:
        return sum(v is None for v in self.codes.get(subject_id, {}).values())

    async def replace_recovery_codes(self, subject_id: str, recovery_code_hashes: Sequence[str]) -> bool:
        if subject_id not in self.credentials:
            return False
        self.codes[subject_id] = dict.fromkeys(recovery_code_hashes)
        return True

    async def reset(self, subject_id: str) -> bool:
        self.codes.pop(subject_id, None)
        return self.credentials.pop(subject_id, None) is not None


def lockouts(h: Harness, auditor: Auditor, max_failures: int = 3) -> Security:
    """Subjects and clients locked after ``max_failures`` wrong codes, addresses after 100."""
    per_key = LockoutPolicy(max_failures=max_failures)
    return Security(
        clients=Lockout(h.kv, per_key, "c"), subjects=Lockout(h.kv, per_key, "s"),
        ips=Lockout(h.kv, LockoutPolicy(max_failures=100), "i"), auditor=auditor,
    )  # fmt: skip


def gated(
    *roles: str, passkeys_of: Callable[[Harness], Passkeys] | None = None
) -> tuple[Harness, SecondFactorStep]:
    """A login service whose policy asks registry administrators for the broker's second factor;
    ``passkeys_of``: builds the passkeys a person may also have (and use), on the harness's stores."""
    h = harness(registry=FakeRegistry(replace(PERSON, roles=roles)))
    passkeys = passkeys_of(h) if passkeys_of is not None else None
    auditor = Auditor(h.audit)
    pending = PendingLogins(
        h.kv, FieldCipher("p" * 32, purpose="second-factor-pending"), ttl=300, clock=h.clock
    )
    credentials = TotpCredentials(
        FakeSecondFactors(),
        h.kv,
        FieldCipher("t" * 32, purpose="totp"),
        recovery_key=b"r" * 32,
        clock=h.clock,
    )

    async def enrolled(subject: str) -> bool:
        return await credentials.enrolled(subject) or (
            passkeys is not None and await passkeys.enrolled(subject)
        )

    gate = SecondFactorGate(
        SecondFactorPolicy(frozenset({"registry_admin"})), pending, issuer=ISSUER, auditor=auditor,
        enrolled=enrolled,
    )  # fmt: skip
    h.service = LoginService(
        h.service.settings, clients=h.service._clients, connectors=h.connectors,
        transactions=LoginTransactions(h.kv, ttl=600, clock=h.clock), sessions=h.sessions,
        session_manager=h.manager, registry=FakeRegistry(replace(PERSON, roles=roles)), subjects=h.subjects,
        kv=h.kv, auditor=auditor, clock=h.clock, second_factor=gate,
    )  # fmt: skip
    security = lockouts(h, auditor)
    step = SecondFactorStep(
        pending=pending, credentials=credentials, security=security, clients=h.service._clients,
        complete=h.service.complete, auditor=auditor, csrf=CsrfTokens(b"c" * 32), passkeys=passkeys,
    )  # fmt: skip
    return h, step


def _req(**extra: str) -> AuthorizationRequest:
    data = {
        "client_id": "demo-spa", "redirect_uri": "x", "scope": ["openid"], "requested_scope": ["openid"],
        "state": None, "nonce": None, "code_challenge": None, "code_challenge_method": None, "prompt": [],
        "max_age": None, "acr_values": [], "idp_hint": None, **extra,
    }  # fmt: skip
    return AuthorizationRequest.from_dict(data, SPA)


def test_policy_asks_by_client_role_or_acr_values() -> None:
    policy = SecondFactorPolicy(frozenset({"registry_admin"}))
    assert not policy.required(_req(), ())
    assert policy.required(_req(), ("registry_admin",))
    assert policy.required(_req(acr_values=[MFA_ACR]), ())  # type: ignore[arg-type]
    strict = AuthorizationRequest.from_dict(_req().to_dict(), replace(SPA, require_second_factor=True))
    assert policy.required(strict, ())


async def _parked(h: Harness) -> tuple[str, str]:
    """A registry administrator's login up to the 2FA redirect: (pending id, browser cookie)."""
    started, finished = await login(h)
    assert isinstance(finished, Redirect)
    assert finished.session_cookie is None
    assert finished.location.startswith(f"{ISSUER}/login/2fa?id=")
    assert started.browser_cookie is not None
    assert finished.browser_cookie == started.browser_cookie
    return query(finished.location)["id"], started.browser_cookie


async def test_enrolment_then_code_then_session_with_mfa() -> None:
    h, step = gated("registry_admin")
    pending_id, browser = await _parked(h)
    assert "login.success" not in h.audit.types()
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is not None
    secret = page.enrolment.secret_groups.replace(" ", "")
    wrong = await step.submit(pending_id, page.csrf, "000000", browser, CONTEXT)
    assert isinstance(wrong, CodeForm)
    assert wrong.error
    shown = await step.submit(
        pending_id, page.csrf, totp.code_at(secret, totp.current_step(h.clock())), browser, CONTEXT
    )
    assert isinstance(shown, RecoveryCodes)
    assert len(shown.codes) == 10
    assert await step.page(pending_id, browser, CONTEXT) == RecoveryCodes(pending_id, page.csrf)
    done = await step.proceed(pending_id, page.csrf, browser, CONTEXT)
    assert isinstance(done, Redirect)
    assert done.session_cookie is not None
    grant = await codes.redeem(
        h.kv, query(done.location)["code"], codes.RedeemedCode("t", "jti", 0), code_ttl=60
    )
    assert isinstance(grant, codes.CodeGrant)
    assert grant.acr == MFA_ACR
    assert grant.amr == ("pwd", "sms", "otp", "mfa")  # RFC 8176: more than one factor
    assert await step.proceed(pending_id, page.csrf, browser, CONTEXT) == FailurePage(
        Failure.STALE_LOGIN, 400
    )
    assert h.audit.types()[-2:] == ["login.success", "login.stale_transaction"]
    assert [t for t in h.audit.types() if t.startswith("second_factor.")] == [
        "second_factor.required", "second_factor.enrolment_started", "second_factor.code_rejected",
        "second_factor.enrolment_confirmed",
    ]  # fmt: skip
    assert secret not in repr(h.audit.records)


async def test_another_browser_a_wrong_csrf_or_an_expired_login_finds_nothing() -> None:
    h, step = gated("registry_admin")
    pending_id, browser = await _parked(h)
    stale = FailurePage(Failure.STALE_LOGIN, 400)
    assert await step.page(pending_id, "x" * 43, CONTEXT) == stale
    assert await step.page(pending_id, None, CONTEXT) == stale
    assert await step.page("not an id", browser, CONTEXT) == stale
    assert await step.submit(pending_id, "forged", "123456", browser, CONTEXT) == stale
    assert isinstance(await step.page(pending_id, browser, CONTEXT), CodeForm)
    h.clock.now += 301
    assert await step.page(pending_id, browser, CONTEXT) == stale


async def test_the_token_of_another_pending_login_is_refused() -> None:
    h, step = gated("registry_admin")
    first_id, browser = await _parked(h)
    second_id, other_browser = await _parked(h)
    first = await step.page(first_id, browser, CONTEXT)
    second = await step.page(second_id, other_browser, CONTEXT)
    assert isinstance(first, CodeForm)
    assert isinstance(second, CodeForm)
    stale = FailurePage(Failure.STALE_LOGIN, 400)
    assert await step.submit(first_id, second.csrf, "000000", browser, CONTEXT) == stale
    assert await step.proceed(first_id, second.csrf, browser, CONTEXT) == stale
    wrong_code = await step.submit(first_id, first.csrf, "000000", browser, CONTEXT)
    assert isinstance(wrong_code, CodeForm)
    assert wrong_code.error


async def test_wrong_codes_lock_the_subject() -> None:
    h, step = gated("registry_admin")
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    results = [await step.submit(pending_id, page.csrf, "000000", browser, CONTEXT) for _ in range(4)]
    assert [type(r) for r in results] == [CodeForm, CodeForm, LockedOut, LockedOut]
    locked = results[-1]
    assert isinstance(locked, LockedOut)
    assert locked.status.minutes_left == 1
    reasons = [r.details["reason"] for r in h.audit.records if r.event_type == "second_factor.code_rejected"]
    assert reasons == ["wrong", "wrong", "wrong", "locked"]
    assert "subject.locked" in h.audit.types()


async def test_a_person_without_the_role_is_not_asked() -> None:
    h, _ = gated()
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    assert finished.session_cookie is not None
    assert "second_factor.required" not in h.audit.types()


async def test_a_person_who_enrolled_is_asked_at_every_login_whatever_the_policy() -> None:
    h, step = gated("registry_admin")
    pending_id, browser = await _parked(h)
    page = await step.page(pending_id, browser, CONTEXT)
    assert isinstance(page, CodeForm)
    assert page.enrolment is not None
    secret = page.enrolment.secret_groups.replace(" ", "")
    code = totp.code_at(secret, totp.current_step(h.clock()))
    assert isinstance(await step.submit(pending_id, page.csrf, code, browser, CONTEXT), RecoveryCodes)
    assert isinstance(await step.proceed(pending_id, page.csrf, browser, CONTEXT), Redirect)
    # The role that asked for the factor is gone; the enrolled factor is asked all the same.
    h.service._registry = FakeRegistry(replace(PERSON, roles=()))
    h.service._second_factor = replace_policy(h, frozenset())
    _, again = await login(h)
    assert isinstance(again, Redirect)
    assert again.session_cookie is None
    assert again.location.startswith(f"{ISSUER}/login/2fa?id=")
    assert h.audit.types().count("second_factor.required") == 2


def replace_policy(h: Harness, roles: frozenset[str]) -> SecondFactorGate:
    gate = h.service._second_factor
    assert gate is not None
    gate.policy = SecondFactorPolicy(roles)
    return gate


@pytest.mark.parametrize("prompt", ["", "none"])
async def test_an_sso_session_without_otp_steps_up_for_acr_values(prompt: str) -> None:
    h, _ = gated()
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    again = await h.service.authorize(
        spa_request(acr_values=MFA_ACR, prompt=prompt), session_cookie=finished.session_cookie,
        browser_cookie=None, context=CONTEXT,
    )  # fmt: skip
    assert isinstance(again, Redirect)
    if prompt == "none":
        assert query(again.location)["error"] == "interaction_required"
        assert again.browser_cookie is None
    else:
        assert again.location.startswith(f"{ISSUER}/login/2fa?id=")
        assert again.browser_cookie is not None  # a new binding for this browser
        required = h.audit.records[-1]
        assert required.event_type == "second_factor.required"
        assert required.details["step_up"] is True


def test_the_client_flag_reads_from_the_clients_file_as_a_boolean() -> None:
    from frmr_sso.oauth.client_specs import ClientSpec, ClientSpecError

    base = {"client_id": "reg", "name": "Регистр", "public": True, "redirect_uris": ["https://r.test/cb"]}
    spec = ClientSpec.from_mapping({**base, "require_second_factor": True}, label="#1").validated()
    assert spec.to_record(None).require_second_factor is True
    assert ClientSpec.from_mapping(base, label="#1").to_record(None).require_second_factor is False
    with pytest.raises(ClientSpecError, match="require_second_factor: must be true or false"):
        ClientSpec.from_mapping({**base, "require_second_factor": "yes"}, label="#1")
