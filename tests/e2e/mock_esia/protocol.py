"""A relying party for the protocol tests: signed ``/v2/ac`` and ``/v3/te`` against a served mock.

``running_esia`` serves mock ESIA (dev mode, its own KV prefix, memory or
Redis) under real uvicorn with these clients registered:

============  =======  ===========================================================
RSA01         rsa      every scope, both grants, two redirect URIs, any account
RSA02         rsa      same key as RSA01 (a second system of the same owner)
GOST01        gost     every scope, both grants, any account
NARROW01      rsa      ``openid fullname`` only, authorization_code only
TRUSTED01     rsa      confirmed accounts only (ESIA-007055 otherwise)
INACTIVE01    rsa      certificate inactive
NOKEY01       rsa      no key registered yet
============  =======  ===========================================================

The login step is done through ``POST /_dev/codes`` (dev mode), so these tests
do not depend on the login pages.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from frmr_sso.upstream.esia_signer import ClientSecretSigner, GostSecretSigner, RsaSecretSigner
from mock_esia.app import create_app
from mock_esia.clients import RegisteredClient
from mock_esia.config import MockSettings
from mock_esia.errors import ESIA_MESSAGES, OAUTH_ERROR
from mock_esia.state import MockState
from mock_esia.timestamps import format_timestamp
from tests.support.esia_mock import purge_mock_keys
from tests.support.servers import serve

REDIRECT_URI = "http://127.0.0.1:9/esia/callback"
OTHER_REDIRECT_URI = "http://127.0.0.1:9/esia/other"
CERT = "C0FFEE" * 10 + "C0DE"
SCOPE = "openid fullname snils"
DOCTOR = 1000299654  # confirmed, contacts MBT + EML, an address, a passport
STANDARD = 1000299656  # standard (not confirmed)
AC = "/aas/oauth2/v2/ac"
TE = "/aas/oauth2/v3/te"
AC_SIGNED = ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")

RSA_SIGNER = RsaSecretSigner.generate()
GOST_SIGNER = GostSecretSigner.generate()
SIGNERS: dict[str, ClientSecretSigner] = {
    "RSA01": RSA_SIGNER, "RSA02": RSA_SIGNER, "GOST01": GOST_SIGNER, "NARROW01": RSA_SIGNER,
    "TRUSTED01": RSA_SIGNER, "INACTIVE01": RSA_SIGNER, "NOKEY01": RSA_SIGNER,
}


def now_timestamp(shift: timedelta = timedelta()) -> str:
    return format_timestamp((datetime.now(UTC) + shift).astimezone())


def sign(client_id: str, fields: dict[str, str], *names: str, padded: bool = False) -> str:
    secret = SIGNERS.get(client_id, RSA_SIGNER).sign("".join(fields.get(n, "") for n in names).encode())
    return secret + "=" * (-len(secret) % 4) if padded else secret


def _finish(
    params: dict[str, str], overrides: dict[str, str | None], signed: tuple[str, ...], *, padded: bool
) -> dict[str, str]:
    """Apply ``overrides`` (None removes), then sign unless ``client_secret`` is overridden."""
    for name, value in overrides.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    if "client_secret" not in overrides:
        params["client_secret"] = sign(params.get("client_id", ""), params, *signed, padded=padded)
    return params


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def _clients() -> list[RegisteredClient]:
    rsa_pem = RSA_SIGNER.public_key_pem()
    base: dict[str, Any] = {
        "redirect_uris": (REDIRECT_URI, OTHER_REDIRECT_URI), "certificate_hash": CERT,
        "public_key": rsa_pem, "require_trusted": False,
    }
    return [
        RegisteredClient(client_id="RSA01", **base),
        RegisteredClient(client_id="RSA02", **base),
        RegisteredClient(
            client_id="GOST01", **{**base, "public_key": GOST_SIGNER.public_key_hex()}, signature="gost"
        ),
        RegisteredClient(
            client_id="NARROW01", **base, scopes=frozenset({"openid", "fullname"}),
            grant_types=frozenset({"authorization_code"}),
        ),
        RegisteredClient(client_id="TRUSTED01", **{**base, "require_trusted": True}),
        RegisteredClient(client_id="INACTIVE01", **base, active=False),
        RegisteredClient(client_id="NOKEY01", **{**base, "public_key": None}),
    ]


@dataclass
class Esia:
    base: str
    settings: MockSettings
    state: MockState
    http: httpx.AsyncClient

    def ac_params(
        self, client_id: str = "RSA01", *, padded: bool = False, **overrides: str | None
    ) -> dict[str, str]:
        """Signed /v2/ac parameters; ``overrides`` apply before signing (None removes a parameter)."""
        params = {
            "client_id": client_id, "client_certificate_hash": CERT, "redirect_uri": REDIRECT_URI,
            "scope": SCOPE, "scope_org": "", "response_type": "code", "state": str(uuid.uuid4()),
            "timestamp": now_timestamp(), "access_type": "online",
        }
        return _finish(params, overrides, AC_SIGNED, padded=padded)

    async def ac(self, params: Any) -> httpx.Response:
        return await self.http.get(AC, params=params)

    async def login(self, client_id: str = "RSA01", oid: int = DOCTOR, **overrides: str | None) -> str:
        """The code of a completed login (the redirect's ``code``)."""
        response = await self.ac(self.ac_params(client_id, **overrides))
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith("/login?tx="), location
        minted = await self.http.post("/_dev/codes", json={"tx": location.split("tx=", 1)[1], "oid": oid})
        assert minted.status_code == 200, minted.text
        query = parse_qs(urlsplit(minted.json()["location"]).query)
        return query["code"][0]

    def te_form(
        self, client_id: str = "RSA01", *, code: str | None = None, refresh_token: str | None = None,
        padded: bool = False, **overrides: str | None,
    ) -> dict[str, str]:
        form = {
            "client_id": client_id, "client_certificate_hash": CERT, "redirect_uri": REDIRECT_URI,
            "scope": SCOPE, "scope_org": "", "state": str(uuid.uuid4()), "timestamp": now_timestamp(),
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            form.update(grant_type="refresh_token", refresh_token=refresh_token)
        else:
            form.update(grant_type="authorization_code", code=code or "")
        names = (*AC_SIGNED, "code") if form["grant_type"] == "authorization_code" else AC_SIGNED
        return _finish(form, overrides, names, padded=padded)

    async def te(self, form: Any) -> httpx.Response:
        return await self.http.post(TE, data=form)

    async def tokens(self, client_id: str = "RSA01", oid: int = DOCTOR, **ac: str | None) -> dict[str, Any]:
        scope = ac.get("scope") or SCOPE
        code = await self.login(client_id, oid, **ac)
        response = await self.te(self.te_form(client_id, code=code, scope=scope))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def assert_error(response: httpx.Response, code: str, state: str | None) -> None:
    assert response.status_code == 400, response.text
    expected = {"error": OAUTH_ERROR[code], "error_description": f"{code}: {ESIA_MESSAGES[code]}"}
    if state:
        expected["state"] = state
    assert response.json() == expected
    assert response.headers["cache-control"] == "no-store"


def verify_rs256(esia: Esia, token: str, **kwargs: object) -> dict[str, object]:
    """Independent check with PyJWT against the published JWKS."""
    jwks = httpx.get(esia.base + "/jwks").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, object] = jwt.decode(token, key, algorithms=["RS256"], **kwargs)  # type: ignore[arg-type]
    return claims


@asynccontextmanager
async def running_esia(redis_url: str | None, **overrides: Any) -> AsyncIterator[Esia]:
    settings = MockSettings(
        dev=overrides.pop("dev", True), redis_url=redis_url,
        kv_prefix=f"mock_esia:proto:{uuid.uuid4().hex}:", **overrides,
    )
    app = create_app(settings)
    state: MockState = app.state.mock
    for client in _clients():
        state.clients.register(client)
    try:
        with serve(app) as base:
            async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=15) as http:
                yield Esia(base=base, settings=settings, state=state, http=http)
    finally:
        await purge_mock_keys(settings)
