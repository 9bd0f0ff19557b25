"""The UserInfo endpoint's core (OIDC Core §5.3; RFC 6750 §3.1 errors).

When the token endpoint issues an access token for an end-user, it stores the
claims that token's scope releases (``save_snapshot``) in the key-value store
under the token's ``jti``, for exactly the token's lifetime. UserInfo then
needs no database round trip: it verifies the JWT against the in-memory keys,
checks the ``jti`` denylist and reads the snapshot. A client_credentials token
has no snapshot (and no ``openid`` scope), so it never reaches a user's claims.

    verify JWT (typ at+jwt, iss, aud, exp) ─▶ denylist ─▶ "openid" in scope ─▶ snapshot
        InvalidToken 401                        InvalidToken    InsufficientScope 403   InvalidToken
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from frmr_sso.oauth.access_tokens import AT_JWT, is_denied
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.ports import JwtVerifier
from frmr_sso.oauth.scope import OPENID
from frmr_sso.oidc.claims import claims_for_scope, userinfo
from frmr_sso.storage.ports import KeyValueStore

_SNAPSHOT_PREFIX = "oidc:userinfo:"


async def save_snapshot(
    kv: KeyValueStore, jti: str, claims: Mapping[str, Any], scope: Iterable[str], *, ttl: float
) -> None:
    """Keep the claims ``scope`` releases from the login's ``claims`` for the access token ``jti``."""
    released = claims_for_scope(claims, scope)
    await kv.set(_SNAPSHOT_PREFIX + jti, json.dumps(released, ensure_ascii=False), ttl=ttl)


async def load_snapshot(kv: KeyValueStore, jti: str) -> dict[str, Any] | None:
    raw = await kv.get(_SNAPSHOT_PREFIX + jti)
    if raw is None:
        return None
    snapshot: dict[str, Any] = json.loads(raw)
    return snapshot


class UserInfoService:
    def __init__(
        self,
        *,
        issuer: str,
        verifier: JwtVerifier,
        kv: KeyValueStore,
        audience: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer, self._audience = issuer, audience or issuer
        self._verifier, self._kv, self._clock = verifier, kv, clock

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """``sub`` and the claims of the token's scope; InvalidToken or InsufficientScope otherwise."""
        claims = await self._verifier.verify(access_token, typ=AT_JWT)
        if claims is None or claims.get("iss") != self._issuer or not self._for_us(claims.get("aud")):
            raise InvalidToken("the access token is invalid or expired")
        jti, subject, exp = claims.get("jti"), claims.get("sub"), claims.get("exp")
        if not isinstance(jti, str) or not isinstance(subject, str) or not isinstance(exp, int):
            raise InvalidToken("the access token is invalid or expired")
        if exp <= self._clock() or await is_denied(self._kv, jti):
            raise InvalidToken("the access token is invalid or expired")
        scope = str(claims.get("scope", "")).split()
        if OPENID not in scope:
            raise InsufficientScope("the access token lacks the openid scope", scope=OPENID)
        snapshot = await load_snapshot(self._kv, jti)
        if snapshot is None:
            raise InvalidToken("the access token was not issued for an end-user")
        return userinfo(subject, snapshot, scope)

    def _for_us(self, audience: object) -> bool:
        if isinstance(audience, str):
            return audience == self._audience
        return isinstance(audience, list) and self._audience in audience
