"""The one check of this broker's access tokens at every protected resource (RFC 6750, RFC 9068).

``BearerValidator.validate`` is the whole sequence, in this order and nowhere
else: an opaque token (``oauth.opaque_tokens``) has a record in the key-value
store, whose claims then stand for the JWT's; a JWT verifies with ``typ``
at+jwt under one of our published keys, with our ``iss`` and live times
(``JwtVerifier``, ``oauth.jwt_verify``), ``jti``, ``sub``, ``client_id`` and
an integer ``exp`` are present and ``exp`` is in the future, and neither the
``jti``, the SSO session (``sid``) nor an opaque token's refresh family is on
the revocation denylist (one read); anything else is ``InvalidToken`` (401).

``require`` adds what one API asks for, as authlib's
``BearerTokenValidator.validate_token`` does: every scope in ``scopes``
(``InsufficientScope``, 403, naming them) and its ``audience`` in ``aud``
(``InvalidToken``): a token is good only for the APIs it was issued for (see
``oauth.resources``). ``person=True`` asks for a token issued at a person's
login (``auth_time``), never a client_credentials one.

    claims = await bearer.require(token, scopes={"openid", "account.sessions"}, audience=SESSIONS_API)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from frmr_sso.oauth.access_tokens import AT_JWT, any_denied, denial_keys
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.opaque_tokens import OpaqueTokens, is_opaque, read_record
from frmr_sso.oauth.ports import JwtVerifier
from frmr_sso.storage.ports import KeyValueStore

INVALID = "the access token is invalid or expired"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified claims of one access token, typed; ``raw`` is the payload as signed."""

    subject: str
    client_id: str
    jti: str
    exp: int
    scopes: tuple[str, ...]
    audiences: tuple[str, ...]
    auth_time: int | None
    sid: str | None
    raw: Mapping[str, Any]

    def has(self, *scopes: str) -> bool:
        return set(scopes) <= set(self.scopes)

    @property
    def of_client_itself(self) -> bool:
        """A client_credentials token: the client is its own subject."""
        return self.subject == self.client_id and self.auth_time is None


def _audiences(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def typed(claims: Mapping[str, Any]) -> AccessClaims | None:
    """The typed form of verified claims; None when a required member is missing or mistyped."""
    jti, sub, client, exp = (claims.get(name) for name in ("jti", "sub", "client_id", "exp"))
    audiences = _audiences(claims.get("aud"))
    scope, sid = claims.get("scope", ""), claims.get("sid")
    if not (isinstance(jti, str) and isinstance(sub, str) and isinstance(client, str)):
        return None
    if _optional_int(exp) is None or audiences is None or not isinstance(scope, str):
        return None
    assert isinstance(exp, int)
    return AccessClaims(
        subject=sub,
        client_id=client,
        jti=jti,
        exp=exp,
        scopes=tuple(scope.split()),
        audiences=audiences,
        auth_time=_optional_int(claims.get("auth_time")),
        sid=sid if isinstance(sid, str) else None,
        raw=claims,
    )


class BearerValidator:
    def __init__(
        self,
        *,
        issuer: str,
        verifier: JwtVerifier,
        kv: KeyValueStore,
        clock: Callable[[], float] = time.time,
        opaque: OpaqueTokens | None = None,
    ) -> None:
        self._issuer, self._verifier, self._kv, self._clock = issuer, verifier, kv, clock
        self._opaque = opaque

    @property
    def issuer(self) -> str:
        return self._issuer

    async def validate(self, token: str) -> AccessClaims:
        """A live access token of this broker, whatever API it is for; ``InvalidToken`` otherwise."""
        family: str | None = None
        if is_opaque(token):
            raw, family = await self._opaque_claims(token)
        else:
            raw = await self._verifier.verify(token, typ=AT_JWT)  # signature, iss, exp, iat, typ
        claims = None if raw is None else typed(raw)
        if claims is None or claims.exp <= self._clock():
            raise InvalidToken(INVALID)
        if await any_denied(self._kv, denial_keys(claims.jti, claims.sid, family)):
            raise InvalidToken(INVALID)
        return claims

    async def _opaque_claims(self, token: str) -> tuple[dict[str, Any] | None, str | None]:
        if self._opaque is None:
            return None, None
        for raw in await self._kv.get_many(self._opaque.record_keys(token)):
            if (found := read_record(raw)) is not None:
                return found
        return None, None

    async def require(
        self,
        token: str,
        *,
        scopes: Collection[str] = (),
        audience: str | None = None,
        person: bool = False,
    ) -> AccessClaims:
        """``validate``, then every scope of ``scopes`` and ``audience`` (default: the issuer)."""
        claims = await self.validate(token)
        check(claims, scopes=scopes, audience=audience or self._issuer, person=person)
        return claims


def check(claims: AccessClaims, *, scopes: Collection[str], audience: str, person: bool = False) -> None:
    """What one API asks of an already validated token: its scopes (403), its audience (401)."""
    needed = " ".join(sorted(scopes))
    if not claims.has(*scopes):
        raise InsufficientScope(f"the access token lacks the scope {needed}", scope=needed)
    if person and claims.auth_time is None:
        raise InsufficientScope("the access token was not issued at a person's login", scope=needed or None)
    if audience not in claims.audiences:
        raise InvalidToken("the access token is not meant for this API")
