"""The OAuth core on real stores: the configured KV backend and a migrated database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.oauth import codes
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.oauth.introspection import IntrospectionService
from frmr_sso.oauth.issuance import TokenResponse
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenLifetimes, TokenService
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.support.oauth import ISSUER, WEB, WEB_REDIRECT, TestSigner

LIFETIMES = TokenLifetimes(code=60, access_token=300, refresh_absolute=3600, refresh_idle=600)
SNAPSHOT: dict[str, Any] = {
    "family_name": "Иванова",
    "given_name": "Мария",
    "middle_name": "Петровна",
    "snils": "112-233-445 95",
    "frmr_person_id": "FRMR-0001",
    "frmr_organizations": [{"oid": "1.2.643.5.1.13", "name": "ГБУЗ ГКБ №1"}],
}


class Clock:
    """A clock the test moves by hand; starts at the real time so JWTs verify."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repository(engine: AsyncEngine) -> SqlRefreshTokenRepository:
    return SqlRefreshTokenRepository(engine)


@pytest.fixture
def make_service(
    repository: SqlRefreshTokenRepository, kv: KeyValueStore, signer: TestSigner, clock: Clock
) -> Callable[..., TokenService]:
    def make(**options: Any) -> TokenService:
        options = {"kv": kv, "lifetimes": LIFETIMES, **options}
        return TokenService(issuer=ISSUER, signer=signer, refresh_tokens=repository, clock=clock, **options)

    return make


@pytest.fixture
def service(make_service: Callable[..., TokenService]) -> TokenService:
    return make_service()


@pytest.fixture
def bearer(kv: KeyValueStore, signer: TestSigner, clock: Clock) -> BearerValidator:
    return BearerValidator(issuer=ISSUER, verifier=signer.verifier(), kv=kv, clock=clock)


@pytest.fixture
def revocation(
    service: TokenService, kv: KeyValueStore, bearer: BearerValidator, clock: Clock
) -> RevocationService:
    return RevocationService(refresh_tokens=service.refresh_tokens, kv=kv, bearer=bearer, clock=clock)


@pytest.fixture
def introspection(service: TokenService, bearer: BearerValidator, clock: Clock) -> IntrospectionService:
    refresh_tokens = service.refresh_tokens
    return IntrospectionService(issuer=ISSUER, refresh_tokens=refresh_tokens, bearer=bearer, clock=clock)


def grant(**changes: Any) -> CodeGrant:
    values: dict[str, Any] = {
        "client_id": WEB.client_id,
        "redirect_uri": WEB_REDIRECT,
        "scope": ("openid", "profile", "snils", "frmr", "offline_access"),
        "subject": "sub-1",
        "auth_time": int(time.time()) - 30,
        "claims": SNAPSHOT,
        "nonce": "n-1",
        "acr": "urn:frmr-sso:acr:esia-confirmed",
        "amr": ("pwd", "sms"),
        "session_id": "sid-1",
    }
    values.update(changes)
    return CodeGrant(**values)


async def issue_code(kv: KeyValueStore, **changes: Any) -> str:
    return await codes.issue(kv, grant(**changes), ttl=LIFETIMES.code)


def code_form(code: str, **extra: str) -> Params:
    return Params({"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT, **extra})


def refresh_form(token: str | None, **extra: str) -> Params:
    assert token is not None
    return Params({"grant_type": "refresh_token", "refresh_token": token, **extra})


async def login(service: TokenService, kv: KeyValueStore, **changes: Any) -> TokenResponse:
    """A code exchange of the web client with offline_access: tokens with a refresh token."""
    return await service.exchange_code(WEB, code_form(await issue_code(kv, **changes)))
