"""Refresh tokens, rotating or not per client (RFC 6749 §6, §10.4; RFC 9700 §4.14.2).

A refresh token is 256 random bits, stored only as its SHA-256. Each login
with ``offline_access`` starts a *family*. With rotation (the default, and
always for public clients) every use consumes the token and issues its child.
Presenting a consumed token again means it leaked (or the client lost a
response), so:

- within the client's grace window (``grace`` seconds, 0-60) of the rotation,
  and only while that child is still unused, the same child is returned again
  (a retried request, or parallel requests of one client, must not log the user
  out). The child is kept with its row, sealed (AES-GCM) with the end of the
  window under a key derived from the parent token, which the broker never
  stores; it is written in the same step that consumes the parent, so a racing
  loser that finds the parent consumed finds the child too. Consuming a token
  clears its own sealed copy;
- otherwise the whole family is revoked and every token of it stops working
  (``RefreshReused``; whether the SSO session ends too is the caller's
  decision, by the kind of client).

Without rotation (``rotation=False``, RFC 9700 §4.14.2 allows it for
confidential clients, which authenticate) the same token is returned and
its idle expiry moves on. A token lives ``idle_ttl`` seconds unless used, and
never beyond the family's absolute lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from frmr_sso.oauth.access_tokens import deny_family
from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.oauth.errors import InvalidGrant, InvalidScope
from frmr_sso.oauth.scope import Scope, within
from frmr_sso.storage.ports import (
    KeyValueStore,
    RefreshFamilyRecord,
    RefreshTokenRecord,
    RefreshTokenRepository,
)

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
DEFAULT_GRACE = 5.0
REUSE_REASON = "refresh_token_reused"
_GRACE_KEY_LABEL = b"frmr-sso refresh grace\x00"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _grace_key(parent_token: str) -> bytes:
    """The key a child is sealed under: derived from the parent token, which is never stored (only
    its SHA-256, which is not this)."""
    return hashlib.sha256(_GRACE_KEY_LABEL + parent_token.encode("utf-8")).digest()


def seal_for_grace(parent_token: str, child_token: str, now: datetime, grace: float) -> str | None:
    """``child_token`` and the end of the grace window, readable only with the parent token; None
    without a window."""
    if grace <= 0:
        return None
    deadline_ms = int((now.timestamp() + grace) * 1000)
    nonce = os.urandom(12)
    sealed = AESGCM(_grace_key(parent_token)).encrypt(nonce, f"{deadline_ms} {child_token}".encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_for_grace(parent_token: str, sealed: str | None, now: datetime) -> str | None:
    """The child sealed by ``seal_for_grace`` while its window lasts; None after it, or when absent
    or not sealed under ``parent_token``."""
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed)
        plain = AESGCM(_grace_key(parent_token)).decrypt(raw[:12], raw[12:], None).decode()
        deadline_ms, child_token = plain.split(" ", 1)
    except (ValueError, InvalidTag):
        return None
    return child_token if now.timestamp() * 1000 < int(deadline_ms) else None


@dataclass(frozen=True, slots=True)
class Rotated:
    family: RefreshFamilyRecord
    token: str = field(repr=False)
    grace: bool = False  # the child of an earlier rotation, returned again within the grace window


class RefreshReused(InvalidGrant):
    """A consumed token came back outside the grace window; ``revoked``: this call revoked the family.

    ``ends_session``: the SSO session of the family's login ends too (a public client's token
    leaked); a confidential client's reuse revokes its family only. ``session_ended``: the refresh
    use case then ended it."""

    def __init__(self, description: str, *, family: RefreshFamilyRecord, revoked: bool) -> None:
        super().__init__(description)
        self.family, self.revoked = family, revoked
        self.session_ended = False
        self.ends_session = True


# -- the rule: when a refresh token is live. Stated here once; the SQL of
# ``storage.sql.refresh_tokens`` is its translation and is checked against it on both backends.


def is_active(token: RefreshTokenRecord, family: RefreshFamilyRecord, now: datetime) -> bool:
    """Live: never used, its family not revoked, and ``now`` before the token's ``expires_at``."""
    return token.used_at is None and family.revoked_at is None and expires_at(token, family) > now


def expires_at(token: RefreshTokenRecord, family: RefreshFamilyRecord) -> datetime:
    """A token dies at its idle expiry or its family's absolute expiry, whichever comes first."""
    return min(token.idle_expires_at, family.absolute_expires_at)


def idle_expiry(wanted: datetime, family: RefreshFamilyRecord) -> datetime:
    """A new token's idle expiry: ``wanted`` (now + idle TTL), capped at the family's absolute expiry."""
    return min(wanted, family.absolute_expires_at)


def consumable(token: RefreshTokenRecord, family: RefreshFamilyRecord, client_id: str, now: datetime) -> bool:
    """A refresh by ``client_id`` may consume ``token``: live, and its family is that client's."""
    return family.client_id == client_id and is_active(token, family, now)


class RefreshTokens:
    def __init__(
        self,
        repository: RefreshTokenRepository,
        kv: KeyValueStore,
        *,
        absolute_ttl: float,
        idle_ttl: float,
        grace: float = DEFAULT_GRACE,
        access_token_ttl: float = 300,
    ) -> None:
        self._repo, self._kv = repository, kv
        self._access_ttl = access_token_ttl
        self._absolute = timedelta(seconds=absolute_ttl)
        self._idle = timedelta(seconds=idle_ttl)
        self._grace = grace

    async def start(self, family_id: str, grant: CodeGrant, scope: tuple[str, ...], now: datetime) -> str:
        """Start the family of a login's code exchange; returns its first token."""
        family = RefreshFamilyRecord(
            id=family_id,
            client_id=grant.client_id,
            subject=grant.subject,
            scope=scope,
            auth_time=datetime.fromtimestamp(grant.auth_time, UTC),
            created_at=now,
            absolute_expires_at=now + self._absolute,
            session_id=grant.session_id,
            acr=grant.acr,
            amr=grant.amr,
            claims=grant.claims,
        )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        await self._repo.create_family(family, self._child(token, family, None, now))
        return token

    async def find(self, token: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        return await self._repo.find(hash_token(token))

    async def rotate(
        self,
        client_id: str,
        token: str,
        now: datetime,
        *,
        requested_scope: Scope = (),
        rotation: bool = True,
        grace: float | None = None,
    ) -> Rotated:
        """Consume ``token`` and return its child; InvalidGrant for anything but a live token.

        A ``requested_scope`` beyond the family's is refused before the token is
        consumed (RFC 6749 §6), so the client keeps a usable token. Without
        ``rotation`` the live token itself is returned, its idle expiry renewed.
        ``grace``: this client's window, the instance's default when None.
        """
        grace = self._grace if grace is None else grace
        parent_hash = hash_token(token)
        if not rotation:
            return await self._kept(parent_hash, client_id, token, now, requested_scope, grace)
        if not requested_scope:  # the common case, one step; anything else is looked at closer below
            child_token = secrets.token_urlsafe(TOKEN_BYTES)
            family = await self._repo.consume(
                parent_hash,
                client_id=client_id,
                child_hash=hash_token(child_token),
                idle_expires_at=now + self._idle,
                now=now,
                grace_token=seal_for_grace(token, child_token, now, grace),
            )
            if family is not None:
                return Rotated(family, child_token)
        parent, family = await self._live_family(parent_hash, client_id, now, requested_scope)
        if parent.used_at is None:
            if parent.idle_expires_at <= now:
                raise InvalidGrant("refresh token expired")
            child_token = secrets.token_urlsafe(TOKEN_BYTES)
            sealed = seal_for_grace(token, child_token, now, grace)
            child = self._child(child_token, family, parent_hash, now, sealed)
            if await self._repo.rotate(parent_hash, child, now=now):
                return Rotated(family, child_token)
        return await self._reused(token, family, now, grace)

    async def _live_family(
        self, token_hash: str, client_id: str, now: datetime, requested_scope: Scope
    ) -> tuple[RefreshTokenRecord, RefreshFamilyRecord]:
        found = await self._repo.find(token_hash)
        if found is None:
            raise InvalidGrant("refresh token is invalid")
        token, family = found
        if family.client_id != client_id:
            raise InvalidGrant("refresh token was issued to another client")
        if family.revoked_at is not None or family.absolute_expires_at <= now:
            raise InvalidGrant("refresh token is revoked or expired")
        if not within(requested_scope, family.scope):
            raise InvalidScope("scope exceeds the scope originally granted")
        return token, family

    async def _kept(
        self, token_hash: str, client_id: str, token: str, now: datetime, requested_scope: Scope, grace: float
    ) -> Rotated:
        """No rotation: the live token serves again; one rotated away earlier is a reuse as ever."""
        current, family = await self._live_family(token_hash, client_id, now, requested_scope)
        if current.used_at is not None:
            return await self._reused(token, family, now, grace)
        idle = min(now + self._idle, family.absolute_expires_at)
        if not await self._repo.extend(token_hash, idle_expires_at=idle, now=now):
            raise InvalidGrant("refresh token expired")
        return Rotated(family, token)

    async def revoke(self, family_id: str, *, reason: str, now: datetime) -> bool:
        """Revoke the family and refuse its opaque access tokens; True when it was live."""
        revoked = await self._repo.revoke_family(family_id, reason=reason, at=now)
        await deny_family(self._kv, family_id, ttl=self._access_ttl)
        return revoked

    async def _reused(self, token: str, family: RefreshFamilyRecord, now: datetime, grace: float) -> Rotated:
        found = await self._repo.find_child(hash_token(token)) if grace > 0 else None
        if found is not None:
            child, child_family = found
            child_token = open_for_grace(token, child.grace_token, now)
            if child_token is not None and is_active(child, child_family, now):
                return Rotated(child_family, child_token, grace=True)
        revoked = await self.revoke(family.id, reason=REUSE_REASON, now=now)
        if revoked:
            log.warning(
                "refresh token reused outside the grace window: family revoked",
                extra={"family_id": family.id, "client_id": family.client_id},
            )
        raise RefreshReused("refresh token was already used", family=family, revoked=revoked)

    def _child(
        self,
        token: str,
        family: RefreshFamilyRecord,
        parent_hash: str | None,
        now: datetime,
        grace_token: str | None = None,
    ) -> RefreshTokenRecord:
        return RefreshTokenRecord(
            token_hash=hash_token(token),
            family_id=family.id,
            parent_hash=parent_hash,
            created_at=now,
            idle_expires_at=idle_expiry(now + self._idle, family),
            grace_token=grace_token,
        )
