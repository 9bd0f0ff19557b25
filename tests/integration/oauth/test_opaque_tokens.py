"""Opaque access tokens on both backends: issue, check, introspect, revoke, and what revokes them.

The same flows as a JWT's, through the same ``BearerValidator``: a client registered with
``access_token_format: opaque`` gets a 51-character handle; the key-value store holds only a
keyed hash of it, as the key of its claims, for the token's lifetime.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable

import pytest

from frmr_sso.oauth.access_tokens import deny_session
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InvalidGrant, InvalidToken
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.opaque_tokens import RECORD_PREFIX, OpaqueTokens, is_opaque
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.oidc.userinfo import UserInfoService
from frmr_sso.storage.ports import KeyValueStore
from tests.integration.oauth.conftest import LIFETIMES, Clock, code_form, issue_code, refresh_form
from tests.support.oauth import ISSUER, SERVICE, WEB, TestSigner

KEY, OLD_KEY = b"k" * 32, b"o" * 32
OPAQUE_WEB = dataclasses.replace(WEB, access_token_format="opaque")
OPAQUE_SERVICE = dataclasses.replace(SERVICE, access_token_format="opaque")


@pytest.fixture
def opaque() -> OpaqueTokens:
    return OpaqueTokens([KEY])


@pytest.fixture
def tokens(make_service: Callable[..., TokenService], opaque: OpaqueTokens) -> TokenService:
    return make_service(opaque=opaque)


@pytest.fixture
def checker(kv: KeyValueStore, signer: TestSigner, clock: Clock, opaque: OpaqueTokens) -> BearerValidator:
    return BearerValidator(issuer=ISSUER, verifier=signer.verifier(), kv=kv, clock=clock, opaque=opaque)


async def service_token(tokens: TokenService) -> str:
    issued = await tokens.client_credentials(OPAQUE_SERVICE, Params({"grant_type": "client_credentials"}))
    return issued.access_token


async def test_a_short_handle_whose_claims_only_the_store_holds(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore
) -> None:
    token = await service_token(tokens)
    assert is_opaque(token)
    assert len(token) == 51
    assert "." not in token
    digest = hmac.new(KEY, token.encode(), hashlib.sha256).hexdigest()
    stored = await kv.get(RECORD_PREFIX + digest)
    assert stored is not None
    assert token not in stored
    assert 0 < (await kv.ttl(RECORD_PREFIX + digest) or 0) <= LIFETIMES.access_token
    claims = await checker.validate(token)
    assert (claims.subject, claims.client_id) == (SERVICE.client_id, SERVICE.client_id)
    assert claims.scopes == ("registry.read", "registry.write")
    assert claims.of_client_itself


async def test_unknown_expired_or_unkeyed_handles_are_refused(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore, signer: TestSigner, clock: Clock
) -> None:
    token = await service_token(tokens)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):
        await checker.validate(forged)
    without = BearerValidator(issuer=ISSUER, verifier=signer.verifier(), kv=kv, clock=clock)
    with pytest.raises(InvalidToken):  # a broker that has no key finds no record
        await without.validate(token)
    clock.advance(LIFETIMES.access_token + 1)
    with pytest.raises(InvalidToken):
        await checker.validate(token)


async def test_found_under_a_previous_secret(
    make_service: Callable[..., TokenService], kv: KeyValueStore, signer: TestSigner, clock: Clock
) -> None:
    before = make_service(opaque=OpaqueTokens([OLD_KEY]))
    token = await service_token(before)
    after = BearerValidator(
        issuer=ISSUER, verifier=signer.verifier(), kv=kv, clock=clock, opaque=OpaqueTokens([KEY, OLD_KEY])
    )
    assert (await after.validate(token)).client_id == SERVICE.client_id


async def test_introspected_and_revoked(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore, clock: Clock
) -> None:
    introspection = IntrospectionService(
        issuer=ISSUER, refresh_tokens=tokens.refresh_tokens, bearer=checker, clock=clock
    )
    revocation = RevocationService(refresh_tokens=tokens.refresh_tokens, kv=kv, bearer=checker, clock=clock)
    token = await service_token(tokens)
    body = await introspection.introspect(WEB, Params({"token": token}))
    assert body["active"] is True
    assert body["client_id"] == SERVICE.client_id
    assert body["iss"] == ISSUER
    members = {"active", "token_type", "scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti"}
    assert set(body) == members
    await revocation.revoke(WEB, Params({"token": token}))  # another client's: nothing happens
    assert (await introspection.introspect(WEB, Params({"token": token})))["active"] is True
    await revocation.revoke(OPAQUE_SERVICE, Params({"token": token, "token_type_hint": "access_token"}))
    assert await introspection.introspect(WEB, Params({"token": token})) == {"active": False}
    with pytest.raises(InvalidToken):
        await checker.validate(token)


async def test_a_login_token_reaches_userinfo(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore
) -> None:
    issued = await tokens.exchange_code(OPAQUE_WEB, code_form(await issue_code(kv)))
    assert is_opaque(issued.access_token)
    assert issued.id_token is not None
    assert issued.refresh_token
    info = await UserInfoService(bearer=checker, kv=kv).userinfo(issued.access_token)
    assert info["sub"] == "sub-1"
    assert info["family_name"] == "Иванова"


async def test_revoked_with_its_refresh_family_on_reuse(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore
) -> None:
    first = await tokens.exchange_code(OPAQUE_WEB, code_form(await issue_code(kv)))
    rotated = await tokens.refresh(OPAQUE_WEB, refresh_form(first.refresh_token))
    assert is_opaque(rotated.access_token)
    await checker.validate(rotated.access_token)
    no_grace = dataclasses.replace(OPAQUE_WEB, refresh_grace=0)
    with pytest.raises(InvalidGrant):  # the first refresh token again, outside the grace window
        await tokens.refresh(no_grace, refresh_form(first.refresh_token))
    for token in (first.access_token, rotated.access_token):
        with pytest.raises(InvalidToken):
            await checker.validate(token)


async def test_revoking_the_refresh_token_revokes_the_opaque_access_token(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore, clock: Clock
) -> None:
    issued = await tokens.exchange_code(OPAQUE_WEB, code_form(await issue_code(kv)))
    revocation = RevocationService(refresh_tokens=tokens.refresh_tokens, kv=kv, bearer=checker, clock=clock)
    await revocation.revoke(OPAQUE_WEB, Params({"token": issued.refresh_token or ""}))
    with pytest.raises(InvalidToken):
        await checker.validate(issued.access_token)


async def test_an_ended_session_revokes_its_access_tokens_of_both_formats(
    tokens: TokenService, checker: BearerValidator, kv: KeyValueStore
) -> None:
    opaque = await tokens.exchange_code(OPAQUE_WEB, code_form(await issue_code(kv)))
    jwt = await tokens.exchange_code(WEB, code_form(await issue_code(kv)))
    other = await tokens.exchange_code(OPAQUE_WEB, code_form(await issue_code(kv, session_id="sid-2")))
    for token in (opaque.access_token, jwt.access_token, other.access_token):
        await checker.validate(token)
    await deny_session(kv, "sid-1", ttl=LIFETIMES.access_token)
    for token in (opaque.access_token, jwt.access_token):
        with pytest.raises(InvalidToken):
            await checker.validate(token)
    assert (await checker.validate(other.access_token)).sid == "sid-2"


def test_the_handle_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key"):
        OpaqueTokens([])
    assert not is_opaque("frmr_at_" + "x" * 42)
    assert not is_opaque("a.b.c")
