from __future__ import annotations

from frmr_sso.login.outcomes import ChooseUpstream, Failure, FailurePage, Redirect
from frmr_sso.oauth import codes
from tests.support.oauth import ISSUER, SPA_REDIRECT
from tests.unit.login.fakes import CONTEXT, FakeConnector, harness, login, query, spa_request, start


async def test_start_opens_a_transaction_and_redirects_to_the_upstream() -> None:
    h = harness()
    started = await start(h)
    assert isinstance(started, Redirect)
    assert started.location.startswith("https://idp.test/esia?state=")
    call = h.connectors["esia"].calls[0]
    assert call["redirect"] == f"{ISSUER}/callback/esia"
    assert call["verifier"] is None  # ESIA: no PKCE; OIDC upstreams get one
    assert h.audit.types() == ["login.started"]


async def test_oidc_upstreams_get_a_pkce_verifier() -> None:
    h = harness(FakeConnector(name="corp", kind="oidc"))
    await start(h)
    assert h.connectors["corp"].calls[0]["verifier"]


async def test_success_issues_a_code_with_the_frmr_snapshot_and_a_session() -> None:
    h = harness()
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    assert finished.session_cookie is not None
    params = query(finished.location)
    assert finished.location.startswith(SPA_REDIRECT)
    assert params["state"] == "client-state"
    assert params["iss"] == ISSUER
    grant = await codes.redeem(h.kv, params["code"], codes.RedeemedCode("t", "jti", 0), code_ttl=60)
    assert isinstance(grant, codes.CodeGrant)
    assert grant.claims["snils"] == "112-233-445 95"
    assert grant.claims["frmr_person_id"] == "FRMR-0000001"
    assert grant.claims["frmr_organizations"][0]["oid"] == "1.2.3"
    assert grant.amr == ("pwd", "sms")
    assert grant.nonce == "client-nonce"
    assert grant.subject == h.subjects.by_oid["1000299654"].id
    success = h.audit.records[-1]
    assert success.event_type == "login.success"
    assert success.snils_masked == "***-***-445 95"
    assert success.ip == "192.0.2.1"
    assert success.request_id == "req-0001"
    assert "112-233-445" not in repr(h.audit.records)


async def test_the_code_carries_only_the_claims_of_the_granted_scope() -> None:
    h = harness()
    _, finished = await login(h, scope="openid frmr")
    assert isinstance(finished, Redirect)
    grant = await codes.redeem(
        h.kv, query(finished.location)["code"], codes.RedeemedCode("t", "jti", 0), code_ttl=60
    )
    assert isinstance(grant, codes.CodeGrant)
    assert "snils" not in grant.claims
    assert "family_name" not in grant.claims
    assert grant.claims["frmr_person_id"] == "FRMR-0000001"


async def test_the_session_serves_the_next_request_and_prompt_login_skips_it() -> None:
    h = harness()
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    reused = await h.service.authorize(
        spa_request(prompt="none"),
        session_cookie=finished.session_cookie,
        browser_cookie=None,
        context=CONTEXT,
    )
    assert isinstance(reused, Redirect)
    assert "code" in query(reused.location)
    assert h.audit.types()[-1] == "login.sso_session"
    again = await h.service.authorize(
        spa_request(prompt="login"),
        session_cookie=finished.session_cookie,
        browser_cookie=None,
        context=CONTEXT,
    )
    assert isinstance(again, Redirect)
    assert again.location.startswith("https://idp.test/")


async def test_max_age_older_than_the_login_with_prompt_none_is_login_required() -> None:
    h = harness()
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    h.clock.now += 120
    outcome = await h.service.authorize(
        spa_request(prompt="none", max_age="60"),
        session_cookie=finished.session_cookie,
        browser_cookie=None,
        context=CONTEXT,
    )
    assert isinstance(outcome, Redirect)
    assert query(outcome.location)["error"] == "login_required"


async def test_prompt_none_without_a_session_is_login_required() -> None:
    h = harness()
    outcome = await start(h, prompt="none")
    assert isinstance(outcome, Redirect)
    assert query(outcome.location) == {
        "error": "login_required",
        "error_description": "the user has to log in",
        "state": "client-state",
        "iss": ISSUER,
    }
    assert h.audit.types() == ["authorize.login_required"]


async def test_a_bad_redirect_uri_is_a_page_and_a_bad_scope_a_redirect() -> None:
    h = harness()
    page = await start(h, redirect_uri="https://evil.test/cb")
    assert isinstance(page, FailurePage)
    assert page.failure is Failure.INVALID_REQUEST
    redirected = await start(h, scope="profile")
    assert isinstance(redirected, Redirect)
    assert query(redirected.location)["error"] == "invalid_scope"
    assert h.audit.types() == ["authorize.invalid_request", "authorize.error_redirect"]


async def test_several_upstreams_without_a_hint_show_the_chooser_esia_first() -> None:
    h = harness(FakeConnector(), FakeConnector(name="corp", kind="oidc", display_name="Корпоративный вход"))
    chooser = await start(h)
    assert isinstance(chooser, ChooseUpstream)
    assert [c.name for c in chooser.choices] == ["esia", "corp"]
    hinted = await start(h, idp_hint="corp")
    assert isinstance(hinted, Redirect)
    assert hinted.location.startswith("https://idp.test/corp")


async def test_the_browser_binding_is_reused_for_parallel_logins() -> None:
    h = harness()
    first = await start(h)
    assert isinstance(first, Redirect)
    second = await start(h, browser=first.browser_cookie)
    assert isinstance(second, Redirect)
    assert second.browser_cookie == first.browser_cookie
