"""Helpers of the negative security suite: the broker with its audit log, token forgery, answers.

Forgeries are built by hand (``jws``) so that a library's refusal to produce them cannot hide a
missing check: ``alg: none``, HS256 keyed with the broker's own published RSA key (the classic
algorithm confusion), foreign keys under a known or unknown ``kid``; claim-level attacks are
signed with the broker's real key (``Broker.sign``), so only the claim check can stop them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.e2e.login.support import SCOPE, SPA_ID, SPA_REDIRECT, AsyncOAuth2Client
from tests.e2e.web.provider import WEB_ID, WEB_REDIRECT, WEB_SECRET, Provider, basic, grant
from tests.support.log_capture import remember

ADMIN_ID, ADMIN_SECRET = "sec-admin", "sec-admin-secret-value-1"
AUDITOR_ID, AUDITOR_SECRET = "sec-auditor", "sec-auditor-secret-value-1"
OTHER_ID, OTHER_SECRET, OTHER_REDIRECT = "other-web", "other-web-secret-value-1", "http://127.0.0.1:9997/cb"
EXTRA_CLIENTS = f"""
- client_id: {ADMIN_ID}
  name: Security administrator
  secret: "{ADMIN_SECRET}"
  grant_types: [client_credentials]
  scopes: [admin]
- client_id: {AUDITOR_ID}
  name: Auditor
  secret: "{AUDITOR_SECRET}"
  grant_types: [client_credentials]
  scopes: [audit.read]
- client_id: {OTHER_ID}
  name: Another hospital application
  secret: "{OTHER_SECRET}"
  redirect_uris: ["{OTHER_REDIRECT}"]
  grant_types: [authorization_code, refresh_token]
  scopes: [openid, profile, snils, offline_access]
"""
PARTNER_PERSON: dict[str, Any] = {
    "sub": "partner-4711",
    "family_name": "Иванова",
    "given_name": "Мария",
    "birthdate": "1985-03-14",
    "person": {"snils": "112-233-445 95"},  # the demo doctor, FRMR-0000001
    "confirmed": True,
}
PARTNER_CLAIMS = {"snils": "person.snils", "trusted": "confirmed"}
WEB = basic(WEB_ID, WEB_SECRET)
OTHER = basic(OTHER_ID, OTHER_SECRET)
ADMIN = basic(ADMIN_ID, ADMIN_SECRET)
AUDITOR = basic(AUDITOR_ID, AUDITOR_SECRET)


@dataclass
class Broker:
    provider: Provider
    database_url: str

    @property
    def base(self) -> str:
        return self.provider.base

    async def audit(self) -> list[AuditRecord]:
        """The broker's audit records, read on the test's own loop (the broker runs in a thread)."""
        engine = create_engine(self.database_url)
        try:
            return list(await SqlAuditRepository(engine).list(limit=100_000))
        finally:
            await engine.dispose()

    async def records_of(self, response: httpx.Response) -> list[AuditRecord]:
        """The audit records written while answering ``response`` (by its request id)."""
        rid = response.headers["x-request-id"]
        return [r for r in await self.audit() if r.request_id == rid]

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        """Signed with the broker's own active key: only a claim check can refuse it."""
        return str(self.provider.app.state.container.keys.sign(claims, alg="RS256", typ=typ))

    async def mint_code(self, code_grant: CodeGrant | None = None) -> str:
        code = await self.provider.mint_code(code_grant or grant())
        remember(code)
        return code


def offline_web() -> AsyncOAuth2Client:
    """demo-web as authlib's client, asking for ``offline_access`` too (a refresh token)."""
    return AsyncOAuth2Client(
        client_id=WEB_ID,
        client_secret=WEB_SECRET,
        redirect_uri=WEB_REDIRECT,
        scope=SCOPE + " offline_access",
        token_endpoint_auth_method="client_secret_basic",
    )


