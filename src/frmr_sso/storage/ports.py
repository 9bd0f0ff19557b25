"""Storage ports: the only way the core reaches durable or ephemeral state.

``KeyValueStore`` holds ephemeral values with a time to live (login
transactions, codes, sessions, counters). Every operation is atomic on each
implementation: ``set_if_absent``, ``get_and_delete`` and ``incr`` must stay
exact when many requests race on the same key.

The repositories hold durable state and speak plain frozen records, never ORM
rows; their failures are ``frmr_sso.storage.errors.StorageError``. Times are
timezone-aware UTC ``datetime`` values, in and out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from frmr_sso.registry import change_requests as _cr
    from frmr_sso.registry import models as _models
    from frmr_sso.registry import support as _support
    from frmr_sso.registry import uploads as _uploads


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value``; ``ttl`` in seconds, ``None`` keeps it until deleted."""

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store only when the key is absent; True when this call stored it."""

    async def get_and_delete(self, key: str) -> str | None:
        """Read and remove in one step: at most one caller ever sees the value."""

    async def delete(self, key: str) -> bool: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one; a counter created (or found without expiry) gets ``ttl`` seconds to live."""

    async def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is absent or never expires."""

    async def set_add(self, key: str, member: str, ttl: float) -> None:
        """Add ``member`` to the set at ``key``; the set then lives at least ``ttl`` more seconds."""

    async def set_remove(self, key: str, member: str) -> bool:
        """Take ``member`` out of the set; True when it was there. An emptied set is gone."""

    async def set_members(self, key: str) -> frozenset[str]:
        """The members of the set at ``key`` (empty when absent or expired); ``delete`` drops it."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


KeyStatus = Literal["active", "previous", "retired"]
GENESIS_HASH = "0" * 64


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


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    kid: str
    alg: str
    private_key_encrypted: str
    public_jwk: dict[str, Any]
    status: KeyStatus = "active"
    created_at: datetime = field(default_factory=utcnow)
    not_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    id: str
    esia_oid: str
    snils_hash: str | None
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event; ``id``, ``prev_hash`` and ``hash`` are filled in by ``append``."""

    event_type: str
    outcome: str
    occurred_at: datetime = field(default_factory=utcnow)
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    client_id: str | None = None
    subject_id: str | None = None
    snils_masked: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    prev_hash: str = ""
    hash: str = ""


def audit_chain_hash(record: AuditRecord, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the event and the previous record's hash.

    ``id`` and ``hash`` are left out: the database assigns the first, the second
    is the result. ``frmr-sso audit verify`` recomputes exactly this value.
    """
    payload = {
        "prev_hash": prev_hash,
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "event_type": record.event_type,
        "outcome": record.outcome,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "client_id": record.client_id,
        "subject_id": record.subject_id,
        "snils_masked": record.snils_masked,
        "details": record.details,
    }
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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


class SubjectRepository(Protocol):
    async def get(self, subject_id: str) -> SubjectRecord | None: ...

    async def get_by_esia_oid(self, esia_oid: str) -> SubjectRecord | None: ...

    async def get_or_create_by_esia_oid(
        self, esia_oid: str, *, snils_hash: str | None = None
    ) -> SubjectRecord:
        """The one subject for this ESIA oid, created on first sight even under concurrent calls.

        ``snils_hash`` is stored only on creation; StorageConflict when another
        subject already holds it.
        """

    async def touch_login(self, subject_id: str, at: datetime | None = None) -> bool: ...


class AuditRepository(Protocol):
    async def append(self, record: AuditRecord) -> AuditRecord:
        """Chain and store the event; returns it with ``id``, ``prev_hash`` and ``hash`` set."""

    async def list(self, *, after_id: int = 0, limit: int = 1000) -> Sequence[AuditRecord]:
        """Records with ``id > after_id`` in id order (the chain order), at most ``limit``."""


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
    """One refresh token, known only by the SHA-256 of its value."""

    token_hash: str
    family_id: str
    created_at: datetime
    idle_expires_at: datetime
    parent_hash: str | None = None
    used_at: datetime | None = None


