"""Drive the ESIA connector against a served mock ESIA: build connectors, log people in, set faults.

``EsiaRig`` wraps a ``MockEsia`` (tests/support/esia_mock.py) with a GOST client
registered next to its RSA ones, an ``httpx.AsyncClient`` for the connectors
that counts the requests it sends, and a "browser" client for the redirects
and login pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from frmr_sso.security.crypto import FieldCipher
from frmr_sso.upstream.base import new_code_verifier, new_nonce, new_state
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.esia import EsiaConnector
from frmr_sso.upstream.esia_protocol import EsiaOptions
from frmr_sso.upstream.esia_signer import ClientSecretSigner, GostSecretSigner, RsaSecretSigner
from mock_esia.clients import RegisteredClient
from tests.support.esia_mock import (
    CERT_HASH,
    REDIRECT_URI,
    TEST_CLIENT,
    MockEsia,
    mock_settings,
    running_mock,
    submit,
)

GOST_CLIENT = "GOSTRP01"
DOCTOR = 1000299654  # confirmed, SNILS 112-233-445 95, SMS second factor
DOCTOR_LOGIN, DOCTOR_PASSWORD = "+79990000001", "Vrach-2026-Demo!"
STANDARD = 1000299656  # standard (not confirmed)
SECRET = "upstream-e2e-secret-key-0123456789abcdef"


@dataclass
class Login:
    state: str
    nonce: str
    verifier: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class EsiaRig:
    mock: MockEsia
    http: httpx.AsyncClient
    browser: httpx.AsyncClient
    rsa: RsaSecretSigner
    gost: GostSecretSigner
    sent: list[httpx.Request]
    cipher: FieldCipher = field(default_factory=lambda: FieldCipher(SECRET, purpose="upstream-tokens"))

    def connector(
        self,
        client_id: str = TEST_CLIENT,
        *,
        signer: ClientSecretSigner | None = None,
        breaker: CircuitBreaker | None = None,
        timeout: httpx.Timeout | None = None,
        **options: Any,
    ) -> EsiaConnector:
        chosen = signer or (self.gost if client_id == GOST_CLIENT else self.rsa)
        defaults: dict[str, Any] = {"issuer": self.mock.settings.issuer, "jwks_min_refetch": 0.0}
        settings = EsiaOptions(
            base_url=self.mock.base, client_id=client_id, certificate_hash=CERT_HASH, **(defaults | options)
        )
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        return EsiaConnector(
            settings, signer=chosen, http=self.http, sealer=self.cipher, breaker=breaker, **extra
        )

    async def faults(self, **config: Any) -> None:
        response = await self.browser.put(self.mock.url("/_dev/faults"), json=config)
        assert response.status_code == 200, response.text

    async def clear_faults(self) -> None:
        assert (await self.browser.delete(self.mock.url("/_dev/faults"))).status_code == 204

    async def start(self, connector: EsiaConnector) -> tuple[Login, str]:
        """Ask for the authorization URL and follow it to the mock's ``/login?tx=…``."""
        login = Login(new_state(), new_nonce(), new_code_verifier())
        url = await connector.authorization_url(
            state=login.state, nonce=login.nonce, code_verifier=login.verifier, redirect_uri=REDIRECT_URI
        )
        response = await self.browser.get(url)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith("/login?tx="), location
        return login, location

    async def login(self, connector: EsiaConnector, oid: int = DOCTOR) -> Login:
        """A finished ESIA login through ``/_dev/codes``: the callback parameters in ``login.params``."""
        login, location = await self.start(connector)
        tx = location.split("tx=", 1)[1]
        minted = await self.browser.post(self.mock.url("/_dev/codes"), json={"tx": tx, "oid": oid})
        assert minted.status_code == 200, minted.text
        login.params = callback_params(minted.json()["location"])
        return login

    async def login_with_forms(self, connector: EsiaConnector, *, cancel: bool = False) -> Login:
        """The doctor's login through the real pages (password, then the SMS code), or «Отмена»."""
        login, location = await self.start(connector)
        page = await self.browser.get(self.mock.url(location))
        assert page.status_code == 200, page.text
        if cancel:
            response = await submit(self.browser, self.mock, page, "/login/cancel")
        else:
            page = await submit(
                self.browser, self.mock, page, "/login", login=DOCTOR_LOGIN, password=DOCTOR_PASSWORD
            )
            assert page.status_code == 200, page.text
            code = await self.mock.sms_code(self.browser, DOCTOR_LOGIN)
            response = await submit(self.browser, self.mock, page, "/login/code", code=code)
        assert response.status_code in (302, 303), response.text
        login.params = callback_params(response.headers["location"])
        return login

    async def complete(self, connector: EsiaConnector, login: Login) -> Any:
        return await connector.complete(
            params=login.params,
            expected_state=login.state,
            nonce=login.nonce,
            code_verifier=login.verifier,
            redirect_uri=REDIRECT_URI,
        )


def callback_params(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI), location
    return dict(parse_qsl(urlsplit(location).query))


def gost_client(signer: GostSecretSigner) -> RegisteredClient:
    return RegisteredClient(
        client_id=GOST_CLIENT,
        redirect_uris=(REDIRECT_URI,),
        certificate_hash=CERT_HASH,
        signature="gost",
        public_key=signer.public_key_hex(),
        gost_curve=signer.curve,
        require_trusted=False,
    )


@asynccontextmanager
async def esia_rig(
    redis_url: str | None, rsa: RsaSecretSigner, gost: GostSecretSigner, **settings: Any
) -> AsyncIterator[EsiaRig]:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with running_mock(mock_settings(redis_url, **settings), rsa) as mock:
        mock.state.clients.register(gost_client(gost))
        async with (
            httpx.AsyncClient(event_hooks={"request": [record]}) as http,
            httpx.AsyncClient(follow_redirects=False, timeout=30) as browser,
        ):
            rig = EsiaRig(mock=mock, http=http, browser=browser, rsa=rsa, gost=gost, sent=sent)
            try:
                yield rig
            finally:
                await rig.clear_faults()
