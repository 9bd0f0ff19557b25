"""Authorization codes in the key-value store (RFC 6749 §4.1.2, §10.5).

A code is 256 random bits; the store keys it by its SHA-256, so a dump of the
store holds no usable code. Redemption is exactly one atomic ``get_and_delete``:
of any number of concurrent redemptions at most one gets the grant.

RFC 6749 §4.1.2: "If an authorization code is used more than once, the
authorization server MUST deny the request and SHOULD revoke (when possible)
all tokens previously issued based on that authorization code." After a
successful redemption the token endpoint leaves a small *redeemed* marker
naming what it issued (refresh family, access token id); a later attempt
with the same code finds the marker and revokes those tokens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from frmr_sso.oauth.authorization import AuthorizationRequest
from frmr_sso.storage.ports import KeyValueStore

CODE_BYTES = 32
REDEEMED_TTL_FACTOR = 10
"""The redeemed marker lives this many code lifetimes: replays after that are plain invalid codes."""
_CODE_PREFIX = "oauth:code:"
_REDEEMED_PREFIX = "oauth:code-redeemed:"


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
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> CodeGrant:
        data = json.loads(raw)
        data["scope"] = tuple(data["scope"])
        data["amr"] = tuple(data["amr"])
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RedeemedCode:
    """What was issued for a redeemed code, so a replay can revoke it."""

    client_id: str
    access_token_jti: str
    access_token_exp: int
    refresh_family_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

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


async def redeem(kv: KeyValueStore, code: str) -> CodeGrant | None:
    """The grant of ``code``, removed in the same step; None when unknown, expired or used."""
    raw = await kv.get_and_delete(_CODE_PREFIX + _digest(code))
    return None if raw is None else CodeGrant.from_json(raw)


async def mark_redeemed(kv: KeyValueStore, code: str, issued: RedeemedCode, code_ttl: float) -> None:
    """Remember what ``code`` was exchanged for; call only after ``redeem`` returned its grant."""
    ttl = code_ttl * REDEEMED_TTL_FACTOR
    await kv.set_if_absent(_REDEEMED_PREFIX + _digest(code), issued.to_json(), ttl=ttl)


async def find_redeemed(kv: KeyValueStore, code: str) -> RedeemedCode | None:
    """The marker of an already redeemed ``code``: a replay. Off the hot path (failed redemptions only)."""
    raw = await kv.get(_REDEEMED_PREFIX + _digest(code))
    return None if raw is None else RedeemedCode.from_json(raw)
