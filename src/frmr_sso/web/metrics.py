"""Prometheus metrics of one application instance (its own registry: several apps in one
process, as in the tests, never share counters).

Every audit record is counted by event and outcome; login outcomes also get the
failure reason as a label, so each user-facing failure (README, docs/operations.md) is both a
distinct audit record and a distinct metric label. Tokens by grant, refresh
reuse and lockouts are counted from the same records. Rate-limit rejections
come from ``web/rate_limit.py``, upstream calls from ``upstream/transport.py``
(through the breaker's ``listener``), request latency from ``web/edge.py``
by route template (never the raw path: bounded label sets). The breaker state
is read when scraped. ``/metrics`` touches neither database nor key-value
store, so it answers in bounded time when both are down.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import Scope

from frmr_sso.audit.events import Event
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.upstream.breaker import BreakerState, CircuitBreaker

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
_TOKEN_EVENTS = frozenset({Event.TOKEN_ISSUED.value, Event.REFRESH_ROTATED.value})
_LOCK_KINDS = {
    Event.CLIENT_LOCKED.value: "client",
    Event.SUBJECT_LOCKED.value: "subject",
    Event.IP_LOCKED.value: "ip",
}
_GRANTS = frozenset({"authorization_code", "refresh_token", "client_credentials"})
_STATES = tuple(BreakerState)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UPSTREAM_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"


def _child(children: dict[tuple[Any, ...], Any], counter: Counter, *labels: str) -> Any:
    """``counter.labels(*labels)``, kept: the same few children serve every token grant."""
    key = (id(counter), *labels)
    found = children.get(key)
    if found is None:
        found = children[key] = counter.labels(*labels)
    return found


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self._children: dict[tuple[Any, ...], Any] = {}  # label values are bounded: event, outcome, grant
        self.audit_events = Counter(
            "frmr_sso_audit_events", "Audit records written", ["event", "outcome"], registry=r
        )
        self.logins = Counter(
            "frmr_sso_logins",
            "Brokered logins by outcome and failure reason",
            ["outcome", "reason"],
            registry=r,
        )
        self.tokens = Counter("frmr_sso_tokens_issued", "Tokens issued by grant", ["grant"], registry=r)
        self.refresh_reuse = Counter(
            "frmr_sso_refresh_reuse",
            "Refresh tokens presented again outside the grace window (family revoked)",
            registry=r,
        )
        self.lockouts = Counter("frmr_sso_lockouts", "Locks started by kind", ["kind"], registry=r)
        self.rate_limited = Counter(
            "frmr_sso_rate_limit_rejections", "Requests answered 429 by endpoint group", ["group"], registry=r
        )
        self.upstream_latency = Histogram(
            "frmr_sso_upstream_request_duration_seconds",
            "Upstream calls by connector and outcome",
            ["connector", "outcome"],
            buckets=UPSTREAM_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "frmr_sso_upstream_errors",
            "Upstream calls that failed, by reason",
            ["connector", "reason"],
            registry=r,
        )
        self.requests = Histogram(
            "frmr_sso_http_request_duration_seconds",
            "HTTP requests by route template, method and status class",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.breaker_state = Gauge(
            "frmr_sso_upstream_breaker_state",
            "Circuit breaker state per connector (1 = the current state)",
            ["connector", "state"],
            registry=r,
        )
        self._breakers: dict[str, CircuitBreaker] = {}

    def observe(self, record: AuditRecord) -> None:
        """An ``Auditor`` observer: every audit record is counted."""
        event = record.event_type
        _child(self._children, self.audit_events, event, record.outcome).inc()
        reason = _LOGIN_REASONS.get(event)
        if reason is not None:
            self.logins.labels("success" if reason == "ok" else "failure", reason).inc()
        elif event in _TOKEN_EVENTS:
            grant = record.details.get("grant")
            _child(self._children, self.tokens, grant if grant in _GRANTS else "other").inc()
        elif event == Event.REFRESH_REUSED.value:
            self.refresh_reuse.inc()
        elif event in _LOCK_KINDS:
            self.lockouts.labels(_LOCK_KINDS[event]).inc()

    def watch_connectors(self, connectors: Mapping[str, Any]) -> None:
        """Export the breaker state of each connector and time its upstream calls."""
        for name, connector in connectors.items():
            breaker = getattr(connector, "breaker", None)
            if isinstance(breaker, CircuitBreaker):
                self._breakers[name] = breaker
                breaker.listener = self.upstream_call

    def upstream_call(self, connector: str, seconds: float, outcome: str) -> None:
        """``outcome``: ``ok``, or the failure reason (``timeout``, ``connection``, ``http_503`` …)."""
        self.upstream_latency.labels(connector, "ok" if outcome == "ok" else "error").observe(seconds)
        if outcome != "ok":
            self.upstream_errors.labels(connector, outcome).inc()

    def exposition(self) -> bytes:
        for name, breaker in self._breakers.items():  # the state is read when scraped
            current = breaker.state
            for state in _STATES:
                self.breaker_state.labels(name, state.value).set(1.0 if state is current else 0.0)
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    """The matched route's template, never the raw path: a bounded label set."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED
