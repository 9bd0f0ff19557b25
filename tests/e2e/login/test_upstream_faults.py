"""Mock ESIA faults seen at the login level: the page the person gets, its status, and the audit record.

The broker's ESIA upstream is configured with a short read timeout (0.5 s) and a
breaker that opens after two outages and cools down in 3 s, so the tests run in
seconds. Faults are set at the mock (``PUT /_dev/faults``) after the person has
passed the ESIA pages, so they hit only the broker's back-channel calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
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
    SPA_ID,
    SPA_REDIRECT,
    Rig,
    assert_code_redirect,
    assert_page,
    find_link,
    id_token_claims,
    login_rig,
    query,
    start,
)

READ_TIMEOUT, LATENCY = 0.5, 3.0
BREAKER_FAILURES, COOL_DOWN = 2, 3.0
UNAVAILABLE = "ЕСИА временно недоступна"
PROTOCOL_ERROR = "Не удалось получить данные из ЕСИА"
FAILURE_EVENTS = ("login.upstream_unavailable", "login.upstream_protocol_error")


@pytest.fixture
async def faulty(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> AsyncIterator[Rig]:
    options = {
        "timeout": {"connect": 2.0, "read": READ_TIMEOUT},
        "breaker": {"failures": BREAKER_FAILURES, "window": 60.0, "cool_down": COOL_DOWN},
    }
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, esia_options=options
    ) as running:
        try:
            yield running
        finally:
            await running.clear_faults()


@dataclass
class Pending:
    """A login that passed the ESIA pages in a browser of its own; its broker callback not yet visited."""

    browser: httpx.AsyncClient
    callback: str

    async def finish(self) -> httpx.Response:
        return await self.browser.get(self.callback)


@pytest.fixture
async def pending(faulty: Rig) -> AsyncIterator[Callable[[], Awaitable[Pending]]]:
    """Logins waiting at the callback, each in a browser of its own (its own ESIA session)."""
    async with AsyncExitStack() as stack:

        async def one() -> Pending:
            browser = await stack.enter_async_context(httpx.AsyncClient(follow_redirects=False, timeout=30))
            own = replace(faulty, browser=browser)
            async with own.spa() as client:
                url, *_ = start(own, client)
            return Pending(browser, await own.esia_answer(url, DOCTOR, DOCTOR_PASSWORD))

        yield one


def failures(events: list[AuditRecord]) -> list[AuditRecord]:
    return [e for e in events if e.event_type in FAILURE_EVENTS]


def assert_unavailable(page: httpx.Response) -> int:
    """The «ЕСИА временно недоступна» page; its Retry-After, which the page also says in words."""
    assert_page(page, 503, UNAVAILABLE, "Подождите немного")
    retry_after = int(page.headers["retry-after"])
    assert retry_after >= 1
    assert f"Повторите попытку через {retry_after} с." in page.text
    retry = find_link(page.text, "Повторить вход")
    assert "/authorize?" in retry
    assert "prompt=login" in retry
    return retry_after


def assert_no_code(page: httpx.Response) -> None:
    assert "location" not in page.headers
    assert "code=" not in page.text


async def assert_one_failure(rig: Rig, page: httpx.Response, event_type: str, reason: str) -> AuditRecord:
    events = await rig.audit_events()
    assert "login.success" not in [e.event_type for e in events]
    [record] = failures(events)
    assert (record.event_type, record.details["reason"]) == (event_type, reason)
    assert record.request_id == page.headers["x-request-id"]
    assert (record.client_id, record.outcome, record.ip) == (SPA_ID, "failure", "127.0.0.1")
    assert record.details["connector"] == "esia"
    return record


async def test_esia_slower_than_the_read_timeout_is_the_unavailable_page(faulty: Rig) -> None:
    async with faulty.spa() as client:
        url, *_ = start(faulty, client)
    callback = await faulty.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    await faulty.set_faults(latency=LATENCY, scope=["te"])
    began = time.monotonic()
    page = await faulty.browser.get(callback)
    waited = time.monotonic() - began
    retry_after = assert_unavailable(page)
    assert_no_code(page)
    # 0.5 s read timeout; without it the connect + read deadline (2.5 s) or ESIA itself (3 s) would end it
    assert waited < 2.0, f"the broker waited {waited:.2f} s: the read timeout was not applied"
    record = await assert_one_failure(faulty, page, "login.upstream_unavailable", "timeout")
    assert record.details["retry_after"] == retry_after


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 500, "scope": ["te"]}, "http_500"),
        ({"status": 502, "scope": ["te"]}, "http_502"),
        ({"downtime": "503", "scope": ["te"]}, "http_503"),
        ({"downtime": "drop", "scope": ["te"]}, "connection"),
        ({"timeout": True, "hang_seconds": 10, "scope": ["te"]}, "timeout"),
        ({"status": 503, "scope": ["rs"]}, "http_503"),
        ({"status": 500, "scope": ["jwks"]}, "http_500"),
    ],
    ids=["te-500", "te-502", "te-503-downtime", "te-dropped", "te-hangs", "person-api-503", "jwks-500"],
)
async def test_esia_outage_behind_the_callback_is_the_unavailable_page(
    faulty: Rig, fault: dict[str, Any], reason: str
) -> None:
    async with faulty.spa() as client:
        url, *_ = start(faulty, client)
    callback = await faulty.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    await faulty.set_faults(**fault)
    began = time.monotonic()
    page = await faulty.browser.get(callback)
    assert time.monotonic() - began < 2 + READ_TIMEOUT + 1  # connect + read deadline, and some slack
    retry_after = assert_unavailable(page)
    assert_no_code(page)
    assert retry_after >= (30 if fault.get("downtime") == "503" else 1)  # the mock's Retry-After: 30
    record = await assert_one_failure(faulty, page, "login.upstream_unavailable", reason)
    assert record.details["retry_after"] == retry_after


@pytest.mark.parametrize(
    ("token_fault", "reason"),
    [
        ("unsigned", "unsigned_token"),
        ("wrong_key", "bad_signature"),
        ("wrong_issuer", "wrong_issuer"),
        ("wrong_audience", "wrong_audience"),
        ("expired", "expired_token"),
    ],
)
async def test_broken_esia_tokens_are_the_protocol_error_page(
    faulty: Rig, token_fault: str, reason: str
) -> None:
    async with faulty.spa() as client:
        url, *_ = start(faulty, client)
    callback = await faulty.esia_answer(url, DOCTOR, DOCTOR_PASSWORD)
    await faulty.set_faults(token=token_fault, scope=["te"])
    page = await faulty.browser.get(callback)
    assert_page(page, 502, PROTOCOL_ERROR, "сообщите в поддержку код запроса")
    assert "retry-after" not in page.headers
    assert UNAVAILABLE not in page.text
    assert_no_code(page)
    record = await assert_one_failure(faulty, page, "login.upstream_protocol_error", reason)
    assert "retry_after" not in record.details


async def test_protocol_errors_do_not_open_the_breaker(
    faulty: Rig, pending: Callable[[], Awaitable[Pending]]
) -> None:
    """ESIA that answers with bad tokens is up: more such failures than the threshold keep logins going."""
    logins = [await pending() for _ in range(BREAKER_FAILURES + 1)]
    await faulty.set_faults(token="wrong_issuer", scope=["te"])
    for login in logins:
        assert_page(await login.finish(), 502, PROTOCOL_ERROR)
    await faulty.clear_faults()
    async with faulty.spa() as client:
        url, state, *_ = start(faulty, client)
        assert_code_redirect(
            faulty, await faulty.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )


async def test_the_breaker_opens_answers_without_esia_and_closes_after_the_cool_down(
    faulty: Rig, pending: Callable[[], Awaitable[Pending]]
) -> None:
    first, second, third = [await pending() for _ in range(3)]
    await faulty.set_faults(status=500, scope=["te"])

    assert_page(await first.finish(), 503, UNAVAILABLE)
    async with faulty.spa() as client:  # one outage is below the threshold: logins still start
        url, *_ = start(faulty, client)
    still_closed = await faulty.browser.get(url)
    assert still_closed.status_code == 302
    assert still_closed.headers["location"].startswith(faulty.mock.url("/aas/oauth2/v2/ac?"))

    assert_page(await second.finish(), 503, UNAVAILABLE)  # the second opens the breaker
    await faulty.clear_faults()  # ESIA is healthy again, but the broker does not ask it yet

    async with faulty.spa() as client:
        url, *_ = start(faulty, client)
    refused = await faulty.browser.get(url)
    retry_after = assert_unavailable(refused)
    assert_no_code(refused)
    assert 1 <= retry_after <= COOL_DOWN  # the breaker's cool-down, not the mock's 30 s
    assert "frmr_sso_tx" not in refused.headers.get("set-cookie", "")

    short_circuited = await third.finish()
    assert_unavailable(short_circuited)
    assert_no_code(short_circuited)
    grant = await faulty.mock.grant(third.callback)  # the code was never sent to v3/te
    assert grant.oid == 1000299654

    events = await faulty.audit_events()
    reasons = [(e.event_type, e.details["reason"]) for e in failures(events)]
    assert reasons == [
        ("login.upstream_unavailable", "http_500"),
        ("login.upstream_unavailable", "http_500"),
        ("login.upstream_unavailable", "circuit_open"),
        ("login.upstream_unavailable", "circuit_open"),
    ]
    open_records = failures(events)[2:]
    assert open_records[0].request_id == refused.headers["x-request-id"]
    assert open_records[1].request_id == short_circuited.headers["x-request-id"]
    assert "login.success" not in [e.event_type for e in events]

    await asyncio.sleep(retry_after + 0.2)
    async with faulty.spa() as client:
        url, state, nonce, verifier = start(faulty, client)
        location = assert_code_redirect(
            faulty, await faulty.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
        token = await client.fetch_token(
            f"{faulty.broker}/token", authorization_response=location, state=state, code_verifier=verifier
        )
    claims = await id_token_claims(faulty, token["id_token"], SPA_ID, nonce)
    assert claims["frmr_person_id"] == "FRMR-0000001"
    async with faulty.spa() as client:  # closed: a fresh login (prompt=login) goes to ESIA again
        url, *_ = start(faulty, client, prompt="login")
    assert (await faulty.browser.get(url)).headers["location"].startswith(faulty.mock.url("/aas/"))


async def test_outages_reported_through_the_browser_do_not_open_the_breaker(faulty: Rig) -> None:
    """An error on the callback comes through the browser, so anyone can write one for a login they
    started. It gets the unavailable page, but only what the broker sees itself may open the breaker:
    otherwise a few forged callbacks would shut ESIA logins for everyone."""
    for _ in range(BREAKER_FAILURES + 1):
        async with faulty.spa() as client:
            url, *_ = start(faulty, client)
        to_esia = await faulty.browser.get(url)
        assert to_esia.status_code == 302
        forged = {"state": query(to_esia.headers["location"])["state"], "error": "temporarily_unavailable"}
        forged["error_description"] = "ESIA-007008: forged"
        page = await faulty.browser.get(f"{faulty.broker}/callback/esia?{urlencode(forged)}")
        assert_unavailable(page)
        assert_no_code(page)
    reasons = [e.details["reason"] for e in failures(await faulty.audit_events())]
    assert reasons == ["esia_007008"] * (BREAKER_FAILURES + 1)
    async with faulty.spa() as client:
        url, state, *_ = start(faulty, client)
        assert_code_redirect(
            faulty, await faulty.esia_login(url, DOCTOR, DOCTOR_PASSWORD), SPA_REDIRECT, state
        )
