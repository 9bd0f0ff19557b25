"""``/account/2fa/passkeys`` as a use case: its forms' CSRF token is bound to the session and form kind."""

from __future__ import annotations

from frmr_sso.audit.events import Auditor
from frmr_sso.second_factor.ceremony import RelyingParty
from frmr_sso.second_factor.enrolment import Refused
from frmr_sso.second_factor.passkey_account import AccountPasskeys, PasskeyList
from frmr_sso.second_factor.passkeys import Passkeys
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.csrf import CsrfTokens, FormKind
from tests.support.oauth import ISSUER
from tests.support.soft_authenticator import SoftAuthenticator
from tests.unit.login.fakes import CONTEXT, Harness, harness
from tests.unit.login.test_session_store import DRAFT
from tests.unit.second_factor.fake_passkeys import FakePasskeys
from tests.unit.second_factor.test_policy import lockouts

CSRF = CsrfTokens(b"c" * 32)
RP = RelyingParty.from_issuer(ISSUER)


def account(h: Harness) -> AccountPasskeys:
    auditor = Auditor(h.audit)
    passkeys = Passkeys(FakePasskeys(), h.kv, RP, namespace="t", clock=h.clock)

    async def enrolled(subject: str) -> bool:
        return await passkeys.enrolled(subject)

    return AccountPasskeys(
        sessions=h.sessions, passkeys=passkeys, security=lockouts(h, auditor), kv=h.kv,
        sealer=FieldCipher("a" * 32, purpose="second-factor-account"), auditor=auditor, csrf=CSRF,
        enrolled=enrolled,
    )  # fmt: skip


async def test_a_token_of_another_session_or_form_is_refused_and_the_own_one_adds_a_passkey() -> None:
    h = harness()
    service = account(h)
    mine, my_cookie = await h.sessions.create(DRAFT)
    _, their_cookie = await h.sessions.create(DRAFT)
    my_page = await service.page(my_cookie)
    their_page = await service.page(their_cookie)
    assert isinstance(my_page, PasskeyList)
    assert isinstance(their_page, PasskeyList)
    assert my_page.csrf == CSRF.issue(FormKind.ACCOUNT_PASSKEYS, mine.id) != their_page.csrf
    assert my_page.prompt is not None
    device = SoftAuthenticator(RP.origin)
    credential = device.create(my_page.prompt.options_json)
    other_forms = (CSRF.issue(FormKind.ACCOUNT_SECOND_FACTOR, mine.id), CSRF.issue(FormKind.CONSENT, mine.id))
    for forged in (None, "", "forged", their_page.csrf, *other_forms):
        refused = await service.add(my_cookie, forged, "Телефон", credential, CONTEXT)
        assert refused == Refused("stale")
        assert await service.remove(my_cookie, forged, "any", CONTEXT) == Refused("stale")
    added = await service.add(my_cookie, my_page.csrf, "Телефон", credential, CONTEXT)
    assert isinstance(added, PasskeyList)
    assert added.notice == "added"
    assert [p.name for p in added.passkeys] == ["Телефон"]
