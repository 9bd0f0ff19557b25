"""Audit event types of the brokered login and the ``Auditor`` that records them.

Every login step and every failure page is one event; the event type is also
the metric label. A record carries the request context (IP, user agent,
request id), the client, the broker subject and the SNILS only masked
(``***-***-445 95``). Details never hold tokens, codes or secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from frmr_sso.registry.snils import Snils
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
    LOGIN_SUCCESS = "login.success"
    LOGOUT_CONFIRM = "logout.confirmation_shown"
    LOGOUT = "logout.success"
    LOGOUT_REFUSED = "logout.refused"
    CLIENT_LOCKED = "client.locked"
    CLIENT_UNLOCKED = "client.unlocked"
    SUBJECT_LOCKED = "subject.locked"
    SUBJECT_UNLOCKED = "subject.unlocked"
    IP_LOCKED = "ip.locked"
    IP_UNLOCKED = "ip.unlocked"


SUCCESS, FAILURE, INFO = "success", "failure", "info"


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who asked: the request as the audit log records it."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


class AuditSink(Protocol):
    async def append(self, record: AuditRecord) -> AuditRecord: ...


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
    ) -> AuditRecord:
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
        stored = await self._sink.append(record)
        for observe in self._observers:
            observe(stored)
        return stored
