"""A broker imitation for the cabinet's unit tests: discovery, JWKS, token, userinfo and one API path."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://sso.test"
INTERNAL = "http://broker.internal:8000"
CLIENT_ID, SECRET = "frmr-cabinet", "cabinet-secret-123"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeBroker:
    nonce: str = ""
    access_tokens: list[str] = field(default_factory=lambda: ["at-1"])
    refreshed: int = 0
    seen: list[httpx.Request] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=lambda: {"at-1", "at-2"})
    etag: str = '"v1"'
    down: bool = False
    section: Any = field(default_factory=lambda: {"items": [{"institution": "ПМГМУ"}], "total": 1})
    me: Any = field(default_factory=lambda: {"last_name": "Иванова", "education": [], "employments": []})

    def id_token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            **claims,
        }
        return jwt.encode(body, _KEY, algorithm="RS256", headers={"kid": "k1"})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "userinfo_endpoint": f"{ISSUER}/userinfo",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "end_session_endpoint": f"{ISSUER}/logout",
                },
            )
        if path == "/jwks":
            jwk = json.loads(RSAAlgorithm.to_jwk(_KEY.public_key()))
            return httpx.Response(200, json={"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
        if path == "/token":
            return self._token(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return httpx.Response(401, json={"error": "invalid_token"})
        if path == "/userinfo":
            return httpx.Response(200, json={"sub": "subject-1", "name": "Иванова Мария Петровна"})
        if path == "/api/v1/me/education":
            if request.headers.get("if-none-match") == self.etag:
                return httpx.Response(304)
            return httpx.Response(200, json=self.section, headers={"ETag": self.etag})
        if path == "/api/v1/me":
            return httpx.Response(200, json=self.me)
        if path == "/api/v1/me/missing":
            return httpx.Response(
                404,
                json={"title": "Not Found", "detail": "no FRMR record"},
                headers={"content-type": "application/problem+json"},
            )
        return httpx.Response(
            404, json={"title": "Not Found"}, headers={"content-type": "application/problem+json"}
        )

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != "rt-1":
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.refreshed += 1
            return httpx.Response(
                200, json={"access_token": "at-2", "expires_in": 300, "refresh_token": "rt-1"}
            )
        if form.get("code") != "good-code" or not form.get("code_verifier"):
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(
            200,
            json={
                "access_token": self.access_tokens[0],
                "expires_in": 300,
                "refresh_token": "rt-1",
                "id_token": self.id_token(),
                "scope": "openid profile frmr offline_access",
            },
        )

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
