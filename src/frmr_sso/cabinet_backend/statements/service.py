"""Ordering statements: a pending row at once, the signed PDF a few seconds later, in the background.

    order(frmr_id, kind) ─▶ row "pending" ─▶ task: person → content → PDF → PAdES ─▶ "ready" (+ PDF)
                                                         any defect of the data ─▶ "failed"
    list/get ─▶ a pending row older than ``stale_after`` that no task of this process
                is working on (the process that took it stopped) is generated again

``limits`` makes "at most ``MAX_PENDING`` pending" hold under parallel orders (the count
and the new row under the person's mutex) and caps orders per person and hour.
Several instances may finish the same row: ``finish`` settles only a pending
row, so the first PDF stays. The signing identity is created on first use and
stored with its private key sealed (``FieldCipher`` purpose ``statement-signing-key``),
unless a ``signer`` is given (a token's key: ``PdfSigner.on_token``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from frmr_sso.audit.events import AuditContext, Auditor, Event
from frmr_sso.cabinet_backend.statements.content import SHORT_TITLES, StatementKind, build_statement
from frmr_sso.cabinet_backend.statements.pdf import render_pdf
from frmr_sso.cabinet_backend.statements.signing import (
    PdfSigner,
    ServiceIdentity,
    SigningCertificate,
    new_service_identity,
)
from frmr_sso.errors import FrmrSsoError
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.ru_format import DEFAULT_ZONE, zone
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.person_limits import PersonLimits
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import StatementRecord, StatementRepository, StatementSignerRecord, utcnow

log = logging.getLogger(__name__)
SIGNER_ID = "statements"
MAX_PENDING = 3


class StatementError(FrmrSsoError):
    """Base of the statement errors a caller can act on."""


class UnknownStatementKind(StatementError):
    pass


class StatementNotFound(StatementError):
    """No such statement of this person (another person's statement is reported the same way)."""


class StatementNotReady(StatementError):
    def __init__(self, status: str) -> None:
        super().__init__(f"the statement is {status}")
        self.status = status


class NoRegistryRecord(StatementError):
    """The person has no FRMR record to state anything about."""


class TooManyPending(StatementError):
    pass


class PersonSource(Protocol):
    async def get(self, frmr_id: str) -> FrmrPerson | None: ...


class StatementService:
    def __init__(
        self,
        statements: StatementRepository,
        persons: PersonSource,
        cipher: FieldCipher,
        *,
        signer_name: str,
        auditor: Auditor | None = None,
        clock: Callable[[], datetime] = utcnow,
        stale_after: timedelta = timedelta(seconds=15),
        time_zone: str = DEFAULT_ZONE,
        limits: PersonLimits | None = None,
        signer: PdfSigner | None = None,
    ) -> None:
        self._zone = zone(time_zone)
        self._repo, self._persons, self._cipher = statements, persons, cipher
        self._signer_name, self._clock, self._stale_after = signer_name, clock, stale_after
        self._audit, self._limits = auditor, limits
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._signer: PdfSigner | None = signer  # a token's, or made on first use
        self._signer_lock = asyncio.Lock()

    async def order(
        self,
        frmr_id: str,
        kind: str,
        *,
        context: AuditContext | None = None,
        subject: str | None = None,
        client: str | None = None,
    ) -> StatementRecord:
        try:
            statement_kind = StatementKind(kind)
        except ValueError:
            raise UnknownStatementKind(f"kind must be one of {', '.join(StatementKind)}") from None
        if await self._persons.get(frmr_id) is None:
            raise NoRegistryRecord("no FRMR record")
        guard = self._limits.guard("statement_orders", frmr_id) if self._limits else contextlib.nullcontext()
        async with guard:  # the count and the row it admits, one step per person
            pending = [s for s in await self._repo.list_for(frmr_id) if s.status == "pending"]
            if len(pending) >= MAX_PENDING:
                raise TooManyPending(f"at most {MAX_PENDING} statements can be in preparation at once")
            record = StatementRecord(
                id=str(uuid.uuid4()),
                frmr_id=frmr_id,
                kind=statement_kind.value,
                status="pending",
                created_at=self._clock(),
            )
            await self._repo.add(record)
        self._start(record.id)
        await self._record(Event.STATEMENT_ORDERED, record, context, subject, client)
        return record

    async def list(self, frmr_id: str) -> list[StatementRecord]:
        found = list(await self._repo.list_for(frmr_id))
        for record in found:
            self._resume_if_stale(record)
        return found

    async def get(self, frmr_id: str, statement_id: str) -> StatementRecord:
        record = await self._repo.get(statement_id) if _is_uuid(statement_id) else None
        if record is None or record.frmr_id != frmr_id:
            raise StatementNotFound("no such statement")
        self._resume_if_stale(record)
        return record

    async def pdf(
        self,
        frmr_id: str,
        statement_id: str,
        *,
        context: AuditContext | None = None,
        subject: str | None = None,
        client: str | None = None,
    ) -> tuple[StatementRecord, bytes]:
        record = await self.get(frmr_id, statement_id)
        if record.status != "ready":
            raise StatementNotReady(record.status)
        data = await self._repo.pdf(statement_id)
        if data is None:
            raise StatementNotReady(record.status)
        await self._record(Event.STATEMENT_DOWNLOADED, record, context, subject, client)
        return record, data

    async def _record(
        self,
        event: Event,
        record: StatementRecord,
        context: AuditContext | None,
        subject: str | None,
        client: str | None,
    ) -> None:
        if self._audit is not None and context is not None:
            details = {"statement": record.id, "kind": record.kind, "frmr_id": record.frmr_id}
            await self._audit.record(event, context, client_id=client, subject_id=subject, details=details)

    async def identity(self) -> SigningCertificate:
        return (await self._pdf_signer()).identity

    async def wait(self, statement_id: str) -> None:
        """Until this process's task for the statement (if any) ends; for tests and shutdown."""
        task = self._tasks.get(statement_id)
        if task is not None:
            await asyncio.wait({task})

    async def aclose(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()))

    def _resume_if_stale(self, record: StatementRecord) -> None:
        stale = record.created_at + self._stale_after <= self._clock()
        if record.status == "pending" and stale and record.id not in self._tasks:
            log.info("resuming a pending statement", extra={"statement_id": record.id})
            self._start(record.id)

    def _start(self, statement_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._generate(statement_id))
        self._tasks[statement_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(statement_id, None))

    async def _generate(self, statement_id: str) -> None:
        try:
            record = await self._repo.get(statement_id)
            if record is None or record.status != "pending":
                return
            person = await self._persons.get(record.frmr_id)
            if person is None:
                await self._repo.fail(statement_id, at=self._clock())
                log.warning("statement failed: the FRMR record is gone", extra={"statement_id": statement_id})
                return
            signer = await self._pdf_signer()
            pdf = await asyncio.to_thread(self._signed_pdf, signer, record, person)
            await self._repo.finish(statement_id, pdf=pdf, at=self._clock())
        except StorageError as exc:  # left pending: the next request picks it up again
            log.error("statement not generated", extra={"statement_id": statement_id, "error": str(exc)})
        except Exception:
            log.exception("statement generation failed", extra={"statement_id": statement_id})
            await self._repo.fail(statement_id, at=self._clock())

    def _signed_pdf(self, signer: PdfSigner, record: StatementRecord, person: FrmrPerson) -> bytes:
        kind = StatementKind(record.kind)
        number = f"{record.created_at:%Y}-{record.id[:8].upper()}"
        content = build_statement(kind, person, number=number, issued_at=self._clock(), zone=self._zone)
        return signer.sign(render_pdf(content), reason=f"{SHORT_TITLES[kind]} № {number}")

    async def _pdf_signer(self) -> PdfSigner:
        async with self._signer_lock:
            if self._signer is None:
                stored = await self._repo.get_signer(SIGNER_ID)
                if stored is None:
                    stored = await self._repo.add_signer_if_absent(await self._new_signer())
                key = self._cipher.decrypt(stored.private_key_encrypted, associated_data=SIGNER_ID)
                self._signer = PdfSigner(ServiceIdentity(stored.certificate_der, key))
            return self._signer

    async def _new_signer(self) -> StatementSignerRecord:
        identity = await asyncio.to_thread(new_service_identity, self._signer_name, now=self._clock())
        sealed = self._cipher.encrypt(identity.private_key_der, associated_data=SIGNER_ID)
        return StatementSignerRecord(
            id=SIGNER_ID,
            certificate_der=identity.certificate_der,
            private_key_encrypted=sealed,
            created_at=self._clock(),
        )


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
