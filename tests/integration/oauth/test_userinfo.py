"""UserInfo from the claims snapshot the token endpoint stores per access token, on both KV backends."""

from __future__ import annotations

import jwt
import pytest

from frmr_sso.oauth.access_tokens import deny
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.oidc.userinfo import UserInfoService, load_snapshot, save_snapshot
from frmr_sso.storage.ports import KeyValueStore
from tests.integration.oauth.conftest import LIFETIMES, SNAPSHOT, Clock, login, refresh_form
from tests.support.oauth import ISSUER, SERVICE, WEB, TestSigner


@pytest.fixture
def userinfo(kv: KeyValueStore, bearer: BearerValidator) -> UserInfoService:
    return UserInfoService(bearer=bearer, kv=kv)


def jti_of(token: str) -> str:
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


async def test_code_exchange_stores_the_scoped_claims_for_the_token_lifetime(
    service: TokenService, kv: KeyValueStore, userinfo: UserInfoService
) -> None:
    tokens = await login(service, kv, scope=("openid", "snils", "offline_access"))
    jti = jti_of(tokens.access_token)
    assert await load_snapshot(kv, jti) == {"snils": SNAPSHOT["snils"]}  # only what the scope releases
    left = await kv.ttl("oidc:userinfo:" + jti)
    assert left is not None
    assert LIFETIMES.access_token - 5 < left <= LIFETIMES.access_token
    assert await userinfo.userinfo(tokens.access_token) == {"sub": "sub-1", "snils": SNAPSHOT["snils"]}


async def test_refresh_stores_a_snapshot_for_the_new_access_token(
    service: TokenService, kv: KeyValueStore, userinfo: UserInfoService
) -> None:
    first = await login(service, kv)
    refreshed = await service.refresh(WEB, refresh_form(first.refresh_token, scope="openid profile"))
    claims = await userinfo.userinfo(refreshed.access_token)
    assert claims["sub"] == "sub-1"
    assert claims["name"] == "Иванова Мария Петровна"
    assert "snils" not in claims


async def test_client_credentials_stores_nothing(
    service: TokenService, kv: KeyValueStore, userinfo: UserInfoService
) -> None:
    tokens = await service.client_credentials(SERVICE, Params({"grant_type": "client_credentials"}))
    assert await load_snapshot(kv, jti_of(tokens.access_token)) is None
    with pytest.raises(InsufficientScope) as raised:
        await userinfo.userinfo(tokens.access_token)
    assert 'scope="openid"' in raised.value.headers()["WWW-Authenticate"]


async def test_without_openid_userinfo_is_insufficient_scope(
    service: TokenService, kv: KeyValueStore, userinfo: UserInfoService
) -> None:
    tokens = await login(service, kv, scope=("profile",))
    with pytest.raises(InsufficientScope):
        await userinfo.userinfo(tokens.access_token)


async def test_revoked_expired_foreign_or_snapshotless_tokens_are_invalid(
    service: TokenService, kv: KeyValueStore, signer: TestSigner, clock: Clock, userinfo: UserInfoService
) -> None:
    tokens = await login(service, kv)
    jti = jti_of(tokens.access_token)
    await deny(kv, jti, exp=int(clock()) + 300, now=clock())
    with pytest.raises(InvalidToken):
        await userinfo.userinfo(tokens.access_token)

    now = int(clock())
    base = {"iss": ISSUER, "sub": "sub-1", "aud": ISSUER, "scope": "openid", "iat": now, "exp": now + 60}
    base["client_id"] = "demo-web"  # RFC 9068 §2.2: every access token names its client
    await save_snapshot(kv, "known", SNAPSHOT, ("openid",), ttl=60)
    foreign_aud = signer.sign({**base, "jti": "known", "aud": "https://other.test"}, typ="at+jwt")
    wrong_typ = signer.sign({**base, "jti": "known"}, typ="JWT")
    no_snapshot = signer.sign({**base, "jti": "unknown"}, typ="at+jwt")
    expired = signer.sign({**base, "jti": "known", "iat": now - 120, "exp": now - 60}, typ="at+jwt")
    in_list = signer.sign({**base, "jti": "known", "aud": ["https://other.test", ISSUER]}, typ="at+jwt")
    for token in (foreign_aud, wrong_typ, no_snapshot, expired, "not-a-jwt", tokens.id_token or ""):
        with pytest.raises(InvalidToken):
            await userinfo.userinfo(token)
    assert await userinfo.userinfo(in_list) == {"sub": "sub-1"}
