"""JWT access tokens (RFC 9068) and the revoked-token denylist (RFC 7009 §2, access tokens).

Access tokens are self-contained: a resource server checks them against the
JWKS. Revoking one therefore cannot delete it; its ``jti`` goes into a
key-value denylist until the token's own ``exp``, and introspection consults
that list.
"""

from __future__ import annotations

import secrets
from typing import Any

from frmr_sso.storage.ports import KeyValueStore

AT_JWT = "at+jwt"  # RFC 9068 §2.1: the "typ" header
_DENY_PREFIX = "oauth:at-revoked:"


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def access_token_claims(
    *,
    issuer: str,
    audience: str | list[str],
    subject: str,
    client_id: str,
    scope: str,
    jti: str,
    now: int,
    ttl: int,
    auth_time: int | None = None,
    acr: str | None = None,
    sid: str | None = None,
) -> dict[str, Any]:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti, with scope and the login's auth_time, acr.

    For client_credentials ``subject`` is the client_id (RFC 9068 §2.2 "sub").
    """
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "client_id": client_id,
        "scope": scope,
        "jti": jti,
        "iat": now,
        "exp": now + ttl,
    }
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if acr is not None:
        claims["acr"] = acr
    if sid is not None:
        claims["sid"] = sid
    return claims


async def deny(kv: KeyValueStore, jti: str, *, exp: int, now: float) -> None:
    """Refuse the access token ``jti`` from now until it would have expired anyway."""
    left = exp - now
    if left > 0:
        await kv.set(_DENY_PREFIX + jti, "1", ttl=left)


async def is_denied(kv: KeyValueStore, jti: str) -> bool:
    return await kv.get(_DENY_PREFIX + jti) is not None