def offline_spa() -> AsyncOAuth2Client:
    """demo-spa (public, PKCE) as authlib's client, asking for ``offline_access`` too."""
    return AsyncOAuth2Client(
        client_id=SPA_ID,
        redirect_uri=SPA_REDIRECT,
        scope=SCOPE + " offline_access",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


# -- answers --------------------------------------------------------------------------------


def oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


async def one_refusal(broker: Broker, response: httpx.Response, event: str, **details: Any) -> AuditRecord:
    """Exactly one ``event`` failure record for ``response``, with these details."""
    found = [r for r in await broker.records_of(response) if r.event_type == event]
    assert len(found) == 1, [(r.event_type, r.details) for r in await broker.records_of(response)]
    [record] = found
    assert (record.outcome, record.ip) == ("failure", "127.0.0.1")
    for name, value in details.items():
        assert record.details.get(name) == value, (name, record.details)
    return record


# -- tokens ---------------------------------------------------------------------------------


async def exchange(
    http: httpx.AsyncClient,
    code: str,
    *,
    redirect_uri: str = WEB_REDIRECT,
    headers: dict[str, str] = WEB,
    **extra: str,
) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    response = await http.post("/token", data=form, headers=headers)
    if response.status_code == 200:
        body = response.json()
        remember(body.get("access_token"), body.get("refresh_token"), body.get("id_token"))
    return response


async def refresh(http: httpx.AsyncClient, token: str, headers: dict[str, str] = WEB) -> httpx.Response:
    response = await http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": token}, headers=headers
    )
    if response.status_code == 200:
        body = response.json()
        remember(body.get("access_token"), body.get("refresh_token"), body.get("id_token"))
    return response


async def tokens(broker: Broker, http: httpx.AsyncClient, **grant_fields: Any) -> dict[str, Any]:
    response = await exchange(http, await broker.mint_code(grant(**grant_fields)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def userinfo(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})


async def introspect(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await http.post("/introspect", data={"token": token}, headers=WEB)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- forgery --------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    pad = lambda text: text + "=" * (-len(text) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(
        base64.urlsafe_b64decode(pad(payload))
    )


def jws(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A compact JWS over exactly this header and these claims; ``sign(signing_input) -> bytes``."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode("ascii")) if sign is not None else b""
    return f"{signing_input}.{b64url(signature)}"


def public_pem(jwks: dict[str, Any], kid: str) -> bytes:
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    key = RSAAlgorithm.from_jwk(jwk)
    assert isinstance(key, rsa.RSAPublicKey)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def hs256_with(secret: bytes) -> Any:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def rs256_with(key: rsa.RSAPrivateKey) -> Any:
    algorithm = jwt.get_algorithm_by_name("RS256")
    return lambda data: algorithm.sign(data, key)


FOREIGN_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def forgeries(token: str, jwks: dict[str, Any], broker: Broker | None = None) -> dict[str, str]:
    """Variants of the real ``token`` that no endpoint may accept, by attack name; with ``broker``
    also the claim-level ones signed with its real key."""
    header, claims = parts(token)
    kid, now = header["kid"], int(time.time())
    typ = header.get("typ", "JWT")
    forged = {
        "alg-none": jws({**header, "alg": "none"}, claims),
        "alg-none-no-kid": jws({"alg": "none", "typ": typ}, claims),
        "hs256-with-the-public-key": jws(
            {**header, "alg": "HS256"}, claims, hs256_with(public_pem(jwks, kid))
        ),
        "unknown-kid": jws({**header, "kid": "rogue-kid"}, claims, rs256_with(FOREIGN_KEY)),
        "known-kid-foreign-key": jws(header, claims, rs256_with(FOREIGN_KEY)),
        "payload-changed": ".".join(
            [
                token.split(".")[0],
                b64url(json.dumps({**claims, "scope": claims.get("scope", "") + " admin"}).encode()),
                token.split(".")[2],
            ]
        ),
    }
    if broker is None:
        return forged
    forged.update(
        {
            "wrong-iss": broker.sign({**claims, "iss": "https://evil.example"}, typ=typ),
            "wrong-aud": broker.sign({**claims, "aud": "https://other-api.example"}, typ=typ),
            "expired": broker.sign({**claims, "iat": now - 900, "exp": now - 600}, typ=typ),
            "nbf-in-the-future": broker.sign({**claims, "nbf": now + 3600}, typ=typ),
            "iat-in-the-future": broker.sign({**claims, "iat": now + 3600, "exp": now + 3900}, typ=typ),
        }
    )
    return forged
