"""A mock ESIA under real uvicorn for e2e tests, with signed ``/v2/ac`` requests and the outbox.

``running_mock`` builds the app with its own KV prefix (so tests never share
counters or sessions, on memory or Redis), registers two RSA test clients
(``TEST01`` accepts any account, ``TRUSTED01`` only confirmed ones) and serves
it. ``MockEsia.authorize`` sends a signed authorization request and returns the
``/login?tx=…`` location, exactly as a relying party's browser would see it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from frmr_sso.storage.kv import open_kv
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from mock_esia import flow
from mock_esia.app import create_app
from mock_esia.clients import RegisteredClient
from mock_esia.config import MockSettings
from mock_esia.state import MockState
from mock_esia.timestamps import format_timestamp
from tests.support.forms import find_form
from tests.support.servers import serve

REDIRECT_URI = "http://127.0.0.1:9/callback"
CERT_HASH = "A" * 64
TEST_CLIENT = "TEST01"
TRUSTED_CLIENT = "TRUSTED01"
SCOPE = "openid fullname snils"
SIGNED_PARAMETERS = ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")


@dataclass
class MockEsia:
    base: str
    settings: MockSettings
    state: MockState
    signer: RsaSecretSigner

    def url(self, path: str) -> str:
        return self.base + path

    def authorize_params(self, client_id: str = TEST_CLIENT, *, state: str | None = None) -> dict[str, str]:
        params = {
            "client_id": client_id,
            "client_certificate_hash": CERT_HASH,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "response_type": "code",
            "state": state or str(uuid.uuid4()),
            "timestamp": format_timestamp(datetime.now(UTC)),
            "access_type": "online",
        }
        signed = "".join(params.get(name, "") for name in SIGNED_PARAMETERS)
        params["client_secret"] = self.signer.sign(signed.encode())
        return params

    async def authorize(self, browser: httpx.AsyncClient, client_id: str = TEST_CLIENT) -> httpx.Response:
        """Send ``/v2/ac`` and follow its redirect to ``/login`` (the response of ``GET /login``)."""
        response = await browser.get(self.url("/aas/oauth2/v2/ac"), params=self.authorize_params(client_id))
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith("/login?tx="), location
        return await browser.get(self.url(location))

    async def sms_code(self, browser: httpx.AsyncClient, login: str) -> str:
        response = await browser.get(self.url("/_dev/outbox"), params={"login": login})
        assert response.status_code == 200, response.text
        messages = response.json()
        assert messages, f"no SMS for {login}"
        code: str = messages[0]["code"]
        return code

    @asynccontextmanager
    async def kv(self) -> AsyncIterator[Any]:
        """The mock's KV as seen from the test's event loop (a second client on Redis)."""
        if self.settings.redis_url is None:
            yield self.state.kv
            return
        store = open_kv(self.settings.redis_url, prefix=self.settings.kv_prefix)
        try:
            yield store
        finally:
            await store.close()

    async def grant(self, location: str) -> flow.Grant:
        """Redeem the code of a success redirect in-process and return what it stands for."""
        query = parse_qs(urlsplit(location).query)
        async with self.kv() as kv:
            grant = await flow.redeem_code(kv, query["code"][0])
        assert grant is not None, "the code was not issued or already redeemed"
        return grant


def mock_settings(redis_url: str | None, **overrides: Any) -> MockSettings:
    prefix = f"mock_esia:test:{uuid.uuid4().hex}:"
    return MockSettings(dev=True, redis_url=redis_url, kv_prefix=prefix, **overrides)


def _client(client_id: str, signer: RsaSecretSigner, *, require_trusted: bool) -> RegisteredClient:
    return RegisteredClient(
        client_id=client_id,
        redirect_uris=(REDIRECT_URI,),
        certificate_hash=CERT_HASH,
        public_key=signer.public_key_pem(),
        require_trusted=require_trusted,
    )


async def purge_mock_keys(settings: MockSettings) -> None:
    """Remove the keys a test's mock left in Redis (its own prefix)."""
    if settings.redis_url is None:
        return
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=settings.kv_prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@asynccontextmanager
async def running_mock(settings: MockSettings, signer: RsaSecretSigner) -> AsyncIterator[MockEsia]:
    app = create_app(settings)
    state: MockState = app.state.mock
    state.clients.register(_client(TEST_CLIENT, signer, require_trusted=False))
    state.clients.register(_client(TRUSTED_CLIENT, signer, require_trusted=True))
    try:
        with serve(app) as base:
            yield MockEsia(base=base, settings=settings, state=state, signer=signer)
    finally:
        await purge_mock_keys(settings)


async def submit(
    browser: httpx.AsyncClient, mock: MockEsia, page: httpx.Response, action: str, **values: str
) -> httpx.Response:
    """Fill the page's form posting to ``action`` and send it, hidden inputs as given."""
    form = find_form(page.text, action=action)
    return await browser.post(mock.url(form.action), data=form.fill(**values))


async def password_step(
    browser: httpx.AsyncClient, mock: MockEsia, login: str, password: str, client_id: str = TEST_CLIENT
) -> httpx.Response:
    """Authorize, then post the login form; the response to ``POST /login``."""
    page = await mock.authorize(browser, client_id)
    assert page.status_code == 200, page.text
    return await submit(browser, mock, page, "/login", login=login, password=password)


async def sms_login(
    browser: httpx.AsyncClient, mock: MockEsia, login: str, password: str, client_id: str = TEST_CLIENT
) -> httpx.Response:
    """The whole login of an SMS account; the final response (a redirect to the client)."""
    page = await password_step(browser, mock, login, password, client_id)
    assert page.status_code == 200, page.text
    code = await mock.sms_code(browser, login)
    return await submit(browser, mock, page, "/login/code", code=code)
