"""How ESIA's error answers (callback and token endpoint) become our error classes."""

from __future__ import annotations

import httpx
import pytest

from frmr_sso.upstream.base import new_state
from frmr_sso.upstream.breaker import BreakerState
from frmr_sso.upstream.errors import (
    AccountNotConfirmed,
    UpstreamDenied,
    UpstreamFailure,
    UpstreamProtocolError,
    UpstreamUnavailable,
)
from frmr_sso.upstream.esia import EsiaConnector
from tests.unit.upstream.scripted_esia import REDIRECT, ScriptedEsia, complete


@pytest.mark.parametrize(
    ("params", "error", "reason"),
    [
        (
            {"error": "access_denied", "error_description": "ESIA-007004: Владелец ресурса отказал"},
            UpstreamDenied,
            "access_denied",
        ),
        ({"error": "access_denied"}, UpstreamDenied, "access_denied"),
        (
            {"error": "access_denied", "error_description": "ESIA-007055: Вход с неподтвержденной"},
            AccountNotConfirmed,
            "account_not_confirmed",
        ),
        (
            {"error": "temporarily_unavailable", "error_description": "ESIA-007008: нагрузка"},
            UpstreamUnavailable,
            "esia_007008",
        ),
        (
            {"error": "server_error", "error_description": "ESIA-007007: ошибка"},
            UpstreamUnavailable,
            "esia_007007",
        ),
        (
            {"error": "invalid_scope", "error_description": "ESIA-007006: scope"},
            UpstreamProtocolError,
            "esia_007006",
        ),
        (
            {"error": "invalid_request", "error_description": "ESIA-007053: secret"},
            UpstreamProtocolError,
            "client_rejected",
        ),
        ({"error": "<script>", "error_description": "ESIA-999999: ???"}, UpstreamProtocolError, "esia_error"),
        ({"code": ""}, UpstreamProtocolError, "missing_code"),
    ],
)
async def test_callback_errors(
    connector: EsiaConnector,
    esia: ScriptedEsia,
    params: dict[str, str],
    error: type[UpstreamFailure],
    reason: str,
) -> None:
    with pytest.raises(error) as caught:
        await complete(connector, **params)
    assert caught.value.reason == reason
    assert "<script>" not in str(caught.value)
    assert esia.forms == []  # no token request after an error


async def test_callback_outages_do_not_open_the_breaker(connector: EsiaConnector) -> None:
    """The callback's error comes through the browser, so anyone can forge one: it never counts."""
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await complete(connector, error="temporarily_unavailable", error_description="ESIA-007008: x")
    assert connector.breaker.state is BreakerState.CLOSED


async def test_callback_state(connector: EsiaConnector, esia: ScriptedEsia) -> None:
    for params in (
        {"state": new_state(), "code": "c"},
        {"code": "c"},
        {"state": new_state(), "error": "access_denied"},
    ):
        with pytest.raises(UpstreamProtocolError) as caught:
            await connector.complete(
                params=params,
                expected_state=new_state(),
                nonce="n",
                code_verifier=None,
                redirect_uri=REDIRECT,
            )
        assert caught.value.reason == "state_mismatch"
    assert esia.forms == []


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        (
            httpx.Response(400, json={"error": "invalid_grant", "error_description": "ESIA-007011: x"}),
            UpstreamProtocolError,
            "invalid_grant",
        ),
        (
            httpx.Response(400, json={"error": "invalid_request", "error_description": "ESIA-007015: time"}),
            UpstreamProtocolError,
            "request_time",
        ),
        (
            httpx.Response(
                400, json={"error": "temporarily_unavailable", "error_description": "ESIA-007008: x"}
            ),
            UpstreamUnavailable,
            "esia_007008",
        ),
        (httpx.Response(400, text="<html>"), UpstreamProtocolError, "esia_error"),
        (httpx.Response(200, text="<html>"), UpstreamProtocolError, "malformed_response"),
        (httpx.Response(200, json=["a"]), UpstreamProtocolError, "malformed_response"),
    ],
)
async def test_token_endpoint_answers(
    connector: EsiaConnector,
    esia: ScriptedEsia,
    answer: httpx.Response,
    error: type[UpstreamFailure],
    reason: str,
) -> None:
    esia.token_answer = answer
    with pytest.raises(error) as caught:
        await complete(connector)
    assert caught.value.reason == reason
