"""Change and support requests on the configured backend: one transaction per step, nothing half-written."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.cabinet_backend.change_requests import model as cr
from frmr_sso.cabinet_backend.change_requests.apply import apply_change
from frmr_sso.cabinet_backend.change_requests.uploads import JPEG, PDF, Upload
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository, SqlRegistryRepository
from frmr_sso.storage.sql.change_requests import SqlChangeRequestRepository
from frmr_sso.storage.sql.requests_tables import change_request_documents, change_requests
from frmr_sso.storage.sql.support_requests import SqlSupportRequestRepository
from tests.integration.audit.support import verify
from tests.support import documents

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
PERSON = FrmrPerson(
    frmr_id="FRMR-1",
    snils="11223344595",
    last_name="Иванова",
    first_name="Мария",
    middle_name=None,
    gender="F",
    birth_date=None,
    email="old@example.test",
    employments=(
        Employment(
            "1.2.643.5.1.13",
            "Old",
            "109",
            "врач-терапевт",
            PositionType.MAIN,
            1.0,
            date(2012, 9, 1),
            record_id="job-1",
        ),
    ),
)
PROPOSAL = {
    "record_id": "job-1",
    "organization_oid": "1.2.643.5.1.13.13.12.2.77.7871",
    "organization_name": "ГКБ № 1",
    "post_id": "109",
    "position_type": 1,
    "rate": 0.5,
    "begin_date": "2012-09-01",
}


def audit(event: str) -> AuditRecord:
    return AuditRecord(event_type=event, outcome="info", occurred_at=NOW, subject_id="s1")


def new_request(
    section: cr.Section = cr.Section.WORKPLACE, proposal: dict[str, object] | None = None
) -> cr.ChangeRequest:
    cleaned, _ = cr.validate_proposal(
        section, proposal or PROPOSAL, documents=section is not cr.Section.CONTACTS, today=date(2026, 11, 26)
    )
    return cr.ChangeRequest(
        str(uuid.uuid4()), "FRMR-1", "s1", section, cleaned, cr.initial_status(section), NOW, NOW
    )


@pytest.fixture
async def stores(
    engine: AsyncEngine,
) -> tuple[SqlChangeRequestRepository, SqlRegistryRepository, SqlAuditRepository]:
    registry = SqlRegistryRepository(engine)
    await registry.upsert(PERSON)
    return SqlChangeRequestRepository(engine), registry, SqlAuditRepository(engine)


def uploads() -> list[Upload]:
    return [
        Upload("documents", "a.pdf", PDF, documents.pdf()),
        Upload("documents", "b.jpg", JPEG, documents.jpeg()),
    ]


async def test_a_request_its_documents_and_its_audit_record_are_stored_together(stores) -> None:  # type: ignore[no-untyped-def]
    repo, _, audit_log = stores
    created, record = await repo.create(new_request(), uploads(), audit("change_request.submitted"))
    assert record.id is not None
    assert len(created.documents) == 2
    loaded = await repo.get(created.id)
    assert loaded is not None
    assert loaded.documents == created.documents
    assert loaded.proposal["begin_date"] == "2012-09-01"
    assert loaded.status is cr.Status.PENDING
    info, data = await repo.document(created.id, created.documents[1].id) or (None, b"")
    assert info is not None
    assert info.content_type == JPEG
    assert data == documents.jpeg()
    assert await repo.document(str(uuid.uuid4()), created.documents[1].id) is None
    assert [r.id for r in await repo.list_for("FRMR-1")] == [created.id]
    assert [r.id for r in await repo.list_by_status(cr.Status.PENDING)] == [created.id]
    assert [e.event_type for e in await audit_log.list()] == ["change_request.submitted"]


async def test_a_failure_mid_create_leaves_nothing(stores, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    repo, _, audit_log = stores
    broken = dataclasses.replace(new_request(), frmr_id="FRMR-UNKNOWN")  # the foreign key refuses it
    with pytest.raises(Exception):  # noqa: B017, PT011 - StorageConflict or StorageError by backend
        await repo.create(broken, uploads(), audit("change_request.submitted"))
    async with engine.connect() as conn:
        for table in (change_requests, change_request_documents):
            assert (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one() == 0
    assert list(await audit_log.list()) == []


async def test_approval_changes_the_record_status_and_audit_in_one_step(stores) -> None:  # type: ignore[no-untyped-def]
    repo, registry, audit_log = stores
    created, _ = await repo.create(new_request(), uploads(), audit("change_request.submitted"))
    approved = cr.approve(created, by="admin", at=NOW)
    apply = lambda person: apply_change(person, cr.parse_stored(approved))  # noqa: E731
    record = await repo.decide(
        approved, expected=cr.Status.PENDING, audit=audit("change_request.approved"), apply=apply
    )
    assert record is not None
    person = await registry.get("FRMR-1")
    assert person is not None
    assert [(e.record_id, e.rate) for e in person.employments] == [("job-1", 0.5)]
    assert (await repo.get(created.id)).status is cr.Status.APPROVED  # type: ignore[union-attr]
    again = await repo.decide(
        cr.reject(created, reason="x", by="b", at=NOW),
        expected=cr.Status.PENDING,
        audit=audit("change_request.rejected"),
    )
    assert again is None  # decided already: nothing written
    assert [e.event_type for e in await audit_log.list()][-1] == "change_request.approved"
    report = await verify(audit_log)
    assert report.broken is None
    assert report.records == 2


async def test_a_failing_apply_rolls_back_the_decision(stores) -> None:  # type: ignore[no-untyped-def]
    repo, registry, audit_log = stores
    created, _ = await repo.create(new_request(), uploads(), audit("change_request.submitted"))

    def explode(person: FrmrPerson) -> FrmrPerson:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await repo.decide(
            cr.approve(created, by="a", at=NOW),
            expected=cr.Status.PENDING,
            audit=audit("change_request.approved"),
            apply=explode,
        )
    assert (await repo.get(created.id)).status is cr.Status.PENDING  # type: ignore[union-attr]
    assert (await registry.get("FRMR-1")) == PERSON
    assert len(await audit_log.list()) == 1


async def test_a_contacts_change_updates_the_person(stores) -> None:  # type: ignore[no-untyped-def]
    repo, registry, _ = stores
    created, _ = await repo.create(
        new_request(cr.Section.CONTACTS, {"email": "new@example.test"}), [], audit("change_request.submitted")
    )
    confirmed = cr.confirm(created, at=NOW)
    await repo.decide(
        confirmed,
        expected=cr.Status.AWAITING_CODE,
        audit=audit("change_request.confirmed"),
        apply=lambda p: apply_change(p, cr.parse_stored(confirmed)),
    )
    person = await registry.get("FRMR-1")
    assert person is not None
    assert person.email == "new@example.test"
    assert person.employments == PERSON.employments


async def test_support_requests_get_numbers_and_keep_their_screenshot(engine: AsyncEngine) -> None:
    repo = SqlSupportRequestRepository(engine)
    form = {
        "name": "Иванова",
        "email": "e@example.test",
        "snils": "11223344595",
        "description": "Не входит",
        "problem_time": NOW,
    }
    shot = Upload("screenshot", "s.png", "image/png", documents.png())
    first, record = await repo.create(
        form,
        created_at=NOW,
        subject_id=None,
        access_key_hash="h" * 64,
        screenshot=shot,
        audit=audit("support.submitted"),
    )
    second, _ = await repo.create(
        form,
        created_at=NOW,
        subject_id="s1",
        access_key_hash=None,
        screenshot=None,
        audit=audit("support.submitted"),
    )
    assert (first.number, second.number) == ("SR-2026-000001", "SR-2026-000002")
    assert record.details["number"] == first.number
    found = await repo.get_by_number("SR-2026-000001")
    assert found is not None
    assert found[0] == first
    assert found[1] == "h" * 64
    assert await repo.get_by_number("SR-2025-000001") is None
    assert await repo.get_by_number("SR-2026-999999999999") is None
    assert await repo.screenshot(first.id) == ("image/png", documents.png())
    assert await repo.screenshot(second.id) is None
    assert [r.number for r in await repo.list()] == [first.number, second.number]


async def test_only_a_decision_that_wrote_the_record_reports_a_registry_change(engine: AsyncEngine) -> None:
    await SqlRegistryRepository(engine).upsert(PERSON)
    changes: list[str] = []

    async def changed() -> None:
        changes.append("changed")

    repo = SqlChangeRequestRepository(engine, registry_changed=changed)
    first, _ = await repo.create(new_request(), uploads(), audit("change_request.submitted"))
    rejected = cr.reject(first, reason="x", by="admin", at=NOW)
    assert await repo.decide(rejected, expected=cr.Status.PENDING, audit=audit("change_request.rejected"))
    assert changes == []
    second, _ = await repo.create(new_request(), [], audit("change_request.submitted"))
    approved = cr.approve(second, by="admin", at=NOW)
    apply = lambda person: apply_change(person, cr.parse_stored(approved))  # noqa: E731
    decided = await repo.decide(
        approved, expected=cr.Status.PENDING, audit=audit("change_request.approved"), apply=apply
    )
    assert decided is not None
    assert changes == ["changed"]
    lost = await repo.decide(
        approved, expected=cr.Status.PENDING, audit=audit("change_request.approved"), apply=apply
    )
    assert lost is None
    assert changes == ["changed"]  # decided already: nothing written, nothing reported
