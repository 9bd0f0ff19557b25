"""ChangeRequestService against in-memory fakes: the rules the HTTP tests cannot reach cheaply."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

import pytest

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.cabinet_backend.base import Conflict, NotFound, Worker
from frmr_sso.cabinet_backend.change_requests import model as cr
from frmr_sso.cabinet_backend.change_requests.contact_codes import ContactCodes
from frmr_sso.cabinet_backend.change_requests.form_fields import Invalid
from frmr_sso.cabinet_backend.change_requests.service import ChangeRequestService
from frmr_sso.cabinet_backend.change_requests.uploads import PDF, Upload
from frmr_sso.cabinet_backend.notifications import DevOutbox, NotifierUnavailable, UnavailableNotifier
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.security.limiter import Lockout, RateLimiter
from frmr_sso.security.lockout import LockoutPolicy
from frmr_sso.security.person_limits import PersonLimits, RateLimited
from frmr_sso.storage.kv.memory import MemoryKV
from frmr_sso.storage.ports import AuditRecord
from tests.support import documents

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
CONTEXT = AuditContext("198.51.100.7", "test", "req-1")
PERSON = FrmrPerson(
    frmr_id="FRMR-1",
    snils="11223344595",
    last_name="Иванова",
    first_name="Мария",
    middle_name=None,
    gender="F",
    birth_date=None,
    employments=(
        Employment(
            "1.2.643.5.1.13",
            "ГКБ",
            "109",
            "врач-терапевт",
            PositionType.MAIN,
            1.0,
            date(2012, 9, 1),
            record_id="job-1",
        ),
    ),
)
WORKPLACE = {
    "record_id": "job-1",
    "organization_oid": "1.2.643.5.1.13",
    "organization_name": "ГКБ № 1",
    "post_id": "109",
    "position_type": 1,
    "rate": 0.5,
    "begin_date": "2012-09-01",
}
DOCTOR = Worker("subject-1", "FRMR-1", "demo-web")


class Requests:
    def __init__(self) -> None:
        self.stored: dict[str, cr.ChangeRequest] = {}
        self.person = PERSON
        self.audit: list[AuditRecord] = []
        self.lose_race = False

    async def create(
        self, request: cr.ChangeRequest, uploads: Sequence[Upload], audit: AuditRecord
    ) -> tuple[cr.ChangeRequest, AuditRecord]:
        self.stored[request.id] = request
        self.audit.append(audit)
        return request, audit

    async def get(self, request_id: str) -> cr.ChangeRequest | None:
        return self.stored.get(request_id)

    async def list_for(self, frmr_id: str, *, limit: int = 200) -> list[cr.ChangeRequest]:
        return [r for r in self.stored.values() if r.frmr_id == frmr_id]

    async def list_by_status(self, status: cr.Status | None, *, limit: int = 200) -> list[cr.ChangeRequest]:
        return [r for r in self.stored.values() if status is None or r.status is status]

    async def document(self, request_id: str, document_id: str) -> None:
        return None

    async def decide(
        self,
        updated: cr.ChangeRequest,
        *,
        expected: cr.Status,
        audit: AuditRecord,
        apply: Callable[[FrmrPerson], FrmrPerson] | None = None,
    ) -> AuditRecord | None:
        if self.lose_race or self.stored[updated.id].status is not expected:
            return None
        person = apply(self.person) if apply else self.person
        self.stored[updated.id], self.person = updated, person
        self.audit.append(audit)
        return audit


class Sink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


class Registry:
    def __init__(self, requests: Requests) -> None:
        self._requests = requests

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        return self._requests.person if frmr_id == PERSON.frmr_id else None


def service(
    requests: Requests, notifier: object | None = None, limits: PersonLimits | None = None
) -> ChangeRequestService:
    kv = MemoryKV()
    codes = ContactCodes(kv, notifier or UnavailableNotifier(), Lockout(kv, LockoutPolicy(), "t"), key=b"k")  # type: ignore[arg-type]
    return ChangeRequestService(
        requests=requests,
        registry=Registry(requests),
        codes=codes,  # type: ignore[arg-type]
        auditor=Auditor(Sink()),
        clock=lambda: NOW,
        limits=limits,
    )


def pdf() -> list[Upload]:
    return [Upload("documents", "a.pdf", PDF, documents.pdf())]


async def test_approval_applies_the_change_and_records_who_decided() -> None:
    requests = Requests()
    cabinet = service(requests)
    created = await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    approved = await cabinet.approve(created.id, by="client:registry-admin", context=CONTEXT)
    assert (approved.status, approved.decided_by) == (cr.Status.APPROVED, "client:registry-admin")
    assert requests.person.employments[0].rate == 0.5
    assert [a.event_type for a in requests.audit] == ["change_request.submitted", "change_request.approved"]
    assert requests.audit[0].ip == "198.51.100.7"
    assert requests.audit[1].details["by"] == "client:registry-admin"


async def test_authors_do_not_decide_their_own_requests() -> None:
    requests = Requests()
    cabinet = service(requests)
    created = await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    with pytest.raises(Conflict):
        await cabinet.approve(created.id, by="subject:subject-1", context=CONTEXT)
    assert requests.stored[created.id].status is cr.Status.PENDING


async def test_a_lost_race_is_a_conflict_and_changes_nothing() -> None:
    requests = Requests()
    cabinet = service(requests)
    created = await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    requests.lose_race = True
    with pytest.raises(Conflict):
        await cabinet.reject(created.id, "нет печати", by="client:a", context=CONTEXT)
    assert requests.person == PERSON


async def test_without_a_notifier_a_contacts_change_is_not_stored() -> None:
    requests = Requests()
    with pytest.raises(NotifierUnavailable):
        await service(requests).submit(
            DOCTOR, {"section": "contacts", "fields": {"email": "n@example.test"}}, [], CONTEXT
        )
    assert requests.stored == {}


async def test_one_contact_per_request_and_only_ones_own_requests() -> None:
    requests = Requests()
    cabinet = service(requests)
    with pytest.raises(Invalid) as raised:
        await cabinet.submit(
            DOCTOR,
            {"section": "contacts", "fields": {"email": "n@example.test", "phone": "+79990000002"}},
            [],
            CONTEXT,
        )
    assert [e.field for e in raised.value.errors] == ["fields"]
    created = await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    with pytest.raises(NotFound):
        await cabinet.get_mine(dataclasses.replace(DOCTOR, frmr_id="FRMR-2"), created.id)
    with pytest.raises(NotFound):
        await cabinet.submit(
            Worker("s9", "FRMR-9"), {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT
        )


async def test_change_requests_and_contact_codes_have_an_hourly_budget_per_person() -> None:
    kv = MemoryKV()
    rates = {"change_requests": RateLimiter(kv, 3, 3600.0, namespace="cr"),
             "contact_codes": RateLimiter(kv, 1, 3600.0, namespace="cc")}
    cabinet = service(Requests(), DevOutbox(kv), PersonLimits(kv, rates, namespace="t"))
    contact = {"section": "contacts", "fields": {"email": "n@example.test"}}
    await cabinet.submit(DOCTOR, contact, [], CONTEXT)
    with pytest.raises(RateLimited):  # a second code within the hour
        await cabinet.submit(DOCTOR, contact, [], CONTEXT)
    await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    with pytest.raises(RateLimited) as limited:  # the fourth request within the hour
        await cabinet.submit(DOCTOR, {"section": "workplace", "fields": WORKPLACE}, pdf(), CONTEXT)
    assert limited.value.retry_after >= 1
