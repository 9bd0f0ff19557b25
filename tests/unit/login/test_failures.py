"""Each way a login fails upstream or in the FRMR mapping: one outcome, one audit event."""

from __future__ import annotations

from dataclasses import replace

import pytest

from frmr_sso.login.mapping import snils_hash
from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.storage.errors import StorageConflict
from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamDenied,
    UpstreamFailure,
    UpstreamProtocolError,
    UpstreamSnilsInvalid,
    UpstreamUnavailable,
)
from tests.unit.login.fakes import (
    CONTEXT,
    IDENTITY,
    FakeConnector,
    FakeRegistry,
    harness,
    login,
    query,
    start,
)


@pytest.mark.parametrize(
    ("error", "failure", "status", "event"),
    [
        (
            UpstreamUnavailable("down", retry_after=30),
            Failure.UPSTREAM_UNAVAILABLE,
            503,
            "login.upstream_unavailable",
        ),
        (AccountNotConfirmed("no"), Failure.NOT_CONFIRMED, 403, "login.account_not_confirmed"),
        (
            UpstreamProtocolError("bad", reason="bad_signature"),
            Failure.UPSTREAM_ERROR,
            502,
            "login.upstream_protocol_error",
        ),
        (UpstreamSnilsInvalid("bad"), Failure.SNILS_INVALID, 403, "login.snils_invalid"),
    ],
)
async def test_upstream_failures_are_distinct_pages_and_events(
    error: UpstreamFailure, failure: Failure, status: int, event: str
) -> None:
    h = harness(FakeConnector(result=error))
    _, finished = await login(h)
    assert isinstance(finished, FailurePage)
    assert (finished.failure, finished.status) == (failure, status)
    assert h.audit.types()[-1] == event
    if isinstance(error, UpstreamUnavailable):
        assert finished.retry_after == 30


async def test_denied_at_the_upstream_is_access_denied_at_the_client() -> None:
    h = harness(FakeConnector(result=UpstreamDenied("cancelled")))
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    params = query(finished.location)
    assert params["error"] == "access_denied"
    assert params["state"] == "client-state"
    assert h.audit.types()[-1] == "login.upstream_denied"


async def test_no_frmr_record_offers_a_restart_of_the_same_request() -> None:
    h = harness(registry=FakeRegistry())
    _, finished = await login(h)
    assert isinstance(finished, FailurePage)
    assert finished.failure is Failure.NO_FRMR_DATA
    assert finished.restart_url is not None
    restart = query(finished.restart_url)
    assert restart["client_id"] == "demo-spa"
    assert restart["state"] == "client-state"
    assert restart["idp_hint"] == "esia"
    assert restart["code_challenge_method"] == "S256"
    record = h.audit.records[-1]
    assert (record.event_type, record.snils_masked) == ("login.no_frmr_record", "***-***-445 95")


async def test_an_unconfirmed_identity_is_refused_even_when_the_connector_lets_it_through() -> None:
    h = harness(FakeConnector(result=replace(IDENTITY, trusted=False)))
    _, finished = await login(h)
    assert isinstance(finished, FailurePage)
    assert finished.failure is Failure.NOT_CONFIRMED


async def test_a_second_identity_with_the_same_verified_snils_links_to_the_same_subject() -> None:
    h = harness()
    await login(h)
    first = h.subjects.by_oid[IDENTITY.subject]
    h.connectors["esia"].result = replace(IDENTITY, subject="999")
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    assert [link.subject_id for link in await h.subjects.links_of(first.id)] == [first.id]
    linked = [r for r in h.audit.records if r.event_type == "subject.linked"]
    assert [(r.subject_id, r.details["connector"], r.snils_masked) for r in linked] == [
        (first.id, "esia", "***-***-445 95")
    ]
    _, again = await login(h)  # the link is found: nothing linked twice
    assert isinstance(again, Redirect)
    assert h.audit.types().count("subject.linked") == 1


async def test_a_storage_conflict_while_mapping_is_the_conflict_page() -> None:
    h = harness()
    h.subjects.conflict = StorageConflict("raced")
    _, finished = await login(h)
    assert isinstance(finished, FailurePage)
    assert finished.failure is Failure.ACCOUNT_CONFLICT
    assert h.audit.types()[-1] == "login.subject_conflict"


async def test_a_snils_linked_before_the_secret_key_changed_links_and_is_rekeyed() -> None:
    h = harness()
    await login(h)
    first = h.subjects.by_oid[IDENTITY.subject]
    before = h.service.settings.snils_key
    h.service.settings = replace(h.service.settings, snils_key=b"n" * 32, earlier_snils_keys=(before,))
    h.connectors["esia"].result = replace(IDENTITY, subject="999")
    _, finished = await login(h)
    assert isinstance(finished, Redirect)
    again = h.subjects.by_oid[IDENTITY.subject]
    assert again.id == first.id
    assert again.snils_hash == snils_hash(IDENTITY.snils, b"n" * 32) != first.snils_hash
    assert "999" in h.subjects.links


async def test_a_callback_without_its_transaction_is_stale() -> None:
    h = harness()
    started = await start(h)
    assert isinstance(started, Redirect)
    state = h.connectors["esia"].calls[-1]["state"]
    for name, params, browser in (
        ("esia", {"state": state}, None),
        ("esia", {"state": "not-a-uuid"}, started.browser_cookie),
        ("nope", {"state": state}, started.browser_cookie),
    ):
        outcome = await h.service.callback(
            name, params, browser_cookie=browser, session_cookie=None, context=CONTEXT
        )
        assert isinstance(outcome, FailurePage)
        assert outcome.failure is Failure.STALE_LOGIN
    assert h.audit.types().count("login.stale_transaction") == 3


async def test_no_upstream_configured_is_a_page() -> None:
    h = harness()
    h.connectors.clear()
    outcome = await start(h)
    assert isinstance(outcome, FailurePage)
    assert outcome.failure is Failure.NO_UPSTREAM
    assert h.audit.types() == ["login.no_upstream"]
