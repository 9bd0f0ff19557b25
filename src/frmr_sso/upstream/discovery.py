"""OpenID Provider metadata (OpenID Connect Discovery 1.0), fetched lazily and cached.

The document's ``issuer`` must be exactly the configured one (Discovery §4.3:
otherwise an attacker's document could name someone else's endpoints), and
its endpoints must use https unless the issuer itself is plain http (a
loopback provider in development and tests). Concurrent logins share one fetch;
when a refetch finds the provider down, the cached document stays in use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from frmr_sso.upstream.errors import UpstreamProtocolError, UpstreamUnavailable
from frmr_sso.upstream.transport import UpstreamHttp, json_object

WELL_KNOWN = "/.well-known/openid-configuration"
STALE_RETRY = 30.0
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_signing_alg_values_supported: tuple[str, ...]
    code_challenge_methods_supported: tuple[str, ...] | None
    iss_parameter_supported: bool
    end_session_endpoint: str | None = None


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(item for item in value if isinstance(item, str))


def parse_metadata(document: Mapping[str, Any], *, issuer: str, connector: str = "") -> ProviderMetadata:
    def reject(message: str) -> UpstreamProtocolError:
        return UpstreamProtocolError(message, connector=connector, reason="bad_discovery")

    if document.get("issuer") != issuer:
        raise reject("the discovery document names another issuer")
    secure = issuer.startswith("https://")
    endpoints: dict[str, str | None] = {}
    for name in (*REQUIRED, "userinfo_endpoint", "end_session_endpoint"):
        value = document.get(name)
        if value is None and name not in REQUIRED:
            endpoints[name] = None
            continue
        if not isinstance(value, str) or not value.startswith(
            "https://" if secure else ("https://", "http://")
        ):
            raise reject(f"the discovery document's {name} is missing or not a usable URL")
        endpoints[name] = value
    methods = _strings(document.get("code_challenge_methods_supported"))
    if methods is not None and "S256" not in methods:
        raise reject("the provider does not support PKCE S256")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=str(endpoints["authorization_endpoint"]),
        token_endpoint=str(endpoints["token_endpoint"]),
        jwks_uri=str(endpoints["jwks_uri"]),
        userinfo_endpoint=endpoints["userinfo_endpoint"],
        id_token_signing_alg_values_supported=_strings(document.get("id_token_signing_alg_values_supported"))
        or ("RS256",),
        code_challenge_methods_supported=methods,
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        end_session_endpoint=endpoints["end_session_endpoint"],
    )


class DiscoveryCache:
    def __init__(
        self,
        transport: UpstreamHttp,
        *,
        issuer: str,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = transport
        self.issuer = issuer
        self.ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = 0.0

    async def get(self) -> ProviderMetadata:
        metadata = self._metadata
        if metadata is not None and self._clock() - self._fetched_at < self.ttl:
            return metadata
        async with self._lock:
            if self._metadata is not None and self._clock() - self._fetched_at < self.ttl:
                return self._metadata
            url = self.issuer.rstrip("/") + WELL_KNOWN
            try:
                response = await self._http.request("GET", url)
            except UpstreamUnavailable:
                if self._metadata is None:
                    raise
                self._fetched_at = self._clock() - self.ttl + STALE_RETRY  # keep it, try again soon
                return self._metadata
            document = json_object(response)
            if response.status_code != 200 or document is None:
                raise UpstreamProtocolError(
                    f"discovery answered {response.status_code}",
                    connector=self._http.connector,
                    reason="bad_discovery",
                )
            self._metadata = parse_metadata(document, issuer=self.issuer, connector=self._http.connector)
            self._fetched_at = self._clock()
            return self._metadata
