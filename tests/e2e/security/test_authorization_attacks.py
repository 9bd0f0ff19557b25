"""Attacks on the authorization request and the code exchange (RFC 9700 §2.1, §4.1, §4.5, §4.8).

attack                                      answer                                   audit event
redirect_uri: path/query suffix, other port, 400 Russian page with the request id,   authorize.invalid_request
  other scheme, userinfo in the URL,         no Location, no login cookie
  trailing slash, encoded path, fragment
open redirect via an error (bad redirect_uri page, never a redirect to it          authorize.invalid_request
  and a bad response_type)
PKCE missing / plain / no method (public)   redirect: error=invalid_request, no code  authorize.error_redirect
PKCE wrong verifier at /token               400 invalid_grant; the code is burnt      token.refused
PKCE verifier missing at /token             400 invalid_request                       token.refused
PKCE downgrade (verifier, no challenge)     400 invalid_grant                         token.refused
code replay                                 400 invalid_grant; every token of the     token.refused
                                            first exchange revoked (access, refresh)
code replay in parallel                     at most one 200, others invalid_grant;   token.refused each,
                                            no token of the code works               token.code_replayed
code of another client / other redirect_uri 400 invalid_grant; code burnt             token.refused
"""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from tests.e2e.security.support import (
    OTHER,
    OTHER_ID,
    OTHER_REDIRECT,
    Broker,
    exchange,
    introspect,
    oauth_error,
    one_refusal,
    refresh,
    userinfo,
)
from tests.e2e.web.provider import SPA_ID, SPA_REDIRECT, WEB_ID, WEB_REDIRECT, grant

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
BAD_REDIRECTS = {
    "path-suffix": "http://127.0.0.1:9999/callback/evil",
    "query-suffix": "http://127.0.0.1:9999/callback?next=https://evil.example",
    "other-port": "http://127.0.0.1:9997/callback",
    "other-scheme": "https://127.0.0.1:9999/callback",
    "userinfo-host": "http://127.0.0.1:9999@evil.example/callback",
    "userinfo-prefix": "http://evil@127.0.0.1:9999/callback",
    "trailing-slash": "http://127.0.0.1:9999/callback/",
    "encoded-path": "http://127.0.0.1:9999/%63allback",
    "fragment": "http://127.0.0.1:9999/callback#evil",
    "other-host": "http://localhost:9999/callback",
}


def authorize_params(
    client_id: str = WEB_ID, redirect_uri: str = WEB_REDIRECT, **extra: str
) -> dict[str, str]:
    return {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st-8472",
        "nonce": "n-8472",
        **extra,
    }


