"""The brokered login through the generic OIDC connector: hospital app (authlib) → frmr-sso → test OP.

The OP (tests/support/oidc_op.py) runs under its own uvicorn; the broker's
upstreams file names it ``type: oidc`` with the claims mapping
``{snils: person.snils, trusted: confirmed}``. The OP consents at once, so the
browser goes broker → OP → broker callback → the client's redirect URI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from frmr_sso.storage.ports import AuditRecord
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    PARTNER,
    PARTNER_NAME,
    WEB_ID,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    find_link,
    id_token_claims,
    login_rig,
    query,
    start,
)
from tests.support.oidc_op import CLIENT_ID as OP_CLIENT_ID
from tests.support.oidc_op import OpenIdProvider, OpKey, running_op
from tests.support.servers import free_port

DOCTOR_SNILS = "112-233-445 95"  # FRMR-0000001 in registry/data/demo_persons.yaml
PERSON: dict[str, Any] = {
    "sub": "partner-4711",
    "family_name": "Иванова",
    "given_name": "Мария",
    "middle_name": "Петровна",
    "birthdate": "1985-03-14",
    "gender": "female",
    "person": {"snils": DOCTOR_SNILS},
    "confirmed": True,
}
CLAIMS = {"snils": "person.snils", "trusted": "confirmed"}
SNILS_PAGE = "СНИЛС не указан или указан с ошибкой"
UNVERIFIED_PAGE = "СНИЛС не подтверждён"


@pytest.fixture
def op() -> Iterator[OpenIdProvider]:
    with running_op(OpenIdProvider(claims=dict(PERSON))) as provider:
        yield provider


@pytest.fixture
async def oidc_rig(
    migrated_database_url: str,
    redis_url: str | None,
    esia_signer: RsaSecretSigner,
    tmp_path: Path,
    op: OpenIdProvider,
) -> AsyncIterator[Rig]:
    """The OIDC upstream alone: ``/authorize`` goes straight to the OP."""
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, esia=False, op=op, op_claims=CLAIMS
    ) as running:
        yield running


@pytest.fixture
async def both_rig(
    migrated_database_url: str,
    redis_url: str | None,
    esia_signer: RsaSecretSigner,
    tmp_path: Path,
    op: OpenIdProvider,
) -> AsyncIterator[Rig]:
    """ESIA (the mock) and the OIDC upstream side by side."""
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, op=op, op_claims=CLAIMS
    ) as running:
        yield running


def failures(events: list[AuditRecord]) -> list[AuditRecord]:
    return [e for e in events if e.outcome == "failure"]


async def assert_refused(rig: Rig, page: httpx.Response, status: int, text: str) -> AuditRecord:
    """The failure page, no code for the client, and exactly one failure record naming the request."""
    assert_page(page, status, text)
    assert "location" not in page.headers
    assert "code=" not in page.text
    events = await rig.audit_events()
    assert "login.success" not in [e.event_type for e in events]
    [record] = failures(events)
    assert record.request_id == page.headers["x-request-id"]
    assert (record.client_id, record.details["connector"]) == (WEB_ID, PARTNER)
    return record


async def test_confirmed_person_logs_in_through_the_oidc_upstream(oidc_rig: Rig, op: OpenIdProvider) -> None:
    async with oidc_rig.web() as client:
        url, state, nonce, _ = start(oidc_rig, client)
        answer = await oidc_rig.oidc_login(url)
        location = assert_code_redirect(oidc_rig, answer, WEB_REDIRECT, state)
        token = await client.fetch_token(
            f"{oidc_rig.broker}/token", authorization_response=location, state=state
        )
    claims = await id_token_claims(oidc_rig, token["id_token"], WEB_ID, nonce)  # verified against /jwks
    assert claims["snils"] == DOCTOR_SNILS
    assert claims["frmr_person_id"] == "FRMR-0000001"
    assert {org["oid"] for org in claims["frmr_organizations"]} == {
        "1.2.643.5.1.13.13.12.2.77.7871",
        "1.2.643.5.1.13.13.12.2.77.8012",
    }
    assert (claims["family_name"], claims["given_name"]) == ("Иванова", "Мария")
    assert claims["sub"] != PERSON["sub"]  # the broker's own subject, not the OP's
    assert op.requests.count("token") == 1
    assert "userinfo" in op.requests
    [success] = [e for e in await oidc_rig.audit_events() if e.event_type == "login.success"]
    assert success.subject_id == claims["sub"]
    assert success.details["connector"] == PARTNER
    assert success.snils_masked == "***-***-445 95"
    info = await oidc_rig.browser.get(
        f"{oidc_rig.broker}/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert (info.json()["sub"], info.json()["frmr_person_id"]) == (claims["sub"], "FRMR-0000001")


async def test_the_same_oidc_account_is_the_same_subject_next_time(oidc_rig: Rig) -> None:
    subjects = []
    for _ in range(2):
        async with oidc_rig.web() as client:
            url, state, nonce, _ = start(oidc_rig, client, prompt="login")
            location = assert_code_redirect(oidc_rig, await oidc_rig.oidc_login(url), WEB_REDIRECT, state)
            token = await client.fetch_token(
                f"{oidc_rig.broker}/token", authorization_response=location, state=state
            )
        subjects.append((await id_token_claims(oidc_rig, token["id_token"], WEB_ID, nonce))["sub"])
    assert subjects[0] == subjects[1]


async def test_missing_snils_claim_is_the_snils_page(oidc_rig: Rig, op: OpenIdProvider) -> None:
    op.claims["person"] = {"inn": "500100732259"}
    async with oidc_rig.web() as client:
        url, *_ = start(oidc_rig, client)
    record = await assert_refused(oidc_rig, await oidc_rig.oidc_login(url), 403, SNILS_PAGE)
    assert (record.event_type, record.details["reason"]) == ("login.snils_invalid", "snils_missing")


async def test_snils_with_a_wrong_checksum_is_the_snils_page(oidc_rig: Rig, op: OpenIdProvider) -> None:
    op.claims["person"] = {"snils": "112-233-445 96"}
    async with oidc_rig.web() as client:
        url, *_ = start(oidc_rig, client)
    page = await oidc_rig.oidc_login(url)
    record = await assert_refused(oidc_rig, page, 403, SNILS_PAGE)
    assert (record.event_type, record.details["reason"]) == ("login.snils_invalid", "snils_invalid")
    assert "445 96" not in page.text
    assert record.snils_masked is None


async def test_unverified_snils_is_the_snils_not_verified_page(oidc_rig: Rig, op: OpenIdProvider) -> None:
    op.claims["confirmed"] = False
    async with oidc_rig.web() as client:
        url, *_ = start(oidc_rig, client)
    page = await oidc_rig.oidc_login(url)
    record = await assert_refused(oidc_rig, page, 403, UNVERIFIED_PAGE)
    assert record.event_type == "login.account_not_confirmed"
    assert record.details["reason"] == "snils_unverified"


@pytest.fixture
def unmapped_rig(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path,
    op: OpenIdProvider,
) -> Callable[..., AbstractAsyncContextManager[Rig]]:
    """The OIDC upstream alone, its claims mapping naming no verification claim; ``options``: entry fields."""

    def rig(**options: Any) -> AbstractAsyncContextManager[Rig]:
        return login_rig(
            migrated_database_url, redis_url, esia_signer, tmp_path, esia=False, op=op,
            op_claims={"snils": "person.snils"}, op_options=options,
        )

    return rig


@pytest.mark.parametrize("require_trusted", [True, False])
async def test_a_provider_without_a_verification_claim_is_not_trusted_by_default(
    unmapped_rig: Callable[..., AbstractAsyncContextManager[Rig]], require_trusted: bool
) -> None:
    """No ``claims.trusted`` and no ``trusted: true``: the SNILS the provider gives maps nobody."""
    async with unmapped_rig(require_trusted=require_trusted) as rig:
        async with rig.web() as client:
            url, *_ = start(rig, client)
        page = await rig.oidc_login(url)
        record = await assert_refused(rig, page, 403, UNVERIFIED_PAGE)
        assert_names_the_partner(page)
        assert record.details["reason"] == "snils_unverified"
        assert "frmr_person_id" not in page.text


async def test_trusted_true_vouches_for_every_account_of_the_provider(
    unmapped_rig: Callable[..., AbstractAsyncContextManager[Rig]],
) -> None:
    async with unmapped_rig(trusted=True) as rig:
        async with rig.web() as client:
            url, state, nonce, _ = start(rig, client)
            location = assert_code_redirect(rig, await rig.oidc_login(url), WEB_REDIRECT, state)
            token = await client.fetch_token(
                f"{rig.broker}/token", authorization_response=location, state=state
            )
        claims = await id_token_claims(rig, token["id_token"], WEB_ID, nonce)
    assert claims["frmr_person_id"] == "FRMR-0000001"


async def test_idp_hint_picks_the_oidc_upstream_next_to_esia(both_rig: Rig, op: OpenIdProvider) -> None:
    async with both_rig.web() as client:
        url, state, nonce, _ = start(both_rig, client)
        chooser = await both_rig.browser.get(url)
        assert_page(chooser, 200, "Выберите способ входа")
        assert chooser.text.index("Войти через Госуслуги") < chooser.text.index(f"Войти через {PARTNER_NAME}")
        assert find_link(chooser.text, f"Войти через {PARTNER_NAME}").endswith(f"idp_hint={PARTNER}")

        to_esia = await both_rig.browser.get(url + "&idp_hint=esia")
        assert to_esia.headers["location"].startswith(both_rig.mock.url("/aas/oauth2/v2/ac?"))
        hinted = url + f"&idp_hint={PARTNER}"
        to_op = await both_rig.browser.get(hinted)
        assert to_op.status_code == 302
        assert to_op.headers["location"].startswith(f"{op.issuer}/authorize?")
        assert query(to_op.headers["location"])["redirect_uri"] == f"{both_rig.broker}/callback/{PARTNER}"

        location = assert_code_redirect(both_rig, await both_rig.oidc_login(hinted), WEB_REDIRECT, state)
        token = await client.fetch_token(
            f"{both_rig.broker}/token", authorization_response=location, state=state
        )
    claims = await id_token_claims(both_rig, token["id_token"], WEB_ID, nonce)
    assert claims["frmr_person_id"] == "FRMR-0000001"
    [success] = [e for e in await both_rig.audit_events() if e.event_type == "login.success"]
    assert success.details["connector"] == PARTNER


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"id_token_claims": {"aud": "another-rp"}}, "wrong_audience"),
        ({"id_token_claims": {"iss": "http://evil.example"}}, "wrong_issuer"),
        ({"id_token_claims": {"nonce": "not-this-login"}}, "nonce_mismatch"),
        ({"id_token_claims": {"exp": 1_000_000}}, "expired_token"),
        ({"sign_with": "unpublished"}, "unknown_key"),
        ({"unsigned": True}, "unsigned_token"),
    ],
    ids=["aud", "iss", "nonce", "exp", "unpublished-key", "alg-none"],
)
async def test_bad_id_tokens_end_on_the_protocol_error_page(
    oidc_rig: Rig, op: OpenIdProvider, fault: dict[str, Any], reason: str
) -> None:
    if "id_token_claims" in fault:
        op.id_token_claims.update(fault["id_token_claims"])
    if "sign_with" in fault:
        op.sign_with = OpKey.generate()
    op.unsigned = bool(fault.get("unsigned"))
    async with oidc_rig.web() as client:
        url, *_ = start(oidc_rig, client)
    page = await oidc_rig.oidc_login(url)
    record = await assert_refused(oidc_rig, page, 502, "Не удалось получить данные")
    assert (record.event_type, record.details["reason"]) == ("login.upstream_protocol_error", reason)


async def test_refusal_at_the_op_is_access_denied_for_the_client(oidc_rig: Rig, op: OpenIdProvider) -> None:
    op.deny = True
    async with oidc_rig.web() as client:
        url, state, *_ = start(oidc_rig, client)
    answer = await oidc_rig.oidc_login(url)
    assert answer.status_code == 302, answer.text
    params = query(answer.headers["location"])
    assert answer.headers["location"].startswith(WEB_REDIRECT + "?")
    assert (params["error"], params["state"], params["iss"]) == ("access_denied", state, oidc_rig.broker)
    assert "code" not in params
    assert "token" not in op.requests
    [record] = failures(await oidc_rig.audit_events())
    assert (record.event_type, record.details["connector"]) == ("login.upstream_denied", PARTNER)


async def test_unreachable_op_is_the_unavailable_page_with_retry_after(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> None:
    gone = OpenIdProvider(issuer=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, esia=False, op=gone, op_claims=CLAIMS
    ) as rig:
        async with rig.web() as client:
            url, *_ = start(rig, client)
        page = await rig.browser.get(url)
        assert_page(page, 503, "временно недоступна")
        assert int(page.headers["retry-after"]) >= 1
        assert "location" not in page.headers
        [record] = failures(await rig.audit_events())
        assert (record.event_type, record.details["reason"]) == ("login.upstream_unavailable", "connection")
        assert record.request_id == page.headers["x-request-id"]


async def test_the_same_verified_snils_through_the_oidc_upstream_links_to_the_esia_subject(
    both_rig: Rig,
) -> None:
    """One broker subject per verified SNILS: the doctor's SNILS, linked to her ESIA oid, brings her
    partner account to the same ``sub``; the link is audited once and shown on her account page."""
    subs = []
    async with both_rig.web() as client:
        for hint, login in (("esia", None), (PARTNER, both_rig.oidc_login), (PARTNER, both_rig.oidc_login)):
            url, state, nonce, _ = start(both_rig, client, idp_hint=hint, prompt="login")
            answer = await (login(url) if login else both_rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD))
            location = assert_code_redirect(both_rig, answer, WEB_REDIRECT, state)
            token = await client.fetch_token(
                f"{both_rig.broker}/token", authorization_response=location, state=state
            )
            subs.append((await id_token_claims(both_rig, token["id_token"], WEB_ID, nonce))["sub"])
    assert len(set(subs)) == 1
    events = await both_rig.audit_events()
    [linked] = [e for e in events if e.event_type == "subject.linked"]
    assert (linked.subject_id, linked.details["connector"], linked.snils_masked) == (
        subs[0], PARTNER, "***-***-445 95"
    )
    assert not [e for e in events if e.event_type == "login.subject_conflict"]
    page = await both_rig.browser.get(f"{both_rig.broker}/account/sessions")
    assert_page(page, 200, "Способы входа", "Госуслуги", PARTNER_NAME)


async def error_callback(rig: Rig, op: OpenIdProvider, error: str) -> httpx.Response:
    """Start a login, then bring the broker's callback an ``error`` in the OP's name (anyone can)."""
    async with rig.web() as client:
        url, *_ = start(rig, client)
    to_op = await rig.browser.get(url)
    assert to_op.status_code == 302, to_op.text
    answer = {"state": query(to_op.headers["location"])["state"], "iss": op.issuer, "error": error}
    return await rig.browser.get(f"{rig.broker}/callback/{PARTNER}?{urlencode(answer)}")


async def test_outages_reported_through_the_browser_do_not_open_the_breaker(
    oidc_rig: Rig, op: OpenIdProvider
) -> None:
    """``error=temporarily_unavailable`` on the callback is the unavailable page, but anyone can write it
    for a login they started, so it does not count: the default breaker (5 failures) stays closed."""
    for _ in range(6):
        page = await error_callback(oidc_rig, op, "temporarily_unavailable")
        assert_page(page, 503, "временно недоступна")
    events = await oidc_rig.audit_events()
    assert [e.details["reason"] for e in failures(events)] == ["temporarily_unavailable"] * 6
    async with oidc_rig.web() as client:
        url, state, *_ = start(oidc_rig, client)
        assert_code_redirect(oidc_rig, await oidc_rig.oidc_login(url), WEB_REDIRECT, state)


def assert_names_the_partner(page: httpx.Response) -> None:
    """A page about the OIDC upstream names it, never ESIA or Госуслуги (ESIA's own pages do)."""
    assert f"«{PARTNER_NAME}»" in page.text
    assert "ЕСИА" not in page.text
    assert "Госуслуг" not in page.text


@pytest.mark.parametrize(
    ("setup", "status", "title"),
    [
        (
            {"id_token_claims": {"aud": "another-rp"}},
            502,
            f"Не удалось получить данные от службы входа «{PARTNER_NAME}»",
        ),
        ({"claims": {"person": {"inn": "500100732259"}}}, 403, SNILS_PAGE),
        ({"claims": {"confirmed": False}}, 403, UNVERIFIED_PAGE),
        ({"claims": {"person": {"snils": "123-456-789 64"}}}, 403, "В ФРМР нет данных о вас"),
    ],
    ids=["protocol-error", "no-snils", "not-confirmed", "no-frmr-record"],
)
async def test_failure_pages_name_the_oidc_upstream_not_esia(
    oidc_rig: Rig, op: OpenIdProvider, setup: dict[str, Any], status: int, title: str
) -> None:
    op.id_token_claims.update(setup.get("id_token_claims", {}))
    op.claims.update(setup.get("claims", {}))
    async with oidc_rig.web() as client:
        url, *_ = start(oidc_rig, client)
    page = await oidc_rig.oidc_login(url)
    await assert_refused(oidc_rig, page, status, title)
    assert_names_the_partner(page)


async def test_the_unavailable_page_names_the_oidc_upstream_not_esia(
    oidc_rig: Rig, op: OpenIdProvider
) -> None:
    page = await error_callback(oidc_rig, op, "temporarily_unavailable")
    assert_page(page, 503, f"Служба входа «{PARTNER_NAME}» временно недоступна")
    assert_names_the_partner(page)
    assert "Повторите попытку через" in page.text


async def test_next_to_the_oidc_upstream_esia_failures_keep_their_wording(both_rig: Rig) -> None:
    """The ESIA connector's pages are unchanged by the OIDC one beside it."""
    async with both_rig.web() as client:
        url, *_ = start(both_rig, client, idp_hint="esia")
    to_esia = await both_rig.browser.get(url)
    assert to_esia.status_code == 302, to_esia.text
    answer = {"state": query(to_esia.headers["location"])["state"], "error": "temporarily_unavailable"}
    page = await both_rig.browser.get(f"{both_rig.broker}/callback/esia?{urlencode(answer)}")
    assert_page(page, 503, "ЕСИА временно недоступна", "Госуслуги (ЕСИА) сейчас не отвечают")
    assert PARTNER_NAME not in page.text


async def log_in_and_out(rig: Rig) -> httpx.Response:
    """demo-web logs in through the OP, then logs out with its ID token as hint: the broker's answer."""
    async with rig.web() as client:
        url, state, *_ = start(rig, client)
        location = assert_code_redirect(rig, await rig.oidc_login(url), WEB_REDIRECT, state)
        token = await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
    return await rig.browser.get(
        f"{rig.broker}/logout",
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9999/"},
    )


async def test_logout_ends_the_session_at_the_op_too_with_its_id_token_as_hint(
    oidc_rig: Rig, op: OpenIdProvider
) -> None:
    op.discovery_extra["end_session_endpoint"] = f"{op.issuer}/logout?tenant=7"
    answer = await log_in_and_out(oidc_rig)
    assert answer.status_code == 302, answer.text
    to_op = answer.headers["location"]
    assert to_op.startswith(f"{op.issuer}/logout?tenant=7&")
    params = query(to_op)
    assert params["id_token_hint"] == op.issued_id_tokens[-1]  # the OP's own ID token of this login
    assert params["client_id"] == OP_CLIENT_ID
    back = await oidc_rig.browser.get(params["post_logout_redirect_uri"])  # the OP sends the browser back
    assert back.status_code == 302, back.text
    assert back.headers["location"] == "http://127.0.0.1:9999/"


async def test_without_an_end_session_endpoint_logout_goes_straight_back(oidc_rig: Rig) -> None:
    answer = await log_in_and_out(oidc_rig)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == "http://127.0.0.1:9999/"


async def test_an_unconfirmed_account_with_a_linked_snils_never_links(
    both_rig: Rig, op: OpenIdProvider
) -> None:
    async with both_rig.web() as client:
        url, state, *_ = start(both_rig, client, idp_hint="esia")
        assert_code_redirect(
            both_rig, await both_rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), WEB_REDIRECT, state
        )
        op.claims["confirmed"] = False
        url, *_ = start(both_rig, client, idp_hint=PARTNER, prompt="login")
    page = await both_rig.oidc_login(url)
    assert_page(page, 403, UNVERIFIED_PAGE)
    events = await both_rig.audit_events()
    assert not [e for e in events if e.event_type == "subject.linked"]
    assert [e.event_type for e in events].count("login.success") == 1
