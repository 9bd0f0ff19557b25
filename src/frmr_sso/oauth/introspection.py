"""Token introspection (RFC 7662) for resource servers and clients.

Only confidential clients may ask (§2.1 "the endpoint MUST also require some
form of authorization"): the caller authenticates them, and a public client
is refused. Any confidential client may introspect an access token (resource
servers are registered as clients); a refresh token is shown only to the
client it was issued to. Everything else — unknown, expired, revoked, used,
another client's refresh token — is ``{"active": false}`` (§2.2), with no
hint why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidClient, InvalidToken
from frmr_sso.oauth.opaque_tokens import is_opaque
from frmr_sso.oauth.refresh import RefreshTokens, expires_at, is_active
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.revocation import MAX_TOKEN
from frmr_sso.oauth.scope import format_scope

INACTIVE: dict[str, Any] = {"active": False}
_ACCESS_TOKEN_MEMBERS = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "acr")


class IntrospectionService:
    def __init__(
        self,
        *,
        issuer: str,
        refresh_tokens: RefreshTokens,
        bearer: BearerValidator,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._refresh, self._bearer, self._clock = refresh_tokens, bearer, clock

    async def introspect(self, client: Client, form: Params) -> dict[str, Any]:
        """The RFC 7662 §2.2 response body; send it with ``Cache-Control: no-store``."""
        if client.public:
            raise InvalidClient("public clients may not introspect tokens")
        token = form.require("token", max_length=MAX_TOKEN)
        form.get("token_type_hint", max_length=32)
        if "." in token or is_opaque(token):
            return await self._access_token(token)
        return await self._refresh_token(client, token)

    async def _access_token(self, token: str) -> dict[str, Any]:
        try:
            claims = (await self._bearer.validate(token)).raw
        except InvalidToken:
            return dict(INACTIVE)
        body: dict[str, Any] = {"active": True, "token_type": "Bearer"}
        body.update((name, claims[name]) for name in _ACCESS_TOKEN_MEMBERS if name in claims)
        return body

    async def _refresh_token(self, client: Client, token: str) -> dict[str, Any]:
        found = await self._refresh.find(token)
        if found is None:
            return dict(INACTIVE)
        record, family = found
        now = datetime.fromtimestamp(self._clock(), UTC)
        if family.client_id != client.client_id or not is_active(record, family, now):
            return dict(INACTIVE)
        return {
            "active": True,
            "token_type": "refresh_token",
            "scope": format_scope(family.scope),
            "client_id": family.client_id,
            "sub": family.subject,
            "iss": self._issuer,
            "iat": int(record.created_at.timestamp()),
            "exp": int(expires_at(record, family).timestamp()),
        }
