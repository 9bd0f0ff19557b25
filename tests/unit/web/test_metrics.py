from __future__ import annotations

from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.web.metrics import LOGIN_EVENTS, Metrics


class Sink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
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
