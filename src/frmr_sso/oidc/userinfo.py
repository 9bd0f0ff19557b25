"""The UserInfo endpoint's core (OIDC Core §5.3; RFC 6750 §3.1 errors).

When the token endpoint issues an access token for an end-user, it stores the
claims that token's scope releases (``save_snapshot``) in the key-value store
under the token's ``jti``, for exactly the token's lifetime. UserInfo then
needs no database round trip: it verifies the JWT against the in-memory keys,
checks the ``jti`` denylist and reads the snapshot. A client_credentials token
has no snapshot (and no ``openid`` scope), so it never reaches a user's claims.

    oauth.bearer (JWT typ at+jwt, iss, exp, denylist; "openid", aud) ─▶ snapshot
        InvalidToken 401 / InsufficientScope 403                      InvalidToken
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InvalidToken
from frmr_sso.oauth.scope import OPENID
from frmr_sso.oidc.claims import claims_for_scope, userinfo
from frmr_sso.storage.ports import KeyValueStore

SNAPSHOT_PREFIX = "oidc:userinfo:"


def snapshot_entry(jti: str, claims: Mapping[str, Any], scope: Iterable[str]) -> tuple[str, str]:
    """The key-value entry that keeps the claims ``scope`` releases for the access token ``jti``."""
    released = claims_for_scope(claims, scope)
    return SNAPSHOT_PREFIX + jti, json.dumps(released, ensure_ascii=False)


async def save_snapshot(
    kv: KeyValueStore, jti: str, claims: Mapping[str, Any], scope: Iterable[str], *, ttl: float
) -> None:
    """Keep the claims ``scope`` releases from the login's ``claims`` for the access token ``jti``."""
    await kv.set(*snapshot_entry(jti, claims, scope), ttl=ttl)


async def load_snapshot(kv: KeyValueStore, jti: str) -> dict[str, Any] | None:
    raw = await kv.get(SNAPSHOT_PREFIX + jti)
    if raw is None:
        return None
    snapshot: dict[str, Any] = json.loads(raw)
    return snapshot


class UserInfoService:
    def __init__(self, *, bearer: BearerValidator, kv: KeyValueStore) -> None:
        self._bearer, self._kv = bearer, kv

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """``sub`` and the claims of the token's scope; InvalidToken or InsufficientScope otherwise."""
        claims = await self._bearer.require(access_token, scopes={OPENID})
        snapshot = await load_snapshot(self._kv, claims.jti)
        if snapshot is None:
            raise InvalidToken("the access token was not issued for an end-user")
        return userinfo(claims.subject, snapshot, claims.scopes)
