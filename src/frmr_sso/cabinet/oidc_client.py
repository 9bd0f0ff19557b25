"""The cabinet as an OpenID Connect relying party of the broker, over its public endpoints only.

Authorization code flow with PKCE S256 and a confidential client
(``client_secret_basic``): ``start`` builds the ``/authorize`` URL, ``redeem``
exchanges the code and checks the ID token (signature by the published JWKS,
``iss``, ``aud``, ``exp``, ``nonce``), ``refresh`` rotates the refresh token,
``end_session_url`` is the RP-initiated logout. Endpoint URLs come from the
discovery document; back-channel calls may go to ``internal_url`` instead of the
public issuer (same paths), for deployments where the broker is reached inside.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from frmr_sso.errors import FrmrSsoError

ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]
LEEWAY = 60


class BrokerError(FrmrSsoError):
    """The broker refused or did not answer; ``status`` is its HTTP status (0: unreachable)."""

    def __init__(self, message: str, *, status: int = 0, error: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error = status, error


@dataclass(frozen=True, slots=True)
class LoginStart:
    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_at: float
    scope: str

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tokens:
        return cls(
            data["access_token"],
            data.get("refresh_token"),
            data.get("id_token"),
            float(data["expires_at"]),
            data.get("scope", ""),
        )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scope: str,
        internal_url: str | None = None,
    ) -> None:
        self._http, self.issuer, self.client_id = http, issuer.rstrip("/"), client_id
        self._secret, self.redirect_uri, self.scope = client_secret, redirect_uri, scope
        self._internal = (internal_url or issuer).rstrip("/")
        self._metadata: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKSet | None = None
        self._lock = asyncio.Lock()

    def backchannel(self, url: str) -> str:
        """A public broker URL as this process reaches it."""
        return self._internal + url[len(self.issuer) :] if url.startswith(self.issuer) else url

    async def metadata(self) -> dict[str, Any]:
        async with self._lock:
            if self._metadata is None:
                found = await self._json("GET", f"{self._internal}/.well-known/openid-configuration")
                if found.get("issuer") != self.issuer:
                    raise BrokerError("the discovery document names another issuer")
                self._metadata = found
            return self._metadata

    async def start(self) -> LoginStart:
        meta = await self.metadata()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        return LoginStart(f"{meta['authorization_endpoint']}?{urlencode(query)}", state, nonce, verifier)

    async def redeem(self, code: str, *, verifier: str, nonce: str) -> tuple[Tokens, dict[str, Any]]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        tokens = await self._token(form)
        if tokens.id_token is None:
            raise BrokerError("the token response has no id_token")
        claims = await self.id_token_claims(tokens.id_token)
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise BrokerError("the id_token nonce does not match this login")
        return tokens, claims

    async def refresh(self, refresh_token: str) -> Tokens:
        tokens = await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return (
            tokens
            if tokens.refresh_token
            else Tokens(tokens.access_token, refresh_token, tokens.id_token, tokens.expires_at, tokens.scope)
        )

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        meta = await self.metadata()
        headers = {"Authorization": f"Bearer {access_token}"}
        return await self._json("GET", self.backchannel(meta["userinfo_endpoint"]), headers=headers)

    async def end_session_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str:
        meta = await self.metadata()
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{meta['end_session_endpoint']}?{urlencode(query)}"

    async def id_token_claims(self, id_token: str) -> dict[str, Any]:
        return await self.verified_claims(id_token, ("exp", "iat", "sub"), what="id_token")

    async def verified_claims(self, token: str, require: tuple[str, ...], *, what: str) -> dict[str, Any]:
        """A JWT of the broker for this client: signature by the JWKS, ``iss``, ``aud``, times."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self._key(str(kid))
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": list(require)},
            )
        except jwt.PyJWTError as exc:
            raise BrokerError(f"the {what} is invalid ({type(exc).__name__})") from None
        return claims

    async def _key(self, kid: str) -> jwt.PyJWK:
        for attempt in (0, 1):
            if self._jwks is None or attempt:
                meta = await self.metadata()
                self._jwks = jwt.PyJWKSet.from_dict(
                    await self._json("GET", self.backchannel(meta["jwks_uri"]))
                )
            for key in self._jwks.keys:
                if key.key_id == kid:
                    return key
        raise BrokerError("the id_token is signed by an unknown key")

    async def _token(self, form: dict[str, str]) -> Tokens:
        meta = await self.metadata()
        data = await self._json(
            "POST", self.backchannel(meta["token_endpoint"]), data=form, auth=(self.client_id, self._secret)
        )
        if not isinstance(data.get("access_token"), str):
            raise BrokerError("the token response has no access_token")
        return Tokens(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            id_token=data.get("id_token"),
            expires_at=time.time() + float(data.get("expires_in", 60)),
            scope=str(data.get("scope", "")),
        )

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise BrokerError(f"the broker is unreachable ({type(exc).__name__})") from None
        try:
            body = response.json()
        except json.JSONDecodeError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise BrokerError(
                f"the broker answered {response.status_code}", status=response.status_code, error=error
            )
        return body
