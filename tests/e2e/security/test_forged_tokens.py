"""Forged and bent JWTs at every endpoint that takes the broker's own tokens (RFC 9700 §4, RFC 8725).

Each forgery is made from a real token of the broker (``support.forgeries``):

attack                          /userinfo, admin and audit APIs           /introspect     /revoke
alg none (with and without kid) 401 invalid_token, token.bearer_refused   active: false   200, no effect
HS256 keyed with the broker's   401 invalid_token, audit alg=HS256        active: false   200, no effect
  published RSA key
unknown kid, foreign key        401 invalid_token, audit                  active: false   200, no effect
known kid, foreign key          401 invalid_token, audit                  active: false   200, no effect
payload changed                 401 invalid_token, audit                  active: false   200, no effect
wrong iss (our key)             401 invalid_token, audit                  active: false   200, no effect
wrong aud (our key)             401 invalid_token, audit                  active (1)      -
expired, nbf/iat in the future  401 invalid_token, audit                  active: false   -

(1) RFC 7662 leaves the audience to the resource server; the broker never issues such a token.

``/introspect`` answers RFC 7662 §2.2 ``active: false`` and ``/revoke`` RFC 7009 §2.2 200 by
design: an authenticated resource server asking about an expired token is routine, not an
attack, so neither writes a record. A forged ``id_token_hint`` at ``/logout`` is in
test_login_attacks.py (it needs a real session). After every attack the real token still works.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.security.support import (
    ADMIN,
    AUDITOR,
    WEB,
    Broker,
    introspect,
    one_refusal,
    parts,
    tokens,
    userinfo,
)
from tests.support.log_capture import remember

ATTACKS = [
    "alg-none",
    "alg-none-no-kid",
    "hs256-with-the-public-key",
    "unknown-kid",
    "known-kid-foreign-key",
    "payload-changed",
    "wrong-iss",
    "wrong-aud",
    "expired",
    "nbf-in-the-future",
    "iat-in-the-future",
]


async def jwks(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/jwks")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def user_token(broker: Broker, http: httpx.AsyncClient) -> str:
    token: str = (await tokens(broker, http))["access_token"]
    return token


async def service_token(http: httpx.AsyncClient, scope: str, headers: dict[str, str]) -> str:
    answer = await http.post(
        "/token", data={"grant_type": "client_credentials", "scope": scope}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    remember(token)
    return token


@pytest.fixture
async def admin_token(http: httpx.AsyncClient) -> str:
    return await service_token(http, "admin", ADMIN)


@pytest.fixture
async def auditor_token(http: httpx.AsyncClient) -> str:
    return await service_token(http, "audit.read", AUDITOR)


@pytest.mark.parametrize("attack", ATTACKS)
async def test_userinfo_refuses_the_forgery_and_audits_it(
    broker: Broker, http: httpx.AsyncClient, user_token: str, attack: str
) -> None:
    forged = (await _forgeries(broker, http, user_token))[attack]
    answer = await userinfo(http, forged)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_token"
    assert answer.headers["www-authenticate"].startswith('Bearer realm="frmr-sso", error="invalid_token"')
    record = await one_refusal(
        broker, answer, "token.bearer_refused", endpoint="/userinfo", error="invalid_token"
    )
    assert record.details["alg"] == parts(forged)[0]["alg"]
    assert (await userinfo(http, user_token)).status_code == 200  # the real token is untouched


@pytest.mark.parametrize("attack", ATTACKS)
async def test_the_admin_api_refuses_the_forgery_and_audits_it(
    broker: Broker, http: httpx.AsyncClient, admin_token: str, attack: str
) -> None:
    forged = (await _forgeries(broker, http, admin_token))[attack]
    answer = await http.post(
        "/api/v1/admin/unlock", json={"client": "demo-web"}, headers={"Authorization": f"Bearer {forged}"}
    )
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["error"] == "invalid_token"
    await one_refusal(broker, answer, "token.bearer_refused", endpoint="/api/v1/admin/unlock")
    assert not [r for r in await broker.audit() if r.event_type == "client.unlocked"]  # nothing was done


@pytest.mark.parametrize("attack", ATTACKS)
async def test_the_audit_api_refuses_the_forgery_and_audits_it(
    broker: Broker, http: httpx.AsyncClient, auditor_token: str, attack: str
) -> None:
    forged = (await _forgeries(broker, http, auditor_token))[attack]
    answer = await http.get("/api/v1/audit/events", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    await one_refusal(broker, answer, "token.bearer_refused", endpoint="/api/v1/audit/events")
    real = await http.get("/api/v1/audit/events", headers={"Authorization": f"Bearer {auditor_token}"})
    assert real.status_code == 200, real.text


async def test_introspection_calls_every_forgery_inactive(
    broker: Broker, http: httpx.AsyncClient, user_token: str
) -> None:
    for attack, forged in (await _forgeries(broker, http, user_token)).items():
        body = await introspect(http, forged)
        if attack == "wrong-aud":  # RFC 7662: the resource server checks the audience it is
            assert body["active"] is True
            assert body["aud"] == "https://other-api.example"
            continue
        assert body == {"active": False}, attack
    assert (await introspect(http, user_token))["active"] is True


async def test_revoking_a_forgery_does_not_revoke_the_real_token(
    broker: Broker, http: httpx.AsyncClient, user_token: str
) -> None:
    for attack, forged in (await _forgeries(broker, http, user_token)).items():
        if attack in ("wrong-aud", "expired", "nbf-in-the-future", "iat-in-the-future"):
            continue  # ours, with the real jti: revoking those is revoking the token, not an attack
        answer = await http.post("/revoke", data={"token": forged}, headers=WEB)
        assert answer.status_code == 200, (attack, answer.text)
        assert (await userinfo(http, user_token)).status_code == 200, attack
    assert (await introspect(http, user_token))["active"] is True


async def test_a_token_in_the_query_is_refused_and_audited(
    broker: Broker, http: httpx.AsyncClient, user_token: str
) -> None:
    answer = await http.get("/userinfo", params={"access_token": user_token})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    await one_refusal(broker, answer, "token.bearer_refused", error="invalid_request")


async def test_no_token_at_all_is_a_challenge_without_a_record(
    broker: Broker, http: httpx.AsyncClient
) -> None:
    answer = await http.get("/userinfo")
    assert answer.status_code == 401
    assert "error=" not in answer.headers["www-authenticate"]
    assert await broker.records_of(answer) == []


async def _forgeries(broker: Broker, http: httpx.AsyncClient, token: str) -> dict[str, str]:
    from tests.e2e.security.support import forgeries

    forged = forgeries(token, await jwks(http), broker)
    remember(*forged.values())
    return forged
