"""Bulk import of FRMR persons: validate each streamed record, write the valid ones in batches.

Records come from ``json_stream`` in the shape of ``data/demo_persons.yaml``.
An invalid record is skipped with one problem per bad field, named by record
number, line and field path (``record 17 (line 203): employments[0].rate: must
be between 0 and 1.5``); the rest go to the writer in batches of one transaction
each, upserted by ``frmr_id``. The writer refuses a person whose SNILS belongs to
another ``frmr_id``, and that record is skipped too. Problems never quote the
values they are about: a SNILS appears only masked. A key the record shape does
not know is reported as an ``unknown field``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from frmr_sso.identity.snils import mask_snils
from frmr_sso.registry.json_stream import RawRecord, UnreadableFile
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.registry.validation import InvalidRecord, validate_person

__all__ = ["ImportReport", "InvalidRecord", "PersonBatchWriter", "import_records", "validate_person"]

BATCH_SIZE = 500
MAX_PROBLEMS = 50
YIELD_EVERY = 8  # records read between turns of the batch being written


class PersonBatchWriter(Protocol):
    async def upsert_many(
        self, persons: Sequence[FrmrPerson], *, sections: Collection[str] = SECTIONS
    ) -> list[int]:
        """Write ``persons`` and their ``sections`` in one transaction; positions refused for their SNILS."""
        ...


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    skipped: int = 0
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS
    fatal: str | None = None  # why reading stopped before the end of the file

    def skip(self, record: RawRecord, problems: Sequence[str], keep: int) -> None:
        self.skipped += 1
        self.note(record, problems, keep)

    def note(self, record: RawRecord, problems: Sequence[str], keep: int) -> None:
        """List ``problems`` of ``record`` without counting it as skipped."""
        self.problem_count += len(problems)
        room = max(keep - len(self.problems), 0)
        self.problems.extend(f"record {record.number} (line {record.line}): {p}" for p in problems[:room])

    def summary(self) -> str:
        lines = [f"imported {self.imported}, skipped {self.skipped}"]
        if self.problems:
            shown = len(self.problems)
            more = f"first {shown} of {self.problem_count}" if shown < self.problem_count else str(shown)
            lines += [f"problems ({more}):", *(f"  {p}" for p in self.problems)]
        if self.fatal:
            lines.append(f"stopped: {self.fatal}")
        return "\n".join(lines)


async def import_records(
    records: Iterable[RawRecord],
    writer: PersonBatchWriter,
    *,
    batch_size: int = BATCH_SIZE,
    max_problems: int = MAX_PROBLEMS,
    sections: Collection[str] = SECTIONS,
) -> ImportReport:
    """Validate and upsert ``records`` and their ``sections`` (none for ``persons.csv``: kept as they are).

    A fault in the file stops reading and keeps what came before; the command checks the
    whole file first (``import_file.inspect_file``), so that only happens on a file changed meanwhile.
    """
    report = ImportReport()
    batch: list[tuple[RawRecord, FrmrPerson]] = []
    writing: asyncio.Task[None] | None = None  # the previous batch, written while this one is read
    try:
        try:
            for count, record in enumerate(records):
                try:
                    if record.error is not None:
                        raise InvalidRecord([record.error])
                    batch.append((record, validate_person(record.value)))
                except InvalidRecord as exc:
                    report.skip(record, exc.problems, max_problems)
                if len(batch) >= batch_size:
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(_write(batch, writer, report, max_problems, sections))
                    batch = []
                elif writing is not None and count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the batch being written gets its turn with the database
        except UnreadableFile as exc:
            report.fatal = str(exc)
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
    await _write(batch, writer, report, max_problems, sections)
    return report


async def _write(
    batch: list[tuple[RawRecord, FrmrPerson]],
    writer: PersonBatchWriter,
    report: ImportReport,
    keep: int,
    sections: Collection[str],
) -> None:
    if not batch:
        return
    refused = set(await writer.upsert_many([person for _, person in batch], sections=sections))
    for index in sorted(refused):
        record, person = batch[index]
        taken = f"snils: {mask_snils(person.snils)} already belongs to another FRMR person"
        report.skip(record, [taken], keep)
    report.imported += len(batch) - len(refused)
    batch.clear()
