"""Token revocation (RFC 7009).

A refresh token revokes its whole family: RFC 7009 §2.1 "If the particular
token is a refresh token ... the authorization server SHOULD also invalidate
all access tokens based on the same authorization grant" — the family's
tokens all stop working: its opaque access tokens at once (the family is
denied), its JWT access tokens expire within minutes. An access token (a JWT
or an opaque one) is refused by its ``jti`` on the denylist until ``exp``.

Our refresh tokens never contain a dot and our JWT access tokens always do (an
opaque access token has its own prefix and length), so the token's shape picks
the lookup and ``token_type_hint`` is only syntax-checked
("the authorization server ... MUST extend its search", §2.1). A token of
another client, an unknown or an expired one is answered like a revoked one:
RFC 7009 §2.2 "invalid tokens do not cause an error response", and another
client learns nothing about the token.

With an ``Auditor`` a revocation that took effect is one ``token.revoked`` record
(token type, ``jti`` or family id; never the token).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from frmr_sso.audit.events import SUCCESS, AuditContext, Auditor, Event
from frmr_sso.oauth.access_tokens import deny
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidToken
from frmr_sso.oauth.opaque_tokens import is_opaque
from frmr_sso.oauth.refresh import RefreshTokens
from frmr_sso.oauth.request import Params
from frmr_sso.storage.ports import KeyValueStore

MAX_TOKEN = 8192
REVOKED_REASON = "revoked_by_client"
_Revoked = tuple[str | None, dict[str, str]]  # the subject and the audit details of what took effect


class RevocationService:
    def __init__(
        self,
        *,
        refresh_tokens: RefreshTokens,
        kv: KeyValueStore,
        bearer: BearerValidator,
        clock: Callable[[], float] = time.time,
        auditor: Auditor | None = None,
    ) -> None:
        self._refresh, self._kv, self._bearer, self._clock = refresh_tokens, kv, bearer, clock
        self._auditor = auditor

    async def revoke(self, client: Client, form: Params, context: AuditContext | None = None) -> None:
        """Revoke ``token`` of the authenticated ``client``; the endpoint answers 200 (RFC 7009 §2.2)."""
        token = form.require("token", max_length=MAX_TOKEN)
        form.get("token_type_hint", max_length=32)
        if "." in token or is_opaque(token):
            revoked = await self._revoke_access_token(client, token)
        else:
            revoked = await self._revoke_refresh_token(client, token)
        if revoked is not None and self._auditor is not None:
            subject, details = revoked
            await self._auditor.record(
                Event.TOKEN_REVOKED,
                context or AuditContext(),
                outcome=SUCCESS,
                client_id=client.client_id,
                subject_id=subject,
                details=details,
            )

    async def _revoke_access_token(self, client: Client, token: str) -> _Revoked | None:
        try:
            claims = await self._bearer.validate(token)
        except InvalidToken:
            return None
        if claims.client_id != client.client_id:
            return None
        await deny(self._kv, claims.jti, exp=claims.exp, now=self._clock())
        return claims.subject, {"token_type": "access_token", "jti": claims.jti}

    async def _revoke_refresh_token(self, client: Client, token: str) -> _Revoked | None:
        found = await self._refresh.find(token)
        if found is None or found[1].client_id != client.client_id:
            return None
        now = datetime.fromtimestamp(self._clock(), UTC)
        if not await self._refresh.revoke(found[1].id, reason=REVOKED_REASON, now=now):
            return None  # already revoked: nothing took effect
        return found[1].subject, {"token_type": "refresh_token", "family_id": found[1].id}
