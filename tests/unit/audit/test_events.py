from __future__ import annotations

from datetime import UTC, datetime

from frmr_sso.audit.events import FAILURE, AuditContext, Auditor, Event
from frmr_sso.identity.snils import Snils
from frmr_sso.storage.ports import audit_chain_hash
from tests.unit.login.fakes import ListAudit

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_record_carries_the_context_and_only_a_masked_snils() -> None:
    sink = ListAudit()
    auditor = Auditor(sink, clock=lambda: AT)
    context = AuditContext(ip="198.51.100.7", user_agent="Mozilla/5.0 " + "x" * 1000, request_id="abc123def")
    record = await auditor.record(
        Event.NO_FRMR_RECORD,
        context,
        outcome=FAILURE,
        client_id="demo-web",
        snils=Snils.parse("112-233-445 95"),
        details={"connector": "esia", "esia_code": None},
    )
    assert record.event_type == "login.no_frmr_record"
    assert record.occurred_at == AT
    assert (record.ip, record.request_id, record.client_id) == ("198.51.100.7", "abc123def", "demo-web")
    assert record.user_agent is not None
    assert len(record.user_agent) == 512
    assert record.snils_masked == "***-***-445 95"
    assert record.details == {"connector": "esia"}
    assert "11223344595" not in repr(record)
    audit_chain_hash(record, "0" * 64)  # JSON-serialisable as the chain needs


def test_event_names_are_unique_and_dotted() -> None:
    values = [event.value for event in Event]
    assert len(values) == len(set(values))
    assert all("." in value for value in values)
