"""Authorization codes in the key-value store (RFC 6749 §4.1.2, §10.5).

A code is 256 random bits; the store keys it by its SHA-256, so a dump of the
store holds no usable code.

RFC 6749 §4.1.2: "If an authorization code is used more than once, the
authorization server MUST deny the request and SHOULD revoke (when possible)
all tokens previously issued based on that authorization code." So a code is
never just deleted: redemption is exactly one atomic ``take_and_mark`` that
takes the grant and leaves in its place a *redeemed* mark naming what the token
endpoint is about to issue for it (access token id, refresh family id, chosen
before the redemption). Of any number of concurrent redemptions at most one
gets the grant; every other one, at any moment after, finds the mark and can
revoke those tokens. There is no moment in which the code is gone and its mark
not yet written.

A replay may come while the first exchange is still creating the refresh
family; ``mark_family_replayed`` and ``family_replayed`` close that window
(see ``TokenService.exchange_code``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from frmr_sso.oauth.authorization import AuthorizationRequest
from frmr_sso.records import field_values
from frmr_sso.storage.ports import KeyValueStore

CODE_BYTES = 32
REDEEMED_TTL_FACTOR = 10
"""The redeemed mark and a replayed family's flag live this many code lifetimes."""
_CODE_PREFIX = "oauth:code:"
_REDEEMED_MARK = "redeemed:"
"""Starts every mark; a grant is a JSON object and starts with ``{``."""
_REPLAYED_FAMILY_PREFIX = "oauth:code-replayed-family:"


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """What an authorization code stands for, from the login that issued it."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    subject: str
    auth_time: int
    claims: dict[str, Any] = field(default_factory=dict)
    """Identity snapshot (FRMR person, organizations) for the id_token and userinfo."""
    nonce: str | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    session_id: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    @classmethod
    def for_request(
        cls,
        request: AuthorizationRequest,
        *,
        subject: str,
        auth_time: int,
        claims: dict[str, Any],
        acr: str | None = None,
        amr: tuple[str, ...] = (),
        session_id: str | None = None,
    ) -> CodeGrant:
        """The grant of a validated authorization request once the user has logged in."""
        return cls(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            subject=subject,
            auth_time=auth_time,
            claims=claims,
            nonce=request.nonce,
            acr=acr,
            amr=amr,
            session_id=session_id,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
        )

    def to_json(self) -> str:
        return json.dumps(field_values(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> CodeGrant:
        data = json.loads(raw)
        data["scope"] = tuple(data["scope"])
        data["amr"] = tuple(data["amr"])
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RedeemedCode:
    """What the exchange of a redeemed code issues, so a replay can revoke it.

    Chosen before the redemption and stored by it: the exchange may still be
    refused (another client, redirect_uri, PKCE) or issue no refresh token
    (no ``offline_access``), and then revoking what the mark names changes nothing.
    """

    client_id: str
    access_token_jti: str
    access_token_exp: int
    refresh_family_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(field_values(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> RedeemedCode:
        return cls(**json.loads(raw))


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def issue(kv: KeyValueStore, grant: CodeGrant, ttl: float) -> str:
    """Store ``grant`` under a new code valid ``ttl`` seconds; returns the code."""
    code = secrets.token_urlsafe(CODE_BYTES)
    await kv.set(_CODE_PREFIX + _digest(code), grant.to_json(), ttl=ttl)
    return code


async def redeem(
    kv: KeyValueStore, code: str, issued: RedeemedCode, code_ttl: float
) -> CodeGrant | RedeemedCode | None:
    """Redeem ``code`` for what ``issued`` names, in one atomic KV operation.

    Returns the grant when this call redeemed the code (the mark ``issued`` now
    stands in its place for ``REDEEMED_TTL_FACTOR`` code lifetimes), the mark
    of an earlier redemption when the code was already used (a replay), or None
    when the code is unknown or expired (or its mark has expired too).
    """
    mark = _REDEEMED_MARK + issued.to_json()
    ttl = code_ttl * REDEEMED_TTL_FACTOR
    raw = await kv.take_and_mark(_CODE_PREFIX + _digest(code), mark, ttl, prefix=_REDEEMED_MARK)
    if raw is None:
        return None
    if raw.startswith(_REDEEMED_MARK):
        return RedeemedCode.from_json(raw.removeprefix(_REDEEMED_MARK))
    return CodeGrant.from_json(raw)


async def mark_family_replayed(kv: KeyValueStore, family_id: str, code_ttl: float) -> None:
    """Record that a replay of its code revoked ``family_id``: set before the replay's revocation."""
    await kv.set(_REPLAYED_FAMILY_PREFIX + family_id, "1", ttl=code_ttl * REDEEMED_TTL_FACTOR)


async def family_replayed(kv: KeyValueStore, family_id: str) -> bool:
    """Whether a replay revoked ``family_id``; asked by the first exchange once the family exists."""
    return await kv.get(_REPLAYED_FAMILY_PREFIX + family_id) is not None
