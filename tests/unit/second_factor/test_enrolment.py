"""``/account/2fa`` as a use case: its forms' CSRF token is bound to the SSO session that shows them."""

from __future__ import annotations

from frmr_sso.audit.events import Auditor
from frmr_sso.second_factor.credentials import TotpCredentials
from frmr_sso.second_factor.enrolment import AccountSecondFactor, Refused
from frmr_sso.second_factor.login_step import CodeForm
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens, FormKind
from tests.unit.login.fakes import CONTEXT, Harness, harness
from tests.unit.login.test_session_store import DRAFT
from tests.unit.second_factor.test_policy import FakeSecondFactors, lockouts

CSRF = CsrfTokens(b"c" * 32)


def account(h: Harness) -> AccountSecondFactor:
    auditor = Auditor(h.audit)
    security = lockouts(h, auditor, max_failures=5)
    credentials = TotpCredentials(
        FakeSecondFactors(), h.kv, FieldCipher("t" * 32, purpose="totp"), recovery_key=b"r" * 32,
        clock=h.clock,
    )
    return AccountSecondFactor(
        sessions=h.sessions, credentials=credentials, security=security, kv=h.kv,
        sealer=FieldCipher("a" * 32, purpose="second-factor-account"), auditor=auditor, csrf=CSRF,
    )  # fmt: skip


async def test_a_token_of_another_session_is_refused_and_the_own_one_accepted() -> None:
    h = harness()
    service = account(h)
    mine, my_cookie = await h.sessions.create(DRAFT)
    theirs, their_cookie = await h.sessions.create(DRAFT)
    my_page = await service.page(my_cookie, CONTEXT)
    their_page = await service.page(their_cookie, CONTEXT)
    assert isinstance(my_page, CodeForm)
    assert isinstance(their_page, CodeForm)
    assert my_page.csrf == CSRF.issue(FormKind.ACCOUNT_SECOND_FACTOR, mine.id) != their_page.csrf
    assert await service.submit(my_cookie, their_page.csrf, "000000", CONTEXT) == Refused("stale")
    assert await service.new_recovery_codes(my_cookie, their_page.csrf, CONTEXT) == Refused("stale")
    for forged in (None, "", "forged", CSRF.issue(FormKind.ACCOUNT_SESSIONS, mine.id)):
        assert await service.submit(my_cookie, forged, "000000", CONTEXT) == Refused("stale")
    wrong_code = await service.submit(my_cookie, my_page.csrf, "000000", CONTEXT)
    assert isinstance(wrong_code, CodeForm)
    assert wrong_code.error
    assert theirs.id != mine.id
