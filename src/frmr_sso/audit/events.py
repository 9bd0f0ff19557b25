"""Audit event types of the brokered login and the ``Auditor`` that records them.

Every login step and every failure page is one event, and so is every token
issued, refresh rotation, refresh reuse (family revoked), revocation, lock,
unlock and key rotation; the event type is also the metric label. A record
carries the request context (IP, user agent, request id), the client, the
broker subject and the SNILS only masked (``***-***-445 95``). Details never
hold tokens, codes or secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from frmr_sso.identity.snils import Snils
from frmr_sso.storage.ports import AuditRecord

MAX_USER_AGENT = 512


class Event(StrEnum):
    AUTHORIZE_INVALID = "authorize.invalid_request"
    AUTHORIZE_ERROR = "authorize.error_redirect"
    LOGIN_REQUIRED = "authorize.login_required"
    UPSTREAM_CHOOSER = "login.upstream_chooser"
    NO_UPSTREAM = "login.no_upstream"
    LOGIN_STARTED = "login.started"
    SSO_REUSED = "login.sso_session"
    STALE_TRANSACTION = "login.stale_transaction"
    UPSTREAM_UNAVAILABLE = "login.upstream_unavailable"
    UPSTREAM_DENIED = "login.upstream_denied"
    UPSTREAM_PROTOCOL_ERROR = "login.upstream_protocol_error"
    ACCOUNT_NOT_CONFIRMED = "login.account_not_confirmed"
    SNILS_INVALID = "login.snils_invalid"
    NO_FRMR_RECORD = "login.no_frmr_record"
    INSUFFICIENT_RIGHTS = "login.insufficient_rights"
    SUBJECT_CONFLICT = "login.subject_conflict"
    SUBJECT_LINKED = "subject.linked"
    SUBJECT_UNLINKED = "subject.unlinked"
    LOGIN_SUCCESS = "login.success"
    CONSENT_REQUESTED = "consent.requested"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_DENIED = "consent.denied"
    CONSENT_REQUIRED = "consent.required"  # prompt=none without consent: consent_required
    CONSENT_REVOKED = "consent.revoked"
    LOGOUT_CONFIRM = "logout.confirmation_shown"
    LOGOUT = "logout.success"
    LOGOUT_REFUSED = "logout.refused"
    CLIENT_LOCKED = "client.locked"
    CLIENT_UNLOCKED = "client.unlocked"
    SUBJECT_LOCKED = "subject.locked"
    SUBJECT_UNLOCKED = "subject.unlocked"
    IP_LOCKED = "ip.locked"
    IP_UNLOCKED = "ip.unlocked"
    SECOND_FACTOR_REQUIRED = "second_factor.required"
    SECOND_FACTOR_ENROLMENT_STARTED = "second_factor.enrolment_started"
    SECOND_FACTOR_ENROLLED = "second_factor.enrolment_confirmed"
    SECOND_FACTOR_ACCEPTED = "second_factor.code_accepted"
    SECOND_FACTOR_REJECTED = "second_factor.code_rejected"
    SECOND_FACTOR_REPLAY = "second_factor.replay_refused"
    RECOVERY_CODE_USED = "second_factor.recovery_code_used"
    RECOVERY_CODES_REPLACED = "second_factor.recovery_codes_replaced"
    SECOND_FACTOR_RESET = "second_factor.reset"
    PASSKEY_ENROLLED = "second_factor.passkey_enrolled"
    PASSKEY_ENROLMENT_REFUSED = "second_factor.passkey_enrolment_refused"
    PASSKEY_ACCEPTED = "second_factor.passkey_accepted"
    PASSKEY_REJECTED = "second_factor.passkey_rejected"
    PASSKEY_CLONE = "second_factor.passkey_clone_refused"
    PASSKEY_REMOVED = "second_factor.passkey_removed"
    TOKEN_REFUSED = "token.refused"  # noqa: S105 - an event name
    BEARER_REFUSED = "token.bearer_refused"
    TOKEN_ISSUED = "token.issued"  # noqa: S105 - an event name
    REFRESH_ROTATED = "token.refresh_rotated"
    REFRESH_REUSED = "token.refresh_reused"
    PRIVILEGE_REFUSED = "token.privilege_refused"  # a refresh left out privileged scopes the roles lost
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an event name
    CODE_REPLAYED = "token.code_replayed"
    KEYS_ROTATED = "keys.rotated"
    CLIENT_ADDED = "admin.client_added"
    CLIENT_REMOVED = "admin.client_removed"
    REGISTRY_IMPORTED = "admin.registry_imported"
    SECRETS_RESEALED = "admin.secrets_resealed"
    REGISTRY_LOOKUP = "registry.lookup"
    SESSION_ENDED = "session.ended"
    SESSION_END_REFUSED = "session.end_refused"
    BACKCHANNEL_DELIVERED = "logout.backchannel_delivered"
    BACKCHANNEL_FAILED = "logout.backchannel_failed"
    CHANGE_REQUEST_SUBMITTED = "change_request.submitted"
    CHANGE_REQUEST_APPROVED = "change_request.approved"
    CHANGE_REQUEST_REJECTED = "change_request.rejected"
    CHANGE_REQUEST_CONFIRMED = "change_request.confirmed"
    CONTACT_CODE_SENT = "change_request.code_sent"
    CONTACT_CODE_FAILED = "change_request.code_failed"
    STATEMENT_ORDERED = "statement.ordered"
    STATEMENT_DOWNLOADED = "statement.downloaded"
    SUPPORT_SUBMITTED = "support.submitted"
    SUPPORT_ANSWERED = "support.answered"
    SUPPORT_CLOSED = "support.closed"


SUCCESS, FAILURE, INFO = "success", "failure", "info"


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who asked: the request as the audit log records it."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


class AuditSink(Protocol):
    async def append(self, record: AuditRecord) -> AuditRecord: ...


class QueuedAuditSink(AuditSink, Protocol):
    async def submit(self, record: AuditRecord) -> None:
        """Queue ``record`` for the next batch without waiting for the commit."""


class Auditor:
    def __init__(
        self,
        sink: AuditSink,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        observers: Sequence[Callable[[AuditRecord], None]] = (),
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._observers = tuple(observers)

    async def record(
        self,
        event: Event,
        context: AuditContext,
        *,
        outcome: str = INFO,
        client_id: str | None = None,
        subject_id: str | None = None,
        snils: Snils | None = None,
        details: Mapping[str, Any] | None = None,
        durable: bool = True,
    ) -> AuditRecord:
        """Write one record. ``durable=False`` (the token hot path) only queues it when the sink
        batches (``QueuedAuditSink``): observers then see the record without id and hashes."""
        user_agent = context.user_agent[:MAX_USER_AGENT] if context.user_agent else None
        record = AuditRecord(
            event_type=event.value,
            outcome=outcome,
            occurred_at=self._clock(),
            ip=context.ip,
            user_agent=user_agent,
            request_id=context.request_id,
            client_id=client_id,
            subject_id=subject_id,
            snils_masked=snils.mask() if snils is not None else None,
            details={k: v for k, v in (details or {}).items() if v is not None},
        )
        submit = None if durable else getattr(self._sink, "submit", None)
        if submit is not None:
            await submit(record)
            stored = record
        else:
            stored = await self._sink.append(record)
        for observe in self._observers:
            observe(stored)
        return stored
