"""``Security.check``: the call a second factor makes, with its audit events, on both KV backends."""

from __future__ import annotations

import asyncio

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.bootstrap.security import build_security
from frmr_sso.config import load_settings
from frmr_sso.storage.ports import AuditRecord, KeyValueStore

CONTEXT = AuditContext(ip="198.51.100.20", user_agent="pytest", request_id="r-1")


class Sink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


async def test_wrong_codes_lock_the_subject_and_every_step_is_audited(kv: KeyValueStore) -> None:
    sink = Sink()
    settings = load_settings(mode="demo", lockout_max_failures=3, lockout_base_wait=1, lockout_max_wait=1)
    security = build_security(settings, kv, Auditor(sink))
    checks = 0

    async def wrong() -> bool:
        nonlocal checks
        checks += 1
        await asyncio.sleep(0)
        return False

    results = await asyncio.gather(*(security.check("subject", "sub-1", CONTEXT, wrong) for _ in range(30)))
    assert checks == 3
    assert not any(r.ok for r in results)
    assert max(r.status.minutes_left for r in results) == 1
    [locked] = [r for r in sink.records if r.event_type == "subject.locked"]
    assert locked.subject_id == "sub-1"
    assert locked.ip == CONTEXT.ip
    assert locked.details == {"lock_number": 1, "permanent": False, "seconds": 1}

    async def right() -> bool:
        return True

    assert not (await security.check("subject", "sub-1", CONTEXT, right)).ok  # still locked
    await asyncio.sleep(1.2)
    assert (await security.check("subject", "sub-1", CONTEXT, right)).ok
    [expired] = [r for r in sink.records if r.event_type == "subject.unlocked"]
    assert expired.details == {"by": "expiry"}
    assert await security.unlock("ip", CONTEXT.ip or "", CONTEXT, by="cli") is False
    assert sink.records[-1].event_type == "ip.unlocked"
    assert sink.records[-1].details == {"by": "cli", "locked_ip": CONTEXT.ip}
