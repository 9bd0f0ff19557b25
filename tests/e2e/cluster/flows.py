"""A person's login and a client's token calls, each step sent to a chosen base URL.

The base is nginx (either instance) or one instance directly, so a test decides where each
step lands. ``retrying`` is what a real client does behind a load balancer: resend on a
dropped connection or a 502/503/504 from the proxy, a few times, briefly apart.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support.esia_mock import MockEsia, submit
from tests.support.forms import find_form

CLIENT_ID, CLIENT_SECRET, REDIRECT_URI = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
SCOPE = "openid profile snils frmr offline_access"
DOCTOR, PASSWORD = "+79990000001", "Vrach-2026-Demo!"
RETRY_STATUSES = frozenset({502, 503, 504})


class StepFailed(AssertionError):
    """A step answered something other than what the flow expects (after the client's retries)."""


async def retrying(send: Callable[[], Awaitable[httpx.Response]], attempts: int = 4) -> httpx.Response:
    for attempt in range(attempts):
        try:
            response = await send()
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
        else:
            if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                return response
        await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise StepFailed(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:300]}"
        )
    return response


@dataclass
class Login:
    """One person's browser and the client's PKCE/nonce values for one authorization request."""

    browser: httpx.AsyncClient
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def authorize_url(self, base: str, **extra: str) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=")
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT_URI,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{base}/authorize?{urlencode(params)}"

    async def through_esia(self, base: str, mock: MockEsia, sms: asyncio.Lock | None = None) -> str:
        """``/authorize`` at ``base``, then the ESIA pages; the broker callback URL, not yet visited.

        Concurrent logins of the one demo account pass ``sms``, one lock: the mock's outbox shows
        the newest code of an account, so its password and code steps must not interleave.
        """
        to_esia = _expect(await retrying(lambda: self.browser.get(self.authorize_url(base))), 302)
        to_login = _expect(await self.browser.get(to_esia.headers["location"]), 302)
        page = _expect(await self.browser.get(mock.url(to_login.headers["location"])), 200, 302)
        if page.status_code == 302:  # the browser is still signed in at ESIA: straight back
            back: str = page.headers["location"]
            return back
        async with sms or asyncio.Lock():
            answer = await submit(self.browser, mock, page, "/login", login=DOCTOR, password=PASSWORD)
            if answer.status_code == 200:
                find_form(answer.text, field="code")
                code = await mock.sms_code(self.browser, DOCTOR)
                answer = await submit(self.browser, mock, answer, "/login/code", code=code)
        location: str = _expect(answer, 302, 303).headers["location"]
        return location

    async def callback(self, url: str) -> str:
        """Visit the broker callback; the authorization code it redirects the client with."""
        response = _expect(await retrying(lambda: self.browser.get(url)), 302)
        return self.code_of(response)

    async def silent(self, base: str) -> str:
        """``/authorize?prompt=none`` with the browser's SSO session; the code."""
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        url = self.authorize_url(base, prompt="none")
        return self.code_of(_expect(await retrying(lambda: self.browser.get(url)), 302))

    def code_of(self, response: httpx.Response) -> str:
        location = response.headers["location"]
        params = query(location)
        if not location.startswith(REDIRECT_URI + "?") or "code" not in params:
            raise StepFailed(f"no code in {location[:200]}")
        if params.get("state") != self.state:
            raise StepFailed("state mismatch")
        return params["code"]


def on(url: str, base: str) -> str:
    """``url`` (an address under the issuer) sent to ``base`` instead: pin a step to an instance."""
    parts = urlsplit(url)
    return f"{base}{parts.path}?{parts.query}" if parts.query else f"{base}{parts.path}"


async def redeem(http: httpx.AsyncClient, base: str, code: str, verifier: str) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    response = await retrying(lambda: http.post(f"{base}/token", data=data, auth=(CLIENT_ID, CLIENT_SECRET)))
    body: dict[str, Any] = _expect(response, 200).json()
    return body


async def refresh(http: httpx.AsyncClient, base: str, refresh_token: str) -> dict[str, Any]:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    response = await retrying(lambda: http.post(f"{base}/token", data=data, auth=(CLIENT_ID, CLIENT_SECRET)))
    body: dict[str, Any] = _expect(response, 200).json()
    return body


async def introspect(
    http: httpx.AsyncClient, base: str, token: str, auth: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)
) -> dict[str, Any]:
    response = await retrying(lambda: http.post(f"{base}/introspect", data={"token": token}, auth=auth))
    body: dict[str, Any] = _expect(response, 200).json()
    return body


async def full_login(browser: httpx.AsyncClient, base: str, mock: MockEsia) -> tuple[Login, dict[str, Any]]:
    """Every step through ``base``; the login and its tokens."""
    login = Login(browser)
    callback = await login.through_esia(base, mock)
    code = await login.callback(on(callback, base))
    return login, await redeem(browser, base, code, login.verifier)