def assert_error_page(answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "location" not in answer.headers
    assert answer.headers["x-request-id"] in answer.text
    assert "set-cookie" not in answer.headers
    assert "code=" not in answer.text


@pytest.mark.parametrize("redirect_uri", BAD_REDIRECTS.values(), ids=BAD_REDIRECTS.keys())
async def test_a_redirect_uri_that_is_not_registered_exactly_is_an_error_page(
    broker: Broker, http: httpx.AsyncClient, redirect_uri: str
) -> None:
    answer = await http.get("/authorize", params=authorize_params(redirect_uri=redirect_uri))
    assert_error_page(answer)
    await one_refusal(broker, answer, "authorize.invalid_request", error="invalid_request")


async def test_the_public_clients_loopback_port_is_fixed_too(broker: Broker, http: httpx.AsyncClient) -> None:
    """RFC 8252 port freedom is for native clients; the browser SPA is registered with its port."""
    params = authorize_params(SPA_ID, "http://127.0.0.1:9996/callback", code_challenge=CHALLENGE)
    answer = await http.get("/authorize", params={**params, "code_challenge_method": "S256"})
    assert_error_page(answer)
    await one_refusal(broker, answer, "authorize.invalid_request")


async def test_an_error_never_redirects_to_an_unregistered_uri(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    params = authorize_params(redirect_uri="https://evil.example/steal", response_type="token", scope="bogus")
    answer = await http.get("/authorize", params=params)
    assert_error_page(answer)
    await one_refusal(broker, answer, "authorize.invalid_request")


@pytest.mark.parametrize(
    "pkce",
    [
        {},
        {"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
        {"code_challenge": CHALLENGE},
        {"code_challenge": "short", "code_challenge_method": "S256"},
    ],
    ids=["missing", "plain", "no-method-means-plain", "malformed"],
)
async def test_a_public_client_without_pkce_s256_gets_an_error_and_no_code(
    broker: Broker, http: httpx.AsyncClient, pkce: dict[str, str]
) -> None:
    answer = await http.get("/authorize", params=authorize_params(SPA_ID, SPA_REDIRECT, **pkce))
    assert answer.status_code == 302, answer.text
    location = httpx.URL(answer.headers["location"])
    assert str(location).startswith(SPA_REDIRECT + "?")
    assert location.params["error"] == "invalid_request"
    assert (location.params["state"], location.params["iss"]) == ("st-8472", broker.base)
    assert "code" not in location.params
    assert "set-cookie" not in answer.headers
    await one_refusal(broker, answer, "authorize.error_redirect", error="invalid_request")


def spa_grant() -> object:
    return dataclasses.replace(
        grant(client_id=SPA_ID, redirect_uri=SPA_REDIRECT),
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
    )


async def spa_exchange(http: httpx.AsyncClient, code: str, **extra: str) -> httpx.Response:
    return await exchange(http, code, redirect_uri=SPA_REDIRECT, headers={}, client_id=SPA_ID, **extra)


async def test_a_wrong_pkce_verifier_burns_the_code(broker: Broker, http: httpx.AsyncClient) -> None:
    code = await broker.mint_code(spa_grant())  # type: ignore[arg-type]
    wrong = await spa_exchange(http, code, code_verifier="W" * 43)
    oauth_error(wrong, 400, "invalid_grant")
    await one_refusal(broker, wrong, "token.refused", endpoint="/token", grant_type="authorization_code")
    [record] = [r for r in await broker.records_of(wrong) if r.event_type == "token.refused"]
    assert record.client_id == SPA_ID
    oauth_error(await spa_exchange(http, code, code_verifier=VERIFIER), 400, "invalid_grant")


async def test_a_missing_verifier_and_a_downgrade_are_refused(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    missing = await spa_exchange(http, await broker.mint_code(spa_grant()))  # type: ignore[arg-type]
    oauth_error(missing, 400, "invalid_request")
    await one_refusal(broker, missing, "token.refused", error="invalid_request")
    downgrade = await exchange(http, await broker.mint_code(), code_verifier=VERIFIER)  # no challenge stored
    oauth_error(downgrade, 400, "invalid_grant")
    await one_refusal(broker, downgrade, "token.refused", error="invalid_grant")


async def test_a_replayed_code_revokes_everything_it_was_exchanged_for(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    code = await broker.mint_code()
    first = await exchange(http, code)
    assert first.status_code == 200, first.text
    issued = first.json()
    replay = await exchange(http, code)
    oauth_error(replay, 400, "invalid_grant")
    record = await one_refusal(broker, replay, "token.refused", error="invalid_grant")
    assert record.client_id == WEB_ID
    assert (await userinfo(http, issued["access_token"])).status_code == 401
    assert (await introspect(http, issued["access_token"])) == {"active": False}
    assert (await introspect(http, issued["refresh_token"])) == {"active": False}
    oauth_error(await refresh(http, issued["refresh_token"]), 400, "invalid_grant")


async def test_parallel_exchanges_of_one_code_leave_no_working_token(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    # the verifier remembers the secret now: a cold burst of one client's right secret is checked under
    # the lockout's reserved slots (at most LOCKOUT_MAX_FAILURES at once), and the rest get invalid_client
    assert (await exchange(http, await broker.mint_code())).status_code == 200
    code = await broker.mint_code()
    answers = await asyncio.gather(*(exchange(http, code) for _ in range(20)))
    assert {a.status_code for a in answers} <= {200, 400}, [a.text for a in answers]
    issued = [a.json() for a in answers if a.status_code == 200]
    assert len(issued) <= 1  # the first exchange answers invalid_grant when a replay overtook it
    replayed = 0
    for answer in answers:
        if answer.status_code == 400:
            assert answer.json()["error"] == "invalid_grant"
            await one_refusal(broker, answer, "token.refused")
        replayed += sum(r.event_type == "token.code_replayed" for r in await broker.records_of(answer))
    assert replayed == 19  # one redemption took the grant, every other one found its mark
    for tokens in issued:  # the racing replays revoked it
        assert (await userinfo(http, tokens["access_token"])).status_code == 401
        assert (await introspect(http, tokens["access_token"])) == {"active": False}
        assert (await introspect(http, tokens["refresh_token"])) == {"active": False}
        oauth_error(await refresh(http, tokens["refresh_token"]), 400, "invalid_grant")


async def test_a_code_of_another_client_is_burnt(broker: Broker, http: httpx.AsyncClient) -> None:
    code = await broker.mint_code()  # issued to demo-web
    stolen = await exchange(http, code, headers=OTHER, redirect_uri=OTHER_REDIRECT)
    oauth_error(stolen, 400, "invalid_grant")
    record = await one_refusal(broker, stolen, "token.refused", error="invalid_grant")
    assert record.client_id == OTHER_ID
    oauth_error(await exchange(http, code), 400, "invalid_grant")  # burnt for its owner too


async def test_a_redirect_uri_other_than_the_authorization_requests(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    answer = await exchange(http, await broker.mint_code(), redirect_uri=WEB_REDIRECT + "/")
    oauth_error(answer, 400, "invalid_grant")
    await one_refusal(broker, answer, "token.refused", error="invalid_grant")
