"""A failure page about the upstream names that upstream: ESIA keeps its wording, another connector's
page carries its display name and never says ESIA or Госуслуги."""

from __future__ import annotations

import pytest

from frmr_sso.login.outcomes import Failure, FailurePage, Redirect
from frmr_sso.upstream.errors import AccountNotConfirmed, UpstreamProtocolError, UpstreamUnavailable
from frmr_sso.web.pages import FAILURE_TEXTS, UPSTREAM_TEXTS, failure_text
from tests.unit.login.fakes import CONTEXT, FakeConnector, FakeRegistry, harness, spa_request


async def fail_through(connector: FakeConnector, registry: FakeRegistry | None = None) -> FailurePage:
    h = harness(connector, registry=registry)
    started = await h.service.authorize(
        spa_request(), session_cookie=None, browser_cookie=None, context=CONTEXT
    )
    assert isinstance(started, Redirect)
    finished = await h.service.callback(
        connector.name,
        {"state": connector.calls[-1]["state"], "code": "upstream-code"},
        browser_cookie=started.browser_cookie,
        session_cookie=None,
        context=CONTEXT,
    )
    assert isinstance(finished, FailurePage)
    return finished


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (UpstreamUnavailable("down", retry_after=9), Failure.UPSTREAM_UNAVAILABLE),
        (UpstreamProtocolError("bad", reason="bad_signature"), Failure.UPSTREAM_ERROR),
        (AccountNotConfirmed("no"), Failure.NOT_CONFIRMED),
    ],
)
async def test_the_page_of_another_upstream_carries_its_display_name(
    error: Exception, failure: Failure
) -> None:
    partner = FakeConnector(name="partner", kind="oidc", display_name="Партнёр", result=error)
    page = await fail_through(partner)
    assert (page.failure, page.upstream) == (failure, "Партнёр")
    esia = await fail_through(FakeConnector(result=error))
    assert (esia.failure, esia.upstream) == (failure, None)


async def test_no_frmr_record_through_another_upstream_names_it() -> None:
    page = await fail_through(
        FakeConnector(name="partner", kind="oidc", display_name="Партнёр"), FakeRegistry()
    )
    assert (page.failure, page.upstream) == (Failure.NO_FRMR_DATA, "Партнёр")


def test_esia_texts_are_unchanged_and_other_upstreams_are_named() -> None:
    assert failure_text(Failure.UPSTREAM_UNAVAILABLE).title == "ЕСИА временно недоступна"
    assert failure_text(Failure.UPSTREAM_ERROR, None).title == "Не удалось получить данные из ЕСИА"
    for failure in Failure:
        assert failure_text(failure) is FAILURE_TEXTS[failure]
        named = failure_text(failure, "Партнёр")
        text = " ".join((named.title, named.lead, named.advice))
        if failure in UPSTREAM_TEXTS:
            assert "«Партнёр»" in text
            assert "ЕСИА" not in text
            assert "Госуслуг" not in text
        else:
            assert named is FAILURE_TEXTS[failure]  # not about the upstream: one text for all


def test_every_failure_text_that_names_esia_has_a_generic_counterpart() -> None:
    for failure, text in FAILURE_TEXTS.items():
        if failure is Failure.NO_UPSTREAM:
            continue  # no upstream at all: nothing to name
        if any(word in f"{text.title} {text.lead} {text.advice}" for word in ("ЕСИА", "Госуслуг")):
            assert failure in UPSTREAM_TEXTS, failure


def test_a_display_name_is_inserted_as_is() -> None:
    named = failure_text(Failure.UPSTREAM_ERROR, "{name} {0}")
    assert "«{name} {0}»" in named.title
