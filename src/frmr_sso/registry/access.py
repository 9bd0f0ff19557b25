"""Who may read the registry through the REST API: bearer access tokens of this broker, by scope.

- ``frmr`` (with ``openid``): an end-user token; ``/api/v1/me`` is that
  worker's own record. The token's FRMR person is the one its login was mapped
  to: the ``frmr_person_id`` claim the token endpoint kept with the token for
  UserInfo (``oidc.userinfo``, stored for exactly the token's lifetime; on
  refresh it comes again from the refresh family). A client_credentials token
  has no such claim and never reaches a worker's record.
- ``frmr.registry.read``: a service (client_credentials) looks persons up by
  SNILS or FRMR id.

Every token must be an RFC 9068 JWT of this broker (``typ`` at+jwt, our issuer
and audience, unexpired, not revoked): ``InvalidToken`` (401) otherwise, and
``InsufficientScope`` (403) when the scope is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from frmr_sso.oauth.access_tokens import AT_JWT, is_denied
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.ports import JwtVerifier
from frmr_sso.oauth.scope import OPENID
from frmr_sso.oidc.userinfo import load_snapshot
from frmr_sso.storage.ports import KeyValueStore

WORKER_SCOPE = "frmr"
REGISTRY_READ_SCOPE = "frmr.registry.read"


class RegistryAccess:
    def __init__(
        self, *, issuer: str, verifier: JwtVerifier, kv: KeyValueStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._issuer, self._verifier, self._kv, self._clock = issuer, verifier, kv, clock

    async def claims(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token of this broker; InvalidToken otherwise."""
        claims = await self._verifier.verify(token, typ=AT_JWT)
        invalid = InvalidToken("the access token is invalid or expired")
        if claims is None or claims.get("iss") != self._issuer:
            raise invalid
        audience, jti, exp = claims.get("aud"), claims.get("jti"), claims.get("exp")
        if audience != self._issuer and not (isinstance(audience, list) and self._issuer in audience):
            raise invalid
        if not isinstance(jti, str) or not isinstance(exp, int) or exp <= self._clock():
            raise invalid
        if await is_denied(self._kv, jti):
            raise invalid
        return claims

    async def worker(self, token: str) -> str:
        """The FRMR id of the worker an end-user token with ``openid frmr`` was issued for."""
        claims = await self.claims(token)
        scope = str(claims.get("scope", "")).split()
        needed = f"{OPENID} {WORKER_SCOPE}"
        if WORKER_SCOPE not in scope or OPENID not in scope:
            raise InsufficientScope(f"the access token lacks the scopes {needed}", scope=needed)
        snapshot = await load_snapshot(self._kv, str(claims["jti"]))
        frmr_id = None if snapshot is None else snapshot.get("frmr_person_id")
        if not isinstance(frmr_id, str):
            raise InsufficientScope("the access token was not issued for a medical worker", scope=needed)
        return frmr_id

    async def service(self, token: str) -> dict[str, Any]:
        """The claims of a token holding ``frmr.registry.read``."""
        claims = await self.claims(token)
        if REGISTRY_READ_SCOPE not in str(claims.get("scope", "")).split():
            raise InsufficientScope(
                f"the access token lacks the {REGISTRY_READ_SCOPE} scope", scope=REGISTRY_READ_SCOPE
            )
        return claims
