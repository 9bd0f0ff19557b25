from __future__ import annotations

from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.web.metrics import LOGIN_EVENTS, Metrics


class Sink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    metrics.exposition()  # as a scrape: the breaker state is read then
    return metrics.registry.get_sample_value(name, labels)


async def test_each_login_failure_is_its_own_label() -> None:
    metrics = Metrics()
    auditor = Auditor(Sink(), observers=[metrics.observe], clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    context = AuditContext(ip="127.0.0.1")
    await auditor.record(Event.NO_FRMR_RECORD, context, outcome=FAILURE)
    await auditor.record(Event.NO_FRMR_RECORD, context, outcome=FAILURE)
    await auditor.record(Event.UPSTREAM_UNAVAILABLE, context, outcome=FAILURE)
    await auditor.record(Event.LOGIN_SUCCESS, context, outcome=SUCCESS)
    assert _value(metrics, "frmr_sso_logins_total", outcome="failure", reason="no_frmr_record") == 2
    assert _value(metrics, "frmr_sso_logins_total", outcome="failure", reason="upstream_unavailable") == 1
    assert _value(metrics, "frmr_sso_logins_total", outcome="success", reason="ok") == 1
    assert _value(metrics, "frmr_sso_audit_events_total", event="login.success", outcome="success") == 1


def test_login_reasons_are_distinct() -> None:
    assert len(set(LOGIN_EVENTS.values())) == len(LOGIN_EVENTS)


def test_two_instances_do_not_share_counters() -> None:
    first, second = Metrics(), Metrics()
    record = AuditRecord(event_type="login.success", outcome="success", occurred_at=datetime.now(UTC))
    first.observe(record)
    assert _value(first, "frmr_sso_logins_total", outcome="success", reason="ok") == 1
    assert _value(second, "frmr_sso_logins_total", outcome="success", reason="ok") is None
    assert b"frmr_sso_logins_total" in first.exposition()


def _record(event: Event, **details: object) -> AuditRecord:
    return AuditRecord(
        event_type=event.value, outcome="success", occurred_at=datetime.now(UTC), details=dict(details)
    )


def test_tokens_by_grant_reuse_and_lockouts_come_from_the_audit_records() -> None:
    metrics = Metrics()
    metrics.observe(_record(Event.TOKEN_ISSUED, grant="client_credentials"))
    metrics.observe(_record(Event.TOKEN_ISSUED, grant="authorization_code"))
    metrics.observe(_record(Event.REFRESH_ROTATED, grant="refresh_token"))
    metrics.observe(_record(Event.TOKEN_ISSUED, grant="made-up"))
    metrics.observe(_record(Event.REFRESH_REUSED))
    metrics.observe(_record(Event.CLIENT_LOCKED))
    metrics.observe(_record(Event.IP_LOCKED))
    for grant in ("client_credentials", "authorization_code", "refresh_token", "other"):
        assert _value(metrics, "frmr_sso_tokens_issued_total", grant=grant) == 1
    assert _value(metrics, "frmr_sso_refresh_reuse_total") == 1
    assert _value(metrics, "frmr_sso_lockouts_total", kind="client") == 1
    assert _value(metrics, "frmr_sso_lockouts_total", kind="ip") == 1
    assert _value(metrics, "frmr_sso_lockouts_total", kind="subject") is None


class Connector:
    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker


def test_breaker_state_and_upstream_calls_per_connector() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, cool_down=10, clock=lambda: now[0])
    metrics = Metrics()
    metrics.watch_connectors({"esia": Connector(breaker), "other": object()})
    assert _value(metrics, "frmr_sso_upstream_breaker_state", connector="esia", state="closed") == 1
    breaker.record_failure()
    assert _value(metrics, "frmr_sso_upstream_breaker_state", connector="esia", state="open") == 1
    assert _value(metrics, "frmr_sso_upstream_breaker_state", connector="esia", state="closed") == 0
    now[0] = 11.0
    assert _value(metrics, "frmr_sso_upstream_breaker_state", connector="esia", state="half_open") == 1
    assert breaker.listener is not None
    breaker.listener("esia", 0.2, "ok")
    breaker.listener("esia", 5.0, "timeout")
    count = "frmr_sso_upstream_request_duration_seconds_count"
    assert _value(metrics, count, connector="esia", outcome="ok") == 1
    assert _value(metrics, count, connector="esia", outcome="error") == 1
    assert _value(metrics, "frmr_sso_upstream_errors_total", connector="esia", reason="timeout") == 1
