"""The token endpoint core: code exchange and client_credentials on real stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import cast

import jwt
import pytest

from frmr_sso.jose.digests import s256_challenge, token_hash
from frmr_sso.oauth.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.tokens import TokenLifetimes, TokenService
from frmr_sso.storage.ports import KeyValueStore
from tests.integration.oauth.conftest import SNAPSHOT, Clock, code_form, issue_code, login, refresh_form
from tests.support.oauth import (
    ES256_WEB,
    ISSUER,
    SERVICE,
    SPA,
    SPA_REDIRECT,
    WEB,
    WEB_REDIRECT,
    CountingKV,
    TestSigner,
    client,
)

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


async def test_full_code_exchange(
    service: TokenService, kv: KeyValueStore, signer: TestSigner, clock: Clock
) -> None:
    now = int(clock.now)
    response = await login(service, kv, auth_time=now - 30)
    body = response.body()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    assert body["scope"] == "openid profile snils frmr offline_access"
    assert response.headers() == {"Cache-Control": "no-store", "Pragma": "no-cache"}

    assert jwt.get_unverified_header(response.access_token)["typ"] == "at+jwt"
    access = signer.decode(response.access_token, audience=ISSUER)
    assert access == {
        "iss": ISSUER,
        "sub": "sub-1",
        "aud": ISSUER,
        "client_id": "demo-web",
        "scope": body["scope"],
        "jti": access["jti"],
        "iat": now,
        "exp": now + 300,
        "auth_time": now - 30,
        "acr": "urn:frmr-sso:acr:esia-confirmed",
        "sid": "sid-1",
    }
    assert len(access["jti"]) >= 22

    assert response.id_token is not None
    assert jwt.get_unverified_header(response.id_token)["alg"] == "RS256"
    id_token = signer.decode(response.id_token, audience="demo-web")
    assert id_token["iss"] == ISSUER
    assert (id_token["sub"], id_token["azp"], id_token["nonce"], id_token["sid"]) == (
        "sub-1",
        "demo-web",
        "n-1",
        "sid-1",
    )
    assert id_token["auth_time"] == now - 30
    assert (id_token["iat"], id_token["exp"]) == (now, now + 300)
    assert id_token["amr"] == ["pwd", "sms"]
    assert id_token["at_hash"] == token_hash(response.access_token, "RS256")
    assert id_token["family_name"] == "Иванова"
    assert id_token["name"] == "Иванова Мария Петровна"
    assert id_token["snils"] == SNAPSHOT["snils"]
    assert id_token["frmr_organizations"] == SNAPSHOT["frmr_organizations"]
    assert response.refresh_token is not None
    assert "." not in response.refresh_token
    assert signer.decode(response.access_token)["jti"] != signer.decode(response.id_token).get("jti")


async def test_tokens_stay_out_of_repr(service: TokenService, kv: KeyValueStore) -> None:
    response = await login(service, kv)
    assert response.refresh_token is not None
    assert response.id_token is not None
    text = repr(response)
    for secret in (response.access_token, response.refresh_token, response.id_token):
        assert secret not in text


async def test_es256_client_gets_an_es256_id_token(
    service: TokenService, kv: KeyValueStore, signer: TestSigner
) -> None:
    code = await issue_code(kv, client_id=ES256_WEB.client_id)
    response = await service.exchange_code(ES256_WEB, code_form(code))
    assert response.id_token is not None
    assert jwt.get_unverified_header(response.id_token)["alg"] == "ES256"
    assert jwt.get_unverified_header(response.access_token)["alg"] == "RS256"
    assert signer.decode(response.id_token, audience="es-web")["at_hash"] == token_hash(
        response.access_token, "ES256"
    )


async def test_no_refresh_token_without_offline_access(service: TokenService, kv: KeyValueStore) -> None:
    response = await login(service, kv, scope=("openid", "profile"))
    assert response.refresh_token is None
    assert response.scope == "openid profile"
    assert "refresh_token" not in response.body()


async def test_no_refresh_token_for_a_client_without_the_grant(
    service: TokenService, kv: KeyValueStore
) -> None:
    challenge = s256_challenge(VERIFIER)
    code = await issue_code(
        kv,
        client_id=SPA.client_id,
        redirect_uri=SPA_REDIRECT,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    response = await service.exchange_code(
        SPA, Params({"code": code, "redirect_uri": SPA_REDIRECT, "code_verifier": VERIFIER})
    )
    assert response.refresh_token is None
    assert response.scope == "openid profile snils frmr"


async def test_without_openid_there_is_no_id_token(
    service: TokenService, kv: KeyValueStore, signer: TestSigner
) -> None:
    before = signer.signed
    response = await login(service, kv, scope=("profile",))
    assert response.id_token is None
    assert signer.signed - before == 1


async def test_one_signature_per_token(service: TokenService, kv: KeyValueStore, signer: TestSigner) -> None:
    before = signer.signed
    await login(service, kv)
    assert signer.signed - before == 2


async def test_successful_exchange_touches_the_kv_three_times_at_most(
    make_service: Callable[..., TokenService], kv: KeyValueStore
) -> None:
    counting = CountingKV(kv)
    service = make_service(kv=counting)
    await service.exchange_code(WEB, code_form(await issue_code(kv)))
    # the redemption with its replay mark, the replayed-family flag, the userinfo snapshot
    assert counting.calls == ["take_and_mark", "get", "set_many"]
    counting.calls.clear()
    await service.exchange_code(WEB, code_form(await issue_code(kv, scope=("openid", "profile"))))
    assert counting.calls == ["take_and_mark", "set_many"]  # no refresh family: no flag to read
    counting.calls.clear()
    await service.exchange_code(WEB, code_form(await issue_code(kv, scope=("profile",))))
    assert counting.calls == ["take_and_mark"]  # no openid: no userinfo, no snapshot


# -- PKCE -----------------------------------------------------------------------------------


async def spa_code(kv: KeyValueStore) -> str:
    return await issue_code(
        kv,
        client_id=SPA.client_id,
        redirect_uri=SPA_REDIRECT,
        code_challenge=s256_challenge(VERIFIER),
        code_challenge_method="S256",
        scope=("openid",),
    )


def spa_form(code: str, **extra: str) -> Params:
    return Params({"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_REDIRECT, **extra})


async def test_pkce_with_the_right_verifier(service: TokenService, kv: KeyValueStore) -> None:
    response = await service.exchange_code(SPA, spa_form(await spa_code(kv), code_verifier=VERIFIER))
    assert response.id_token is not None


async def test_pkce_wrong_verifier_burns_the_code(service: TokenService, kv: KeyValueStore) -> None:
    code = await spa_code(kv)
    with pytest.raises(InvalidGrant, match="code_verifier does not match"):
        await service.exchange_code(SPA, spa_form(code, code_verifier="x" * 43))
    with pytest.raises(InvalidGrant):
        await service.exchange_code(SPA, spa_form(code, code_verifier=VERIFIER))


async def test_pkce_missing_verifier(service: TokenService, kv: KeyValueStore) -> None:
    with pytest.raises(InvalidRequest, match="code_verifier is missing"):
        await service.exchange_code(SPA, spa_form(await spa_code(kv)))


async def test_malformed_verifier_is_refused_before_the_code_is_spent(
    service: TokenService, kv: KeyValueStore
) -> None:
    code = await spa_code(kv)
    with pytest.raises(InvalidRequest, match="malformed"):
        await service.exchange_code(SPA, spa_form(code, code_verifier="short"))
    assert (await service.exchange_code(SPA, spa_form(code, code_verifier=VERIFIER))).access_token


async def test_verifier_without_a_challenge_is_a_downgrade(service: TokenService, kv: KeyValueStore) -> None:
    with pytest.raises(InvalidGrant, match="no code_challenge"):
        await service.exchange_code(WEB, code_form(await issue_code(kv), code_verifier=VERIFIER))


async def test_public_client_code_without_challenge_is_refused(
    service: TokenService, kv: KeyValueStore
) -> None:
    code = await issue_code(kv, client_id=SPA.client_id, redirect_uri=SPA_REDIRECT)
    with pytest.raises(InvalidGrant):
        await service.exchange_code(SPA, spa_form(code))


# -- the code's binding ---------------------------------------------------------------------


async def test_redirect_uri_must_match(service: TokenService, kv: KeyValueStore) -> None:
    code = await issue_code(kv)
    with pytest.raises(InvalidGrant, match="redirect_uri"):
        await service.exchange_code(WEB, code_form(code, redirect_uri="https://app.test/cb?tenant=7"))


async def test_code_of_another_client(service: TokenService, kv: KeyValueStore) -> None:
    code = await issue_code(kv)
    with pytest.raises(InvalidGrant, match="another client"):
        await service.exchange_code(ES256_WEB, code_form(code))
    with pytest.raises(InvalidGrant):  # spent by the attempt
        await service.exchange_code(WEB, code_form(code))


async def test_unknown_code(service: TokenService) -> None:
    with pytest.raises(InvalidGrant, match="invalid, expired or already used"):
        await service.exchange_code(WEB, code_form("made-up"))


async def test_replayed_code_revokes_what_it_was_exchanged_for(
    service: TokenService, kv: KeyValueStore, introspection: IntrospectionService
) -> None:
    code = await issue_code(kv)
    first = await service.exchange_code(WEB, code_form(code))
    assert (await introspection.introspect(WEB, Params({"token": first.access_token})))["active"] is True
    with pytest.raises(InvalidGrant):
        await service.exchange_code(WEB, code_form(code))
    assert await introspection.introspect(WEB, Params({"token": first.access_token})) == {"active": False}
    with pytest.raises(InvalidGrant):
        await service.refresh(WEB, refresh_form(first.refresh_token))


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"redirect_uri": WEB_REDIRECT}, InvalidRequest),
        ({"code": "c"}, InvalidRequest),
        ({"code": "c" * 129, "redirect_uri": WEB_REDIRECT}, InvalidRequest),
    ],
)
async def test_malformed_code_requests(
    service: TokenService, form: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await service.exchange_code(WEB, Params(form))


async def test_repeated_code_parameter(service: TokenService, kv: KeyValueStore) -> None:
    code = await issue_code(kv)
    with pytest.raises(InvalidRequest, match="repeated"):
        await service.exchange_code(
            WEB, Params([("code", code), ("code", code), ("redirect_uri", WEB_REDIRECT)])
        )


async def test_a_client_without_the_grant_is_unauthorized(service: TokenService, kv: KeyValueStore) -> None:
    with pytest.raises(UnauthorizedClient):
        await service.exchange_code(SERVICE, code_form(await issue_code(kv, client_id=SERVICE.client_id)))


# -- grant_type dispatch ---------------------------------------------------------------------


async def test_token_dispatches_on_grant_type(service: TokenService, kv: KeyValueStore) -> None:
    assert (await service.token(WEB, code_form(await issue_code(kv)))).refresh_token
    assert (await service.token(SERVICE, Params({"grant_type": "client_credentials"}))).access_token
    with pytest.raises(UnsupportedGrantType):
        await service.token(WEB, Params({"grant_type": "password"}))
    with pytest.raises(InvalidRequest):
        await service.token(WEB, Params({}))


# -- client_credentials (RFC 6749 §4.4) ---------------------------------------------------


async def test_client_credentials_default_scope(service: TokenService, signer: TestSigner) -> None:
    response = await service.client_credentials(SERVICE, Params({"grant_type": "client_credentials"}))
    assert (response.scope, response.refresh_token, response.id_token) == (
        "registry.read registry.write",
        None,
        None,
    )
    claims = signer.decode(response.access_token, audience=ISSUER)
    assert (claims["sub"], claims["client_id"], claims["scope"]) == (
        "demo-service",
        "demo-service",
        response.scope,
    )
    assert "auth_time" not in claims
    assert jwt.get_unverified_header(response.access_token)["typ"] == "at+jwt"


async def test_client_credentials_scope_is_limited_to_the_client(service: TokenService) -> None:
    form = Params({"scope": "registry.read openid offline_access unknown"})
    assert (await service.client_credentials(SERVICE, form)).scope == "registry.read"
    with pytest.raises(InvalidScope):
        await service.client_credentials(SERVICE, Params({"scope": "openid unknown"}))


async def test_client_credentials_is_for_confidential_clients_with_the_grant(service: TokenService) -> None:
    with pytest.raises(UnauthorizedClient):
        await service.client_credentials(WEB, Params({}))
    public = client("public-service", public=True, grant_types=("client_credentials",))
    with pytest.raises(UnauthorizedClient):
        await service.client_credentials(public, Params({}))


async def test_lifetimes_come_from_settings_and_the_audience_is_configurable(
    make_service: Callable[..., TokenService], signer: TestSigner
) -> None:
    from frmr_sso.config import Settings

    lifetimes = TokenLifetimes.from_settings(Settings(mode="demo", access_token_ttl=120))
    assert dataclasses.astuple(lifetimes) == (60, 120, 30 * 86_400, 7 * 86_400)
    service = make_service(lifetimes=lifetimes, audience="https://api.test")
    response = await service.client_credentials(SERVICE, Params({}))
    assert response.expires_in == 120
    claims = signer.decode(response.access_token, audience="https://api.test")
    assert claims["exp"] - claims["iat"] == 120
    assert cast(int, claims["exp"]) > 0
