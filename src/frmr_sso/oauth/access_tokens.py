"""JWT access tokens (RFC 9068) and the revoked-token denylist (RFC 7009 §2, access tokens).

Access tokens are self-contained: a resource server checks them against the
JWKS. Revoking one therefore cannot delete it; its ``jti`` goes into a
key-value denylist until the token's own ``exp``, and introspection consults
that list. The same list refuses, for one access-token lifetime, every access
token of an ended SSO session (``sid``) and every opaque one of a revoked
refresh family: ``denial_keys`` names the entries one token is checked against,
read in one round trip. Every entry starts with ``DENY_PREFIX``: the per-instance
cache of a Redis deployment follows writes under it (``storage.kv.near_cache``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from frmr_sso.storage.ports import KeyValueStore

AT_JWT = "at+jwt"  # RFC 9068 §2.1: the "typ" header
DENY_PREFIX = "oauth:at-revoked:"
_SESSION = DENY_PREFIX + "sid:"  # a jti is base64url: never contains ':'
_FAMILY = DENY_PREFIX + "family:"


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
        await kv.set(DENY_PREFIX + jti, "1", ttl=left)


async def deny_session(kv: KeyValueStore, sid: str, *, ttl: float) -> None:
    """Refuse every access token of the SSO session ``sid`` (``ttl``: the access-token lifetime)."""
    await kv.set(_SESSION + sid, "1", ttl=ttl)


async def deny_family(kv: KeyValueStore, family_id: str, *, ttl: float) -> None:
    """Refuse every opaque access token issued with the refresh family ``family_id``."""
    await kv.set(_FAMILY + family_id, "1", ttl=ttl)


def denial_keys(jti: str, sid: str | None, family_id: str | None) -> list[str]:
    keys = [DENY_PREFIX + jti]
    if sid is not None:
        keys.append(_SESSION + sid)
    if family_id is not None:
        keys.append(_FAMILY + family_id)
    return keys


async def is_denied(kv: KeyValueStore, jti: str) -> bool:
    return await any_denied(kv, (DENY_PREFIX + jti,))


async def any_denied(kv: KeyValueStore, keys: Sequence[str]) -> bool:
    """Whether any of ``keys`` (``denial_keys``) is set, in one read."""
    return any(value is not None for value in await kv.get_many(keys))
