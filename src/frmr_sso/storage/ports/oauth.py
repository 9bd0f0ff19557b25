"""OAuth ports: registered clients, token-signing keys and rotated refresh tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from frmr_sso.storage.ports.kv import utcnow

KeyStatus = Literal["active", "previous", "retired"]


@dataclass(frozen=True, slots=True)
class ClientRecord:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...] = ()
    public: bool = False
    secret_hash: str | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code",)
    scopes: tuple[str, ...] = ("openid",)
    id_token_alg: str = "RS256"  # noqa: S105 - an algorithm name, not a secret
    backchannel_logout_uri: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    require_second_factor: bool = False
    refresh_rotation: bool = True
    refresh_grace: int = 5  # seconds, 0-60
    first_party: bool = False  # the operator's own application: the person is not asked for consent
    access_token_format: str = "jwt"  # noqa: S105 - or "opaque" (oauth.opaque_tokens)


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    kid: str
    alg: str
    private_key_encrypted: str
    public_jwk: dict[str, Any]
    status: KeyStatus = "active"
    created_at: datetime = field(default_factory=utcnow)
    not_after: datetime | None = None


class ClientRepository(Protocol):
    async def add(self, client: ClientRecord) -> None:
        """Store a new client; StorageConflict when the client_id is taken."""

    async def upsert(self, client: ClientRecord) -> None:
        """Insert, or replace every field but ``created_at`` (loading clients from YAML)."""

    async def get(self, client_id: str) -> ClientRecord | None: ...

    async def list(self) -> Sequence[ClientRecord]:
        """All clients ordered by client_id."""

    async def remove(self, client_id: str) -> bool: ...


class SigningKeyRepository(Protocol):
    async def add(self, key: SigningKeyRecord) -> None: ...

    async def get(self, kid: str) -> SigningKeyRecord | None: ...

    async def get_active(self, alg: str) -> SigningKeyRecord | None:
        """The newest active key for ``alg``."""

    async def list_published(self) -> Sequence[SigningKeyRecord]:
        """Active and previous keys (the JWKS), active first, newest first."""

    async def list_all(self) -> Sequence[SigningKeyRecord]: ...

    async def rotate(self, new_key: SigningKeyRecord, *, previous_not_after: datetime | None = None) -> None:
        """In one transaction: active keys of ``new_key.alg`` become previous, ``new_key`` is added."""

    async def mark_previous(self, kid: str, *, not_after: datetime | None = None) -> bool:
        """Active -> previous; False when the key is missing or not active."""

    async def retire(self, kid: str) -> bool:
        """Take the key out of the JWKS; False when missing or already retired."""


# -- refresh tokens (RFC 6749 §6, rotated; see frmr_sso.oauth.refresh) -------------------------


@dataclass(frozen=True, slots=True)
class RefreshFamilyRecord:
    """One login's chain of refresh tokens; revoking it ends every token of the chain."""

    id: str
    client_id: str
    subject: str
    scope: tuple[str, ...]
    auth_time: datetime
    created_at: datetime
    absolute_expires_at: datetime
    session_id: str | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict)
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """One refresh token, known only by the SHA-256 of its value. ``grace_token``: the token itself,
    sealed under its parent token (``oauth.refresh``), while its parent may still be retried."""

    token_hash: str
    family_id: str
    created_at: datetime
    idle_expires_at: datetime
    parent_hash: str | None = None
    used_at: datetime | None = None
    grace_token: str | None = field(default=None, repr=False)


class RefreshTokenRepository(Protocol):
    async def create_family(self, family: RefreshFamilyRecord, first: RefreshTokenRecord) -> None:
        """Store a new family with its first token, in one transaction."""

    async def find(self, token_hash: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        """The token and its family, whatever their state; None when unknown."""

    async def find_child(self, parent_hash: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        """The token ``parent_hash`` was rotated into, and its family; None when it was not rotated."""

    async def rotate(self, parent_hash: str, child: RefreshTokenRecord, *, now: datetime) -> bool:
        """Consume ``parent_hash`` and add ``child`` in one transaction; True when this call consumed the
        parent (one conditional UPDATE .. WHERE used_at IS NULL), False when another call had (nothing
        is written). A racing loser sees the child with the parent consumed, never one without the other.
        """

    async def consume(
        self,
        parent_hash: str,
        *,
        client_id: str,
        child_hash: str,
        idle_expires_at: datetime,
        now: datetime,
        grace_token: str | None = None,
    ) -> RefreshFamilyRecord | None:
        """The common refresh in one step: consume ``parent_hash`` when it is unused and unexpired and its
        family is ``client_id``'s, live and unexpired, and add the child (its idle expiry capped by the
        family's absolute one, ``grace_token`` kept with it), atomically. Returns the family, or None
        when nothing was written (unknown, used, expired, revoked, another client's: ``find`` tells)."""

    async def extend(self, token_hash: str, *, idle_expires_at: datetime, now: datetime) -> bool:
        """A non-rotating token used again: its idle expiry moves to ``idle_expires_at``.

        False when the token is unknown, consumed or already idle-expired (nothing is written)."""

    async def revoke_family(self, family_id: str, *, reason: str, at: datetime) -> bool:
        """False when unknown or already revoked."""

    async def revoke_session(self, session_id: str, *, reason: str, at: datetime) -> int:
        """Revoke every live family of an SSO session (logout); the number revoked."""

    async def revoke_client_grants(self, subject: str, client_id: str, *, reason: str, at: datetime) -> int:
        """Revoke every live family of one person at one client (consent withdrawn); the number revoked."""

    async def purge_expired(self, now: datetime, *, limit: int = 1000) -> int:
        """Delete up to ``limit`` families past their absolute lifetime, with their tokens."""
