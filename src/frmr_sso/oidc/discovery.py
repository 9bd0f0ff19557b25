"""Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2.

Served at ``/.well-known/openid-configuration``. Every endpoint hangs off the
issuer, so changing ``FRMR_SSO_ISSUER`` (or the demo port) moves them all.
``ProviderMetadata`` renders the JSON once; the document never changes while
the process runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from frmr_sso.config import Settings
from frmr_sso.oidc.claims import SCOPE_CLAIMS
from frmr_sso.oidc.jwks import SUPPORTED_ALGORITHMS

SCOPES_SUPPORTED = ("openid", "profile", "snils", "frmr", "offline_access", "frmr.registry.read")
CLAIMS_SUPPORTED = (
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
    *(claim for claims in SCOPE_CLAIMS.values() for claim in claims),
)
ACR_VALUES_SUPPORTED = ("urn:frmr-sso:acr:esia-confirmed", "urn:frmr-sso:acr:esia-confirmed+mfa")
ENDPOINT_PATHS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks",
    "introspection_endpoint": "/introspect",
    "revocation_endpoint": "/revoke",
    "end_session_endpoint": "/logout",
}
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")  # RFC 7662 / RFC 7009 callers


def discovery_document(
    settings: Settings,
    *,
    scopes: Iterable[str] = SCOPES_SUPPORTED,
    claims: Iterable[str] = CLAIMS_SUPPORTED,
    acr_values: Iterable[str] = ACR_VALUES_SUPPORTED,
) -> dict[str, Any]:
    base = settings.issuer.rstrip("/")
    endpoints = {name: f"{base}{path}" for name, path in ENDPOINT_PATHS.items()}
    return {
        "issuer": settings.issuer,  # exactly the ``iss`` of our tokens (Discovery §3, RFC 8414 §3.3)
        **endpoints,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(ENDPOINT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(scopes),
        "claims_supported": list(claims),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "acr_values_supported": list(acr_values),
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "ui_locales_supported": ["ru"],
    }


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    document: dict[str, Any]
    json_bytes: bytes = field(repr=False)

    @classmethod
    def build(cls, settings: Settings, **options: Iterable[str]) -> ProviderMetadata:
        document = discovery_document(settings, **options)
        return cls(document, json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
