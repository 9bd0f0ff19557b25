"""The one access-token check: validity (401), then each API's scopes (403) and audience (401)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from frmr_sso.oauth.access_tokens import access_token_claims, deny
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.resources import SESSIONS_API, api_audience, token_audience
from frmr_sso.storage.kv.memory import MemoryKV
from tests.support.oauth import ISSUER, TestSigner

SIGNER = TestSigner()
SESSIONS = api_audience(ISSUER, SESSIONS_API)


def token(scope: str = "openid frmr", *, person: bool = True, typ: str = "at+jwt", **changes: Any) -> str:
    claims = access_token_claims(
        issuer=ISSUER, audience=token_audience(ISSUER, scope.split()), subject="sub-1",
        client_id="app", scope=scope, jti="j-1", now=int(time.time()), ttl=60,
        auth_time=int(time.time()) - 5 if person else None, sid="sid-1",
    )
    return SIGNER.sign({**claims, **changes}, typ=typ)


def validator(kv: MemoryKV | None = None) -> BearerValidator:
    return BearerValidator(issuer=ISSUER, verifier=SIGNER.verifier(), kv=kv or MemoryKV())


async def test_a_live_token_comes_back_typed() -> None:
    claims = await validator().require(token(), scopes={"frmr"})
    assert (claims.subject, claims.client_id, claims.jti, claims.sid) == ("sub-1", "app", "j-1", "sid-1")
    assert claims.scopes == ("openid", "frmr")
    assert claims.audiences == (ISSUER,)
    assert claims.auth_time is not None


@pytest.mark.parametrize(
    "bad",
    [
        token(typ="JWT"),  # an ID Token or any other JWT of ours
        token(iss="https://evil.example"),
        token(exp=int(time.time()) - 1, iat=int(time.time()) - 60),
        token(client_id=None),
        token(jti=7),
        token(aud=[]),
        "not-a-jwt",
    ],
)
async def test_anything_but_a_live_access_token_is_invalid(bad: str) -> None:
    with pytest.raises(InvalidToken):
        await validator().validate(bad)


async def test_a_revoked_token_is_invalid() -> None:
    kv = MemoryKV()
    await deny(kv, "j-1", exp=int(time.time()) + 60, now=time.time())
    with pytest.raises(InvalidToken):
        await validator(kv).validate(token())


async def test_a_missing_scope_is_insufficient_and_named() -> None:
    with pytest.raises(InsufficientScope) as caught:
        await validator().require(token("openid"), scopes={"openid", "frmr"})
    assert caught.value.scope == "frmr openid"
    assert caught.value.status_code == 403


async def test_the_scope_is_checked_before_the_audience() -> None:
    """A token without the API's scope learns it needs the scope (403), not that it was forged."""
    with pytest.raises(InsufficientScope):
        await validator().require(token("openid"), scopes={"account.sessions"}, audience=SESSIONS)


async def test_a_token_opens_only_the_apis_it_names() -> None:
    sessions_token = token("openid account.sessions")
    claims = await validator().require(sessions_token, scopes={"account.sessions"}, audience=SESSIONS)
    assert claims.audiences == (ISSUER, SESSIONS)
    assert (await validator().require(sessions_token, scopes={"openid"})).subject == "sub-1"
    elsewhere = token("openid account.sessions", aud=ISSUER)  # the scope, but not this API's audience
    with pytest.raises(InvalidToken, match="not meant for this API"):
        await validator().require(elsewhere, scopes={"account.sessions"}, audience=SESSIONS)


async def test_a_person_api_refuses_a_client_credentials_token() -> None:
    with pytest.raises(InsufficientScope, match="person"):
        await validator().require(token("openid", person=False), scopes={"openid"}, person=True)
