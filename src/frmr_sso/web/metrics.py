"""Prometheus metrics of one application instance (its own registry: several apps in one
process, as in the tests, never share counters).

Every audit record is counted by event and outcome; login outcomes also get the
failure reason as a label, so each user-facing failure of DESIGN.md is both a
distinct audit record and a distinct metric label.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from frmr_sso.audit.events import Event
from frmr_sso.storage.ports import AuditRecord

LOGIN_EVENTS = {
    Event.LOGIN_SUCCESS: "ok",
    Event.STALE_TRANSACTION: "stale_transaction",
    Event.UPSTREAM_UNAVAILABLE: "upstream_unavailable",
    Event.UPSTREAM_DENIED: "upstream_denied",
    Event.UPSTREAM_PROTOCOL_ERROR: "upstream_protocol_error",
    Event.ACCOUNT_NOT_CONFIRMED: "account_not_confirmed",
    Event.SNILS_INVALID: "snils_invalid",
    Event.NO_FRMR_RECORD: "no_frmr_record",
    Event.INSUFFICIENT_RIGHTS: "insufficient_rights",
    Event.SUBJECT_CONFLICT: "subject_conflict",
    Event.NO_UPSTREAM: "no_upstream",
}
_LOGIN_REASONS = {event.value: reason for event, reason in LOGIN_EVENTS.items()}


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.audit_events = Counter(
            "frmr_sso_audit_events", "Audit records written", ["event", "outcome"], registry=self.registry
        )
        self.logins = Counter(
            "frmr_sso_logins", "Brokered logins by outcome and failure reason", ["outcome", "reason"],
            registry=self.registry,
        )

    def observe(self, record: AuditRecord) -> None:
        self.audit_events.labels(record.event_type, record.outcome).inc()
        reason = _LOGIN_REASONS.get(record.event_type)
        if reason is not None:
            self.logins.labels("success" if reason == "ok" else "failure", reason).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
