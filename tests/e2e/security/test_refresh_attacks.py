"""Refresh-token attacks (RFC 9700 §4.14; RFC 6749 §6, §10.4) over real HTTP, both store backends.

attack                                          answer                             state after it
refresh token of another client                 400 invalid_grant, token.refused   the owner's token rotates
reuse of a rotated token (its child used)       400 invalid_grant, token.refused   the family revoked
parallel refreshes of one token (grace window)  every answer 200, one child        the family alive
parallel reuse outside the grace window         every answer 400 invalid_grant     the family revoked
wrong client secret with a valid refresh token  401 invalid_client, token.refused  the token still rotates
"""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.security.support import (
    OTHER,
    OTHER_ID,
    WEB,
    Broker,
    introspect,
    oauth_error,
    one_refusal,
    refresh,
    tokens,
    userinfo,
)
from tests.e2e.web.provider import WEB_ID, basic


async def test_a_refresh_token_of_another_client_is_refused_and_stays_the_owners(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    issued = await tokens(broker, http)
    stolen = await refresh(http, issued["refresh_token"], headers=OTHER)
    oauth_error(stolen, 400, "invalid_grant")
    record = await one_refusal(broker, stolen, "token.refused", grant_type="refresh_token")
    assert record.client_id == OTHER_ID
    assert (await refresh(http, issued["refresh_token"])).status_code == 200


async def test_reuse_of_a_rotated_token_revokes_the_family(broker: Broker, http: httpx.AsyncClient) -> None:
    first = (await tokens(broker, http))["refresh_token"]
    second = (await refresh(http, first)).json()["refresh_token"]
    third = (await refresh(http, second)).json()
    reuse = await refresh(http, first)  # its child is used: no grace, it leaked
    oauth_error(reuse, 400, "invalid_grant")
    record = await one_refusal(broker, reuse, "token.refused", grant_type="refresh_token")
    assert record.client_id == WEB_ID
    assert await introspect(http, third["refresh_token"]) == {"active": False}
    oauth_error(await refresh(http, third["refresh_token"]), 400, "invalid_grant")
    assert (await userinfo(http, third["access_token"])).status_code == 200  # short-lived, not a refresh


async def test_parallel_refreshes_in_the_grace_window_share_one_child(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    token = (await tokens(broker, http))["refresh_token"]
    answers = await asyncio.gather(*(refresh(http, token) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    children = {a.json()["refresh_token"] for a in answers}
    assert len(children) == 1
    [child] = children
    assert (await introspect(http, child))["active"] is True
    assert (await refresh(http, child)).status_code == 200


async def test_parallel_reuse_outside_the_grace_window_revokes_once(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    first = (await tokens(broker, http))["refresh_token"]
    second = (await refresh(http, first)).json()["refresh_token"]
    third = (await refresh(http, second)).json()["refresh_token"]
    answers = await asyncio.gather(*(refresh(http, first) for _ in range(6)))
    assert {a.status_code for a in answers} == {400}
    assert {a.json()["error"] for a in answers} == {"invalid_grant"}
    assert await introspect(http, third) == {"active": False}


async def test_a_wrong_secret_does_not_spend_the_refresh_token(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    token = (await tokens(broker, http))["refresh_token"]
    wrong = await refresh(http, token, headers=basic(WEB_ID, "not-the-secret"))
    oauth_error(wrong, 401, "invalid_client")
    record = await one_refusal(broker, wrong, "token.refused", error="invalid_client")
    assert record.client_id == WEB_ID
    assert (await introspect(http, token))["active"] is True
    assert (await refresh(http, token, headers=WEB)).status_code == 200
