"""A small OpenID Provider for the generic OIDC connector's tests, served over real HTTP.

Discovery, JWKS, ``/authorize`` (auto-consent: redirects at once with a code),
``/token`` (``client_secret_basic``, PKCE S256 checked, one-time codes) and
``/userinfo``. Tests bend it through plain attributes: ``claims`` (the person),
``id_token_claims`` (overrides, ``None`` removes a claim), ``userinfo_claims``,
``sign_with`` (a key that is not published), ``rotate()`` (a new published key),
``hmac_secret`` / ``unsigned`` (tokens no relying party may accept), ``deny``.
Hostile ones for the security suite: ``hmac_with_public_key`` (HS256 keyed with the published
RSA key's PEM, the algorithm-confusion attack), ``replay_id_token`` (answer with an ID token of
an earlier login: its nonce is not this login's), ``response_iss`` (the ``iss`` of the
authorization response, e.g. another upstream's issuer: the mix-up attack); ``issued_id_tokens``
keeps every ID token handed out.
Written by hand, not with the connector's code, so the two can disagree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.servers import serve

CLIENT_ID = "hospital-rp"
CLIENT_SECRET = "rp secret/with:odd+chars"
REDIRECT_URI = "http://127.0.0.1:9/callback/partner"


@dataclass
class OpKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> OpKey:
        return cls(secrets.token_urlsafe(8), rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class OpenIdProvider:
    issuer: str = ""
    published: list[OpKey] = field(default_factory=lambda: [OpKey.generate()])
    sign_with: OpKey | None = None  # None: the newest published key
    claims: dict[str, Any] = field(default_factory=dict)
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    discovery_extra: dict[str, Any] = field(default_factory=dict)
    deny: bool = False
    hmac_secret: str | None = None  # sign the ID token with HS256 under this secret instead
    unsigned: bool = False  # an ``alg: none`` ID token
    hmac_with_public_key: bool = False  # HS256 keyed with the signing key's public PEM
    replay_id_token: str | None = None  # hand out this ID token instead of a fresh one
    response_iss: str | None = None  # the authorization response's ``iss`` (None: the issuer)
    issued_id_tokens: list[str] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def rotate(self) -> OpKey:
        key = OpKey.generate()
        self.published.insert(0, key)
        return key

    def app(self) -> Starlette:
        routes = [
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
        ]
        return Starlette(routes=routes)

    async def discovery(self, request: Request) -> Response:
        self.requests.append("discovery")
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "authorization_response_iss_parameter_supported": True,
                **self.discovery_extra,
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.requests.append("jwks")
        return JSONResponse({"keys": [key.jwk() for key in self.published]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") != REDIRECT_URI:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        answer: dict[str, str] = {"state": q.get("state", ""), "iss": self.response_iss or self.issuer}
        if self.deny:
            answer["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": q.get("nonce", ""), "challenge": q.get("code_challenge", "")}
            answer["code"] = code
        return RedirectResponse(f"{REDIRECT_URI}?{urlencode(answer)}", status_code=302)

    def _client_ok(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return (unquote_plus(client_id), unquote_plus(secret)) == (CLIENT_ID, CLIENT_SECRET)

    async def token(self, request: Request) -> Response:
        self.requests.append("token")
        form = await request.form()
        if not self._client_ok(request):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        if grant is None or form.get("redirect_uri") != REDIRECT_URI or challenge != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access_token = secrets.token_urlsafe(24)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.claims.get("sub"),
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant["nonce"],
            "amr": ["pwd", "otp"],
            "acr": "urn:test:loa:high",
            "sid": "op-session-1",
            "at_hash": _b64(hashlib.sha256(access_token.encode()).digest()[:16]),
            **{k: v for k, v in self.claims.items() if k != "sub"},
        }
        claims.update(self.id_token_claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.sign_with or self.published[0]
        if self.replay_id_token is not None:
            id_token = self.replay_id_token
        elif self.unsigned:
            id_token = jwt.encode(claims, "", algorithm="none")
        elif self.hmac_with_public_key:
            id_token = _hs256_with_public_key(claims, key)
        elif self.hmac_secret is not None:
            id_token = jwt.encode(claims, self.hmac_secret, algorithm="HS256", headers={"kid": key.kid})
        else:
            id_token = jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})
        self.issued_id_tokens.append(id_token)
        return JSONResponse(
            {"access_token": access_token, "id_token": id_token, "token_type": "Bearer", "expires_in": 300},
            headers={"Cache-Control": "no-store"},
        )

    async def userinfo(self, request: Request) -> Response:
        self.requests.append("userinfo")
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        body = {**self.claims, **self.userinfo_claims}
        return JSONResponse({k: v for k, v in body.items() if v is not None})


def _hs256_with_public_key(claims: dict[str, Any], key: OpKey) -> str:
    """By hand: PyJWT refuses to use a PEM public key as an HMAC secret (as a verifier must)."""
    secret = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@contextmanager
def running_op(op: OpenIdProvider | None = None) -> Iterator[OpenIdProvider]:
    op = op or OpenIdProvider()
    with serve(op.app()) as base:
        op.issuer = base
        yield op
