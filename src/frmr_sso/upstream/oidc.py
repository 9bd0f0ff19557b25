"""A generic OpenID Connect provider: discovery, code flow with PKCE S256 and nonce, userinfo.

The client authenticates with ``client_secret_basic`` (RFC 6749 §2.3.1: id and
secret form-encoded before base64). The ID token is verified against the
provider's JWKS with the algorithms its discovery document announces (never
``none`` or HMAC), then checked per ``oidc_claims``. Userinfo, when the
provider has it, must name the same ``sub``; only JSON userinfo is read. An
authorization response ``iss`` (RFC 9207) must be the issuer, and is required
when the provider announces it.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from frmr_sso.jose.digests import s256_challenge
from frmr_sso.upstream.base import ConnectorKind, UpstreamIdentity, same, snils_of
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.discovery import DiscoveryCache, ProviderMetadata
from frmr_sso.upstream.errors import (
    SnilsNotVerified,
    UpstreamDenied,
    UpstreamFailure,
    UpstreamProtocolError,
)
from frmr_sso.upstream.jose import STANDARD_ALGORITHMS, verify_jws
from frmr_sso.upstream.jwks import JwksCache
from frmr_sso.upstream.oidc_claims import ClaimsMapping, check_id_token, claim, merge_userinfo, profile, trust
from frmr_sso.upstream.transport import DEFAULT_TIMEOUT, UpstreamHttp, json_object

KNOWN_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "login_required",
        "consent_required",
        "interaction_required",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
    }
)


@dataclass(frozen=True)
class OidcOptions:
    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    display_name: str = ""
    scopes: tuple[str, ...] = ("openid", "profile")
    claims: ClaimsMapping = field(default_factory=ClaimsMapping)
    skew: float = 60.0
    require_trusted: bool = True
    discovery_ttl: float = 3600.0
    jwks_ttl: float = 300.0
    jwks_min_refetch: float = 30.0


class OidcConnector:
    kind: ConnectorKind = "oidc"

    def __init__(
        self,
        options: OidcOptions,
        *,
        http: httpx.AsyncClient,
        breaker: CircuitBreaker | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.name = options.name
        self.display_name = options.display_name or options.name
        self._http = UpstreamHttp(http, connector=options.name, breaker=breaker, timeout=timeout)
        self._discovery = DiscoveryCache(self._http, issuer=options.issuer, ttl=options.discovery_ttl)
        self._keys = JwksCache(
            self._fetch_jwks,
            connector=options.name,
            ttl=options.jwks_ttl,
            min_refetch_interval=options.jwks_min_refetch,
        )
        self._clock = clock

    @property
    def breaker(self) -> CircuitBreaker:
        return self._http.breaker

    @property
    def keys(self) -> JwksCache:
        return self._keys

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str | None, redirect_uri: str
    ) -> str:
        if not code_verifier:
            raise ValueError("the OIDC connector always uses PKCE: pass a code_verifier")
        self._http.ensure_available()
        metadata = await self._discovery.get()
        params = {
            "response_type": "code",
            "client_id": self.options.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.options.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": s256_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return metadata.authorization_endpoint + separator + urlencode(params)

    async def complete(
        self,
        *,
        params: Mapping[str, str],
        expected_state: str,
        nonce: str,
        code_verifier: str | None,
        redirect_uri: str,
    ) -> UpstreamIdentity:
        if not code_verifier:
            raise ValueError("the OIDC connector always uses PKCE: pass the login's code_verifier")
        if not same(params.get("state"), expected_state):
            raise self._protocol("the callback state is not this login's", "state_mismatch")
        metadata = await self._discovery.get()
        iss = params.get("iss")
        if (iss is not None or metadata.iss_parameter_supported) and iss != self.options.issuer:
            raise self._protocol("the authorization response names another issuer", "wrong_issuer")
        if params.get("error"):
            raise self._error(params["error"], at="callback")
        code = params.get("code")
        if not code:
            raise self._protocol("the callback has no code", "missing_code")
        tokens = await self._redeem(metadata, code, code_verifier, redirect_uri)
        algorithms = set(metadata.id_token_signing_alg_values_supported) & STANDARD_ALGORITHMS
        jws = await verify_jws(tokens["id_token"], self._keys, algorithms=algorithms, connector=self.name)
        options = self.options
        claims = check_id_token(
            jws,
            issuer=options.issuer,
            client_id=options.client_id,
            nonce=nonce,
            access_token=tokens["access_token"],
            now=self._clock(),
            skew=options.skew,
            connector=self.name,
        )
        if metadata.userinfo_endpoint:
            userinfo = await self._userinfo(metadata.userinfo_endpoint, tokens["access_token"])
            claims = merge_userinfo(claims, userinfo, connector=self.name)
        return self._identity(claims, tokens["id_token"])

    async def logout_url(self, *, id_token: str | None, return_to: str) -> str | None:
        """The provider's ``end_session_endpoint`` (RP-Initiated Logout 1.0) with ``id_token_hint``;
        None when the provider has none or its discovery document cannot be read now."""
        try:
            endpoint = (await self._discovery.get()).end_session_endpoint
        except UpstreamFailure:
            return None
        if endpoint is None:
            return None
        params = {"client_id": self.options.client_id, "post_logout_redirect_uri": return_to}
        if id_token:
            params["id_token_hint"] = id_token
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def _identity(self, claims: Mapping[str, Any], id_token: str | None = None) -> UpstreamIdentity:
        mapping = self.options.claims
        trusted, level = trust(claims, mapping)
        if self.options.require_trusted and not trusted:
            raise SnilsNotVerified("the provider does not vouch for this SNILS", connector=self.name)
        return UpstreamIdentity(
            connector=self.name,
            subject=str(claims["sub"]),
            snils=snils_of(claim(claims, mapping.snils), connector=self.name),
            trusted=trusted,
            trust_level=level,
            id_token=id_token,
            **profile(claims),
        )

    async def _redeem(
        self, metadata: ProviderMetadata, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, str]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        response = await self._http.request(
            "POST", metadata.token_endpoint, data=form, headers={"Authorization": self._basic()}
        )
        body = json_object(response)
        if response.status_code != 200:
            raise self._error(str((body or {}).get("error", "")), at="token endpoint")
        if body is None:
            raise self._protocol("the token answer is not a JSON object", "malformed_response")
        for name in ("access_token", "id_token"):
            if not isinstance(body.get(name), str):
                raise self._protocol(f"the token answer has no {name}", "malformed_response")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise self._protocol("the token answer is not a Bearer token", "malformed_response")
        return {"access_token": body["access_token"], "id_token": body["id_token"]}

    async def _userinfo(self, url: str, access_token: str) -> dict[str, Any]:
        response = await self._http.request("GET", url, headers={"Authorization": f"Bearer {access_token}"})
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        body = json_object(response) if media_type == "application/json" else None
        if response.status_code != 200 or body is None:
            raise self._protocol(f"userinfo answered {response.status_code} {media_type}", "bad_userinfo")
        return body

    async def _fetch_jwks(self) -> Mapping[str, Any]:
        metadata = await self._discovery.get()
        response = await self._http.request("GET", metadata.jwks_uri)
        body = json_object(response)
        if response.status_code != 200 or body is None:
            raise self._protocol(f"the JWKS answered {response.status_code}", "bad_jwks")
        return body

    def _basic(self) -> str:
        pair = f"{quote_plus(self.options.client_id)}:{quote_plus(self.options.client_secret)}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    def _error(self, error: str, *, at: str) -> UpstreamFailure:
        if error == "access_denied":
            return UpstreamDenied(f"the provider answered access_denied at the {at}", connector=self.name)
        if error in ("temporarily_unavailable", "server_error"):
            message = f"the provider answered {error} at the {at}"
            if at == "callback":  # the browser brought it, anyone can forge it: not a breaker failure
                return self._http.unavailable(message, reason=error)
            return self._http.failed(message, reason=error)
        reason = error if error in KNOWN_ERRORS else "provider_error"
        return self._protocol(f"the provider answered {reason} at the {at}", reason)

    def _protocol(self, message: str, reason: str) -> UpstreamProtocolError:
        return UpstreamProtocolError(message, connector=self.name, reason=reason)