class RefreshTokenRepository(Protocol):
    async def create_family(self, family: RefreshFamilyRecord, first: RefreshTokenRecord) -> None:
        """Store a new family with its first token, in one transaction."""

    async def find(self, token_hash: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        """The token and its family, whatever their state; None when unknown."""

    def rotate(
        self, parent_hash: str, child: RefreshTokenRecord, *, now: datetime
    ) -> AbstractAsyncContextManager[bool]:
        """Consume ``parent_hash`` and add ``child``, committed when the block exits.

        The block receives True when this call consumed the parent (one
        conditional UPDATE .. WHERE used_at IS NULL), False when another call
        had (nothing is written). Whatever the block does before it exits
        happens before the commit, so a racing loser sees it.
        """

    def consume(
        self, parent_hash: str, *, client_id: str, child_hash: str, idle_expires_at: datetime, now: datetime
    ) -> AbstractAsyncContextManager[RefreshFamilyRecord | None]:
        """The common refresh in one step: consume ``parent_hash`` when it is unused and unexpired and its
        family is ``client_id``'s, live and unexpired, and add the child (its idle expiry capped by the
        family's absolute one), committed when the block exits. The block receives the family, or None
        when nothing was written (unknown, used, expired, revoked, another client's: ``find`` tells)."""

    async def revoke_family(self, family_id: str, *, reason: str, at: datetime) -> bool:
        """False when unknown or already revoked."""

    async def revoke_session(self, session_id: str, *, reason: str, at: datetime) -> int:
        """Revoke every live family of an SSO session (logout); the number revoked."""

    async def purge_expired(self, now: datetime, *, limit: int = 1000) -> int:
        """Delete up to ``limit`` families past their absolute lifetime, with their tokens."""


# -- audit verification, retention and queries (see frmr_sso.audit) ------------------------------


@dataclass(frozen=True, slots=True)
class PurgedBatch:
    """One retention batch: the oldest records ``first_id``..``last_id`` of the chain, deleted."""

    count: int
    first_id: int
    last_id: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions of an audit search, all optional and combined with AND; ``occurred_to`` is exclusive."""

    subject_id: str | None = None
    client_id: str | None = None
    event_type: str | None = None
    ip: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


class AuditLog(AuditRepository, Protocol):
    def chain(self, *, batch: int = 1000) -> AsyncGenerator[AuditRecord, None]:
        """Every record in id order from one consistent snapshot, read ``batch`` rows at a time.

        Close it (``contextlib.aclosing``) when stopping early: it holds a connection.
        """

    async def purge_batch(
        self, before: datetime, *, limit: int, checkpoint: Callable[[PurgedBatch], AuditRecord]
    ) -> PurgedBatch | None:
        """In one transaction under the chain lock: delete the oldest records older than ``before``
        (at most ``limit``, stopping at the first newer one) and append ``checkpoint(batch)``.
        None, and nothing written, when no record is old enough."""

    async def search(
        self, where: AuditFilter, *, after_id: int = 0, limit: int = 100
    ) -> Sequence[AuditRecord]:
        """Matching records with ``id > after_id`` in id order, at most ``limit``."""


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """An ordered statement (a signed PDF); ``status`` is pending, ready or failed."""

    id: str
    frmr_id: str
    kind: str
    status: str
    created_at: datetime
    ready_at: datetime | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class StatementSignerRecord:
    """The service's statement-signing certificate (DER) and its private key, sealed."""

    id: str
    certificate_der: bytes = field(repr=False)
    private_key_encrypted: str = field(repr=False)
    created_at: datetime


class StatementRepository(Protocol):
    async def add(self, statement: StatementRecord) -> None: ...

    async def get(self, statement_id: str) -> StatementRecord | None: ...

    async def list_for(self, frmr_id: str, *, limit: int = 100) -> Sequence[StatementRecord]:
        """The person's statements, newest first."""

    async def pdf(self, statement_id: str) -> bytes | None: ...

    async def finish(self, statement_id: str, *, pdf: bytes, at: datetime) -> bool:
        """Pending → ready with its PDF; False when it was not pending (another worker finished it)."""

    async def fail(self, statement_id: str, *, at: datetime) -> bool: ...

    async def get_signer(self, signer_id: str) -> StatementSignerRecord | None: ...

    async def add_signer_if_absent(self, signer: StatementSignerRecord) -> StatementSignerRecord:
        """Store ``signer`` unless one with its id exists; the stored one either way."""


# -- the broker's second factor (see frmr_sso.login.second_factor) --------------------------------


@dataclass(frozen=True, slots=True)
class TotpCredentialRecord:
    """A subject's confirmed TOTP secret, sealed (``FieldCipher`` purpose ``totp``, bound to the subject)."""

    subject_id: str
    secret_encrypted: str
    confirmed_at: datetime
    last_used_step: int | None = None


class SecondFactorRepository(Protocol):
    async def get(self, subject_id: str) -> TotpCredentialRecord | None: ...

    async def enrol(self, credential: TotpCredentialRecord, recovery_code_hashes: Sequence[str]) -> None:
        """In one transaction: the subject's previous credential and recovery codes go, these come."""

    async def advance_step(self, subject_id: str, step: int) -> bool:
        """Record ``step`` as the last accepted one; False (nothing written) when it is not newer."""

    async def use_recovery_code(self, subject_id: str, code_hash: str, *, at: datetime) -> bool:
        """Spend one unused code (one conditional UPDATE); False when unknown or already used."""

    async def remaining_recovery_codes(self, subject_id: str) -> int: ...

    async def reset(self, subject_id: str) -> bool:
        """Delete the credential and its recovery codes; False when there was none."""


# -- personal cabinet requests (see frmr_sso.registry.change_requests, .support) ---------------------


class ChangeRequestRepository(Protocol):
    async def create(
        self, request: _cr.ChangeRequest, uploads: Sequence[_uploads.Upload], audit: AuditRecord
    ) -> tuple[_cr.ChangeRequest, AuditRecord]:
        """The request, every document and the audit record in one transaction."""

    async def get(self, request_id: str) -> _cr.ChangeRequest | None: ...

    async def list_for(self, frmr_id: str, *, limit: int = 200) -> list[_cr.ChangeRequest]:
        """The person's requests, newest first."""

    async def list_by_status(self, status: _cr.Status | None, *, limit: int = 200) -> list[_cr.ChangeRequest]:
        """Requests in ``status`` (every one for None), oldest first: the review queue."""

    async def document(self, request_id: str, document_id: str) -> tuple[_cr.DocumentInfo, bytes] | None: ...

    async def decide(
        self, updated: _cr.ChangeRequest, *, expected: _cr.Status, audit: AuditRecord,
        apply: Callable[[_models.FrmrPerson], _models.FrmrPerson] | None = None,
    ) -> AuditRecord | None:
        """``updated`` stored only if still ``expected``, the record changed by ``apply`` and the audit
        record appended, in one transaction; None and nothing written when another decision came first."""


class SupportRequestRepository(Protocol):
    async def create(
        self, form: dict[str, Any], *, created_at: datetime, subject_id: str | None,
        access_key_hash: str | None, screenshot: _uploads.Upload | None, audit: AuditRecord,
    ) -> tuple[_support.SupportRequest, AuditRecord]: ...

    async def get_by_number(self, number: str) -> tuple[_support.SupportRequest, str | None] | None:
        """The request and its access key hash."""

    async def screenshot(self, request_id: int) -> tuple[str, bytes] | None: ...

    async def move(
        self, request_id: int, *, to: _support.SupportStatus,
        allowed_from: tuple[_support.SupportStatus, ...], at: datetime, audit: AuditRecord,
    ) -> AuditRecord | None:
        """The status change and its audit record in one transaction; None when the status forbids it."""

    async def list(
        self, *, status: _support.SupportStatus | None = None, limit: int = 200
    ) -> Sequence[_support.SupportRequest]: ...
