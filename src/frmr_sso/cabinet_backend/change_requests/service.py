"""The change-request use case: submit, list, confirm a contact, review (approve / reject).

Callers and errors are in ``cabinet_base``. Each state change is stored together with its
audit record (``ChangeRequestRepository``); observers (metrics) hear of it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from frmr_sso.audit.events import FAILURE, INFO, SUCCESS, AuditContext, Auditor, Event
from frmr_sso.cabinet_backend.base import CodeRefused, Conflict, NotFound, PersonReader, Worker, audit_record
from frmr_sso.cabinet_backend.change_requests import model as cr
from frmr_sso.cabinet_backend.change_requests.apply import apply_change, check_record_ids
from frmr_sso.cabinet_backend.change_requests.contact_codes import ContactCodes
from frmr_sso.cabinet_backend.change_requests.form_fields import FieldError, Invalid
from frmr_sso.cabinet_backend.change_requests.uploads import Upload
from frmr_sso.cabinet_backend.notifications import Channel
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.security.person_limits import PersonLimits
from frmr_sso.storage.ports import AuditRecord, ChangeRequestRepository


class ChangeRequestService:
    def __init__(
        self,
        *,
        requests: ChangeRequestRepository,
        registry: PersonReader,
        codes: ContactCodes,
        auditor: Auditor,
        observers: Sequence[Callable[[AuditRecord], None]] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        limits: PersonLimits | None = None,
    ) -> None:
        self._requests, self._registry, self._codes, self._auditor = requests, registry, codes, auditor
        self._observers, self._clock, self._limits = tuple(observers), clock, limits

    def _observe(self, record: AuditRecord) -> None:
        for observe in self._observers:
            observe(record)

    async def submit(
        self, worker: Worker, body: dict[str, Any], uploads: Sequence[Upload], context: AuditContext
    ) -> cr.ChangeRequest:
        now = self._clock()
        section = cr.parse_section(body.get("section"))
        proposal, comment = cr.validate_proposal(
            section, body.get("fields"), documents=len(uploads), today=now.date(), comment=body.get("comment")
        )
        person = await self._registry.get(worker.frmr_id)
        if person is None:
            raise NotFound("there is no FRMR record of this person")
        check_record_ids(person, section, proposal)
        if self._limits is not None:  # per person and hour; a contact change also sends a code
            await self._limits.charge("change_requests", worker.frmr_id)
            if section is cr.Section.CONTACTS:
                await self._limits.charge("contact_codes", worker.frmr_id)
        request = cr.ChangeRequest(
            id=str(uuid.uuid4()),
            frmr_id=worker.frmr_id,
            subject_id=worker.subject_id,
            section=section,
            proposal=proposal,
            status=cr.initial_status(section),
            created_at=now,
            updated_at=now,
            comment=comment,
        )
        if section is cr.Section.CONTACTS:  # sent first: no notifier, no request left waiting for a code
            channel: Channel = "email" if "email" in proposal else "sms"
            await self._codes.send(request.id, channel, proposal["email" if channel == "email" else "phone"])
        details = {"request_id": request.id, "section": section.value, "documents": len(uploads)}
        created, record = await self._requests.create(
            request, uploads, self._audit(Event.CHANGE_REQUEST_SUBMITTED, context, worker, details)
        )
        self._observe(record)
        if section is cr.Section.CONTACTS:
            await self._note(
                Event.CONTACT_CODE_SENT, context, worker, {"request_id": created.id, "channel": channel}
            )
        return created

    def _audit(
        self,
        event: Event,
        context: AuditContext,
        worker: Worker | None,
        details: dict[str, Any],
        *,
        outcome: str = SUCCESS,
        by: str | None = None,
    ) -> AuditRecord:
        return audit_record(
            event,
            context,
            outcome=outcome,
            now=self._clock(),
            subject_id=worker.subject_id if worker else None,
            client_id=worker.client_id if worker else None,
            details={**details, "by": by},
        )

    async def _note(
        self,
        event: Event,
        context: AuditContext,
        worker: Worker,
        details: dict[str, Any],
        outcome: str = INFO,
    ) -> None:
        """An event that changes no stored state: written through the ``Auditor`` (observers included)."""
        await self._auditor.record(
            event,
            context,
            outcome=outcome,
            client_id=worker.client_id,
            subject_id=worker.subject_id,
            details=details,
        )

    async def mine(self, worker: Worker) -> list[cr.ChangeRequest]:
        return await self._requests.list_for(worker.frmr_id)

    async def get_mine(self, worker: Worker, request_id: str) -> cr.ChangeRequest:
        request = await self._requests.get(request_id)
        if request is None or request.frmr_id != worker.frmr_id:
            raise NotFound("no such change request")
        return request

    async def document(
        self, request_id: str, document_id: str, *, worker: Worker | None
    ) -> tuple[Any, bytes]:
        """A document of one's own request (``worker``), or of any request (reviewer: None)."""
        if worker is not None:
            await self.get_mine(worker, request_id)
        found = await self._requests.document(request_id, document_id)
        if found is None:
            raise NotFound("no such document")
        return found

    async def confirm_contact(
        self, worker: Worker, request_id: object, code: object, context: AuditContext
    ) -> cr.ChangeRequest:
        if not isinstance(code, str) or not code.isdigit() or len(code) != 6:
            raise Invalid([FieldError("code", "must be the six-digit code")])
        if not isinstance(request_id, str) or not request_id:
            raise Invalid([FieldError("request_id", "is required")])
        request = await self.get_mine(worker, request_id)
        if request.status is not cr.Status.AWAITING_CODE:
            raise Conflict(f"the request is {request.status.value}")
        check = await self._codes.check(request.id, code, worker=worker.subject_id)
        if not check.ok:
            details = {"request_id": request.id, "locked": check.lock is not None}
            await self._note(Event.CONTACT_CODE_FAILED, context, worker, details, FAILURE)
            raise CodeRefused(check.lock)
        confirmed = cr.confirm(request, at=self._clock())
        return await self._decide(
            confirmed,
            cr.Status.AWAITING_CODE,
            Event.CHANGE_REQUEST_CONFIRMED,
            context,
            worker,
            by="one-time-code",
            apply=True,
        )

    async def queue(self, status: cr.Status | None) -> list[cr.ChangeRequest]:
        return await self._requests.list_by_status(status)

    async def get(self, request_id: str) -> cr.ChangeRequest:
        request = await self._requests.get(request_id)
        if request is None:
            raise NotFound("no such change request")
        return request

    async def _reviewable(self, request_id: str, by: str) -> cr.ChangeRequest:
        request = await self.get(request_id)
        if by == f"subject:{request.subject_id}":
            raise Conflict("a request is decided by another administrator than its author")
        return request

    async def approve(self, request_id: str, *, by: str, context: AuditContext) -> cr.ChangeRequest:
        return await self._review(
            request_id, by, context, Event.CHANGE_REQUEST_APPROVED, apply=True,
            transition=lambda request: cr.approve(request, by=by, at=self._clock()),
        )

    async def reject(
        self, request_id: str, reason: object, *, by: str, context: AuditContext
    ) -> cr.ChangeRequest:
        return await self._review(
            request_id, by, context, Event.CHANGE_REQUEST_REJECTED, apply=False,
            transition=lambda request: cr.reject(request, reason=reason, by=by, at=self._clock()),
        )

    async def _review(
        self, request_id: str, by: str, context: AuditContext, event: Event, *, apply: bool,
        transition: Callable[[cr.ChangeRequest], cr.ChangeRequest],
    ) -> cr.ChangeRequest:
        """An administrator's decision on a pending request (never the author's own)."""
        request = await self._reviewable(request_id, by)
        try:
            decided = transition(request)
        except cr.InvalidTransition as exc:
            raise Conflict(str(exc)) from None
        worker = Worker(request.subject_id, request.frmr_id)
        return await self._decide(decided, cr.Status.PENDING, event, context, worker, by=by, apply=apply)

    async def _decide(
        self,
        updated: cr.ChangeRequest,
        expected: cr.Status,
        event: Event,
        context: AuditContext,
        worker: Worker,
        *,
        by: str,
        apply: bool,
    ) -> cr.ChangeRequest:
        typed = cr.parse_stored(updated)

        def change(person: FrmrPerson) -> FrmrPerson:
            return apply_change(person, typed)

        details = {"request_id": updated.id, "section": updated.section.value, "status": updated.status.value}
        try:
            record = await self._requests.decide(
                updated,
                expected=expected,
                audit=self._audit(event, context, worker, details, by=by),
                apply=change if apply else None,
            )
        except LookupError:  # the FRMR record went away meanwhile
            raise Conflict("the FRMR record no longer exists") from None
        if record is None:
            raise Conflict("the request was decided meanwhile")
        self._observe(record)
        return updated
