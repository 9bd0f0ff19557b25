"""A broker and a mock ESIA under real uvicorn, a browser, and OIDC clients from authlib.

``login_rig`` starts the mock ESIA (dev mode, its own KV prefix), registers the
broker at it as ``FRMR01`` (an RSA key, redirect ``{broker}/callback/esia``),
writes the broker's upstreams file pointing at the mock and serves the broker
in demo mode on the test's database and KV. ``BrowserLogin`` walks the real
pages: broker ``/authorize`` → ESIA ``/v2/ac`` → login form → SMS code → back.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import authlib.deprecate  # noqa: F401 - installs its "always" filter before ours below
import httpx
import yaml
from joserfc import jwt
from joserfc.jwk import KeySet

from frmr_sso.app import create_app
from frmr_sso.cabinet.mount import DEMO_CABINET_SECRET
from frmr_sso.config import Settings
from frmr_sso.demo import ESIA_CLIENT_ID, certificate_hash, register_broker_at_mock
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.support import oidc_op
from tests.support.esia_mock import MockEsia, mock_settings, running_mock, submit
from tests.support.forms import find_form
from tests.support.oidc_op import OpenIdProvider
from tests.support.servers import free_port, serve

if TYPE_CHECKING:
    from frmr_sso.tracing.provider import Tracing

with warnings.catch_warnings():
    # authlib's httpx integration warns that it prefers "httpx2"; the broker's stack is httpx
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

SPA_ID, SPA_REDIRECT = "demo-spa", "http://127.0.0.1:9998/callback"
WEB_ID, WEB_SECRET, WEB_REDIRECT = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
CABINET_ID = "frmr-cabinet"
SCOPE = "openid profile snils frmr"
DOCTOR, DOCTOR_PASSWORD = "+79990000001", "Vrach-2026-Demo!"
NO_RECORD, NO_RECORD_PASSWORD = "+79990000002", "Bez-Zapisi-2026!"
STANDARD, STANDARD_PASSWORD = "+79990000003", "Standart-2026-Uz!"
PARTNER, PARTNER_NAME = "partner", "Партнёр"
"""The generic OIDC upstream (the test OP of tests/support/oidc_op.py) in ``login_rig(op=…)``."""


@dataclass
class Rig:
    broker: str
    mock: MockEsia
    browser: httpx.AsyncClient
    database_url: str
    op: OpenIdProvider | None = None

    async def audit_events(self) -> list[AuditRecord]:
        engine = create_engine(self.database_url)
        try:
            return list(await SqlAuditRepository(engine).list())
        finally:
            await engine.dispose()

    def spa(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=SPA_ID,
            redirect_uri=SPA_REDIRECT,
            scope=SCOPE,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )

    def cabinet(self, scope: str) -> AsyncOAuth2Client:
        """The personal cabinet's client, first-party (the demo registers it)."""
        return AsyncOAuth2Client(
            client_id=CABINET_ID,
            client_secret=DEMO_CABINET_SECRET,
            redirect_uri=f"{self.broker}/cabinet/callback",
            scope=scope,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def web(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=WEB_ID,
            client_secret=WEB_SECRET,
            redirect_uri=WEB_REDIRECT,
            scope=SCOPE,
            token_endpoint_auth_method="client_secret_basic",
        )

    async def esia_login(self, authorize_url: str, login: str, password: str) -> httpx.Response:
        """From the client's authorization URL through the ESIA pages; the broker's callback answer."""
        return await self.browser.get(await self.esia_answer(authorize_url, login, password))

    async def esia_answer(self, authorize_url: str, login: str, password: str) -> str:
        """The ESIA pages up to the redirect back: the broker's callback URL, not yet visited."""
        page = await self.to_esia_login_page(authorize_url)
        answer = await submit(self.browser, self.mock, page, "/login", login=login, password=password)
        if answer.status_code == 200:
            find_form(answer.text, field="code")
            code = await self.mock.sms_code(self.browser, login)
            answer = await submit(self.browser, self.mock, answer, "/login/code", code=code)
        return self.callback_location(answer)

    async def cancel_at_esia(self, authorize_url: str) -> httpx.Response:
        page = await self.to_esia_login_page(authorize_url)
        return await self.back_to_broker(await submit(self.browser, self.mock, page, "/login/cancel"))

    async def to_esia_login_page(self, authorize_url: str) -> httpx.Response:
        to_esia = await self.browser.get(authorize_url)
        assert to_esia.status_code == 302, to_esia.text
        assert to_esia.headers["location"].startswith(self.mock.url("/aas/oauth2/v2/ac?"))
        to_login = await self.browser.get(to_esia.headers["location"])
        assert to_login.status_code == 302, to_login.text
        page = await self.browser.get(self.mock.url(to_login.headers["location"]))
        assert page.status_code == 200, page.text
        return page

    async def back_to_broker(self, answer: httpx.Response) -> httpx.Response:
        return await self.browser.get(self.callback_location(answer))

    def callback_location(self, answer: httpx.Response) -> str:
        assert answer.status_code in (302, 303), answer.text
        location: str = answer.headers["location"]
        assert location.startswith(f"{self.broker}/callback/esia?"), location
        return location

    async def oidc_login(self, authorize_url: str) -> httpx.Response:
        """broker ``/authorize`` → the OP (it consents at once) → the broker's callback answer."""
        assert self.op is not None, "a rig without the OIDC upstream"
        to_op = await self.browser.get(authorize_url)
        assert to_op.status_code == 302, to_op.text
        assert to_op.headers["location"].startswith(f"{self.op.issuer}/authorize?"), to_op.headers["location"]
        back = await self.browser.get(to_op.headers["location"])
        assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith(f"{self.broker}/callback/{PARTNER}?"), location
        return await self.browser.get(location)

    async def set_faults(self, **config: Any) -> None:
        """``PUT /_dev/faults`` at the mock ESIA."""
        response = await self.browser.put(self.mock.url("/_dev/faults"), json=config)
        assert response.status_code == 200, response.text

    async def clear_faults(self) -> None:
        assert (await self.browser.delete(self.mock.url("/_dev/faults"))).status_code == 204

    async def jwks(self) -> Any:
        response = await self.browser.get(f"{self.broker}/jwks")
        assert response.status_code == 200, response.text
        return response.json()


def write_upstreams(
    directory: Path,
    mock: MockEsia,
    signer: RsaSecretSigner,
    extra: tuple[tuple[str, str], ...] = (),
    *,
    esia: bool = True,
    esia_options: Mapping[str, Any] | None = None,
    oidc: Mapping[str, Any] | None = None,
) -> Path:
    """The broker's upstreams: ``esia`` at the mock, then ``extra`` (name, display name) copies of it.

    ``esia_options`` (``timeout``, ``breaker`` …) go into every ESIA entry; ``oidc`` is one more,
    complete entry; ``esia=False`` leaves the ESIA entries out.
    """
    key = directory / "esia-client-key.pem"
    key.write_bytes(signer.private_key_pem())
    entries: list[dict[str, Any]] = []
    for name, display_name in (("esia", "Госуслуги"), *extra) if esia else ():
        entries.append(
            {
                "name": name,
                "type": "esia",
                "display_name": display_name,
                "base_url": mock.base,
                "issuer": mock.settings.issuer,
                "client_id": ESIA_CLIENT_ID,
                "certificate_hash": certificate_hash(signer),
                "signer": {"kind": "rsa", "key_file": str(key)},
                "scopes": ["openid", "fullname", "birthdate", "gender", "snils"],
                **(esia_options or {}),
            }
        )
    if oidc is not None:
        entries.append(dict(oidc))
    path = directory / "upstreams.yaml"
    path.write_text(yaml.safe_dump({"upstreams": entries}, allow_unicode=True), encoding="utf-8")
    return path


def oidc_upstream(op: OpenIdProvider, claims: Mapping[str, str]) -> dict[str, Any]:
    """A ``type: oidc`` entry for the test OP, with its client and the given claims mapping."""
    return {
        "name": PARTNER,
        "type": "oidc",
        "display_name": PARTNER_NAME,
        "issuer": op.issuer,
        "client_id": oidc_op.CLIENT_ID,
        "client_secret": oidc_op.CLIENT_SECRET,
        "scopes": ["openid", "profile", "snils"],
        "claims": dict(claims),
    }


@contextmanager
def op_redirects_to(redirect_uri: str) -> Iterator[None]:
    """The test OP knows one client with one redirect URI (a module constant): point it at the broker."""
    saved = oidc_op.REDIRECT_URI
    oidc_op.REDIRECT_URI = redirect_uri
    try:
        yield
    finally:
        oidc_op.REDIRECT_URI = saved


@asynccontextmanager
async def login_rig(
    database_url: str,
    redis_url: str | None,
    signer: RsaSecretSigner,
    directory: Path,
    extra_upstreams: tuple[tuple[str, str], ...] = (),
    *,
    esia: bool = True,
    esia_options: Mapping[str, Any] | None = None,
    op: OpenIdProvider | None = None,
    op_claims: Mapping[str, str] | None = None,
    tracing: Tracing | None = None,
    op_options: Mapping[str, Any] | None = None,
    mock_options: Mapping[str, Any] | None = None,
    host: str = "127.0.0.1",
) -> AsyncIterator[Rig]:
    """``mock_options``: the mock ESIA's settings (``token_alg`` …).
    ``op``: also (or, with ``esia=False``, only) the OIDC upstream ``partner`` at that served OP;
    ``op_options``: further fields of its upstreams entry (``trusted: true`` …); ``tracing``: the broker's
    spans go there; ``host``: the issuer's host name (``localhost`` for passkeys: WebAuthn needs a
    domain, never an IP address), served on 127.0.0.1."""
    port = free_port()
    broker = f"http://{host}:{port}"
    oidc = None if op is None else oidc_upstream(op, op_claims or {"snils": "snils"}) | dict(op_options or {})
    async with running_mock(mock_settings(redis_url, **(mock_options or {})), signer) as mock:
        register_broker_at_mock(mock.state, signer, broker)
        upstreams = write_upstreams(
            directory, mock, signer, extra_upstreams, esia=esia, esia_options=esia_options, oidc=oidc
        )
        settings = Settings(
            mode="demo",
            issuer=broker,
            port=port,
            database_url=database_url,
            redis_url=redis_url,
            upstreams_file=upstreams,
        )
        redirects = nullcontext() if op is None else op_redirects_to(f"{broker}/callback/{PARTNER}")
        with redirects, serve(create_app(settings, tracing=tracing), port=port):
            async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
                yield Rig(broker=broker, mock=mock, browser=browser, database_url=database_url, op=op)


# -- what a client and a person check -------------------------------------------------------


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def start(rig: Rig, client: Any, **extra: str) -> tuple[str, str, str, str]:
    """(authorization URL, state, nonce, code_verifier) as the client library builds them."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(
        f"{rig.broker}/authorize", code_verifier=verifier, nonce=nonce, **extra
    )
    return url, state, nonce, verifier


async def id_token_claims(rig: Rig, token: str, client_id: str, nonce: str) -> dict[str, Any]:
    decoded = jwt.decode(token, KeySet.import_key_set(await rig.jwks()))
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": rig.broker},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
    ).validate(decoded.claims)
    return dict(decoded.claims)


def assert_code_redirect(rig: Rig, response: httpx.Response, redirect_uri: str, state: str) -> str:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(redirect_uri + "?"), location
    params = query(location)
    assert params["state"] == state
    assert params["iss"] == rig.broker
    assert "code" in params
    assert response.headers["cache-control"] == "no-store"
    return str(location)


def assert_page(response: httpx.Response, status: int, *texts: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"] in response.text
    for text in texts:
        assert text in response.text
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]


def params_state(authorize_url: str) -> str:
    return query(authorize_url)["state"]


def find_link(html: str, text: str) -> str:
    import re
    from html import unescape

    for href, label in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', html):
        if label.strip() == text:
            return unescape(href)
    raise AssertionError(f"no link {text!r}")


async def through_esia_logout(rig: Rig, answer: httpx.Response) -> httpx.Response:
    """The broker's logout answer → ESIA's ``/idp/ext/Logout`` → the broker's return: the last answer."""
    assert answer.status_code == 302, answer.text
    to_esia = answer.headers["location"]
    assert to_esia.startswith(rig.mock.url("/idp/ext/Logout?")), to_esia
    return_to = query(to_esia)["redirect_url"]
    assert return_to.startswith(f"{rig.broker}/logout/upstream?k=")
    esia = await rig.browser.get(to_esia)  # the mock ends its session and sends the browser back
    assert esia.status_code == 302, esia.text
    assert esia.headers["location"] == return_to
    return await rig.browser.get(return_to)
