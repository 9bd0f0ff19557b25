from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.cabinet_backend.statements import service as service
from frmr_sso.cabinet_backend.statements.service import StatementService
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import StatementRecord, StatementSignerRecord
from tests.support.pdf_signatures import check_signature, pdf_text
from tests.unit.cabinet_backend.statements.test_content import PERSON
from tests.unit.login.fakes import ListAudit


class MemoryStatements:
    def __init__(self) -> None:
        self.rows: dict[str, StatementRecord] = {}
        self.pdfs: dict[str, bytes] = {}
        self.signers: dict[str, StatementSignerRecord] = {}
        self.broken = False

    async def add(self, statement: StatementRecord) -> None:
        self.rows[statement.id] = statement

    async def get(self, statement_id: str) -> StatementRecord | None:
        if self.broken:
            raise StorageError("down")
        return self.rows.get(statement_id)

    async def list_for(self, frmr_id: str, *, limit: int = 100) -> Sequence[StatementRecord]:
        mine = [r for r in self.rows.values() if r.frmr_id == frmr_id]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)[:limit]

    async def pdf(self, statement_id: str) -> bytes | None:
        return self.pdfs.get(statement_id)

    async def finish(self, statement_id: str, *, pdf: bytes, at: datetime) -> bool:
        if self.rows[statement_id].status != "pending":
            return False
        self.rows[statement_id] = dataclasses.replace(
            self.rows[statement_id], status="ready", ready_at=at, size=len(pdf)
        )
        self.pdfs[statement_id] = pdf
        return True

    async def fail(self, statement_id: str, *, at: datetime) -> bool:
        self.rows[statement_id] = dataclasses.replace(self.rows[statement_id], status="failed", ready_at=at)
        return True

    async def get_signer(self, signer_id: str) -> StatementSignerRecord | None:
        return self.signers.get(signer_id)

    async def add_signer_if_absent(self, signer: StatementSignerRecord) -> StatementSignerRecord:
        return self.signers.setdefault(signer.id, signer)


class Persons:
    def __init__(self, *persons: FrmrPerson) -> None:
        self.by_id = {p.frmr_id: p for p in persons}

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        return self.by_id.get(frmr_id)


@pytest.fixture
def repo() -> MemoryStatements:
    return MemoryStatements()


@pytest.fixture
def persons() -> Persons:
    return Persons(PERSON)


@pytest.fixture
async def statements(repo: MemoryStatements, persons: Persons) -> AsyncIterator[StatementService]:
    svc = StatementService(
        repo, persons, FieldCipher("x" * 40, purpose="statement-signing-key"), signer_name="тест"
    )
    yield svc
    await svc.aclose()


async def test_ordered_statement_becomes_a_signed_pdf(
    statements: StatementService, repo: MemoryStatements
) -> None:
    record = await statements.order(PERSON.frmr_id, "extract")
    assert record.status == "pending"
    await statements.wait(record.id)
    ready, pdf = await statements.pdf(PERSON.frmr_id, record.id)
    assert ready.status == "ready"
    assert (await check_signature(pdf, (await statements.identity()).certificate_der)).ok
    assert "Иванова Мария Петровна" in pdf_text(pdf)
    sealed = repo.signers[service.SIGNER_ID].private_key_encrypted
    assert sealed.startswith("v1.")  # the private key is stored sealed


async def test_the_signer_is_created_once_and_reused(repo: MemoryStatements, persons: Persons) -> None:
    cipher = FieldCipher("x" * 40, purpose="statement-signing-key")
    first = await StatementService(repo, persons, cipher, signer_name="a").identity()
    second = await StatementService(repo, persons, cipher, signer_name="b").identity()
    assert first.certificate_der == second.certificate_der


async def test_another_persons_statement_is_not_found(statements: StatementService) -> None:
    record = await statements.order(PERSON.frmr_id, "activity-certificate")
    await statements.wait(record.id)
    with pytest.raises(service.StatementNotFound):
        await statements.get("someone-else", record.id)
    with pytest.raises(service.StatementNotFound):
        await statements.pdf("someone-else", record.id)
    with pytest.raises(service.StatementNotFound):
        await statements.get(PERSON.frmr_id, "not-a-uuid")


async def test_bad_orders_are_refused(statements: StatementService) -> None:
    with pytest.raises(service.UnknownStatementKind):
        await statements.order(PERSON.frmr_id, "diploma")
    with pytest.raises(service.NoRegistryRecord):
        await statements.order("nobody", "extract")


async def test_too_many_pending_are_refused(repo: MemoryStatements, statements: StatementService) -> None:
    now = datetime.now(UTC)
    for number in range(service.MAX_PENDING):
        await repo.add(
            StatementRecord(
                f"00000000-0000-4000-8000-00000000000{number}", PERSON.frmr_id, "extract", "pending", now
            )
        )
    with pytest.raises(service.TooManyPending):
        await statements.order(PERSON.frmr_id, "extract")


async def test_a_pending_statement_left_behind_is_generated_on_the_next_request(
    repo: MemoryStatements, statements: StatementService
) -> None:
    left = StatementRecord(
        "6f1c1b8e-0d0a-4c1e-9a57-4f3a5b7f2d10",
        PERSON.frmr_id,
        "extract",
        "pending",
        datetime.now(UTC) - timedelta(minutes=5),
    )
    fresh = dataclasses.replace(left, id="6f1c1b8e-0d0a-4c1e-9a57-4f3a5b7f2d11", created_at=datetime.now(UTC))
    await repo.add(left)
    await repo.add(fresh)
    listed = await statements.list(PERSON.frmr_id)
    assert {r.status for r in listed} == {"pending"}
    await statements.wait(left.id)
    assert repo.rows[left.id].status == "ready"
    assert repo.rows[fresh.id].status == "pending"  # young: its own task may still be running elsewhere


async def test_a_statement_whose_record_is_gone_fails(
    repo: MemoryStatements, persons: Persons, statements: StatementService
) -> None:
    record = await statements.order(PERSON.frmr_id, "extract")
    del persons.by_id[PERSON.frmr_id]
    await statements.wait(record.id)
    assert repo.rows[record.id].status == "failed"
    with pytest.raises(service.StatementNotReady):
        await statements.pdf(PERSON.frmr_id, record.id)


async def test_ordering_and_downloading_are_audited(repo: MemoryStatements, persons: Persons) -> None:
    audit = ListAudit()
    svc = StatementService(
        repo,
        persons,
        FieldCipher("x" * 40, purpose="statement-signing-key"),
        signer_name="тест",
        auditor=Auditor(audit),
    )
    context = AuditContext(ip="192.0.2.7", user_agent="ua", request_id="r-1")
    try:
        record = await svc.order(PERSON.frmr_id, "extract", context=context, subject="sub-1", client="web")
        await svc.wait(record.id)
        await svc.pdf(PERSON.frmr_id, record.id, context=context, subject="sub-1", client="web")
    finally:
        await svc.aclose()
    assert audit.types() == ["statement.ordered", "statement.downloaded"]
    for stored in audit.records:
        assert (stored.subject_id, stored.client_id, stored.ip) == ("sub-1", "web", "192.0.2.7")
        assert stored.details == {"statement": record.id, "kind": "extract", "frmr_id": PERSON.frmr_id}
