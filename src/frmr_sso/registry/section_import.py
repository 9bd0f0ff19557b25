"""Import of one section from a CSV file: each person's rows replace that section of their record.

Rows come from ``csv_stream`` (one item per row, ``frmr_id`` first); the rows of
one person must follow each other. A person with any invalid row keeps the
section as it was, and each bad row is reported (``record 7 (line 8): hours: …``);
so is every row of a person the registry does not know. Groups go to the writer
in batches of one transaction each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from frmr_sso.registry.fields import Fields
from frmr_sso.registry.importer import BATCH_SIZE, MAX_PROBLEMS, ImportReport
from frmr_sso.registry.json_stream import RawRecord, UnreadableFile
from frmr_sso.registry.section_readers import READERS
from frmr_sso.registry.validation import MAX_ITEMS, with_record_ids

Group = tuple[str, tuple[Any, ...]]


class SectionWriter(Protocol):
    async def replace_sections(self, section: str, groups: Sequence[Group]) -> list[int]:
        """Replace ``section`` of each (frmr_id, items) in one transaction; positions of unknown persons."""
        ...


@dataclass(slots=True)
class _Open:
    frmr_id: str
    first: RawRecord
    rows: int = 0
    items: list[Any] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    bad: bool = False


class _SectionImport:
    def __init__(self, section: str, writer: SectionWriter, batch_size: int, keep: int) -> None:
        self.section, self.writer, self.batch_size, self.keep = section, writer, batch_size, keep
        self.report = ImportReport()
        self.today = datetime.now(UTC).date()
        self.seen: set[str] = set()
        self.group: _Open | None = None
        self.batch: list[tuple[_Open, tuple[Any, ...]]] = []

    async def row(self, record: RawRecord) -> None:
        value = record.value if isinstance(record.value, dict) else {}
        frmr_id = value.get("frmr_id")
        if record.error is not None or not isinstance(frmr_id, str) or not 0 < len(frmr_id) <= 64:
            self.report.skip(
                record, [record.error or "frmr_id: is required (at most 64 characters)"], self.keep
            )
            return
        if self.group is None or self.group.frmr_id != frmr_id:
            await self.close()
            if frmr_id in self.seen:
                self.report.skip(
                    record, ["frmr_id: the rows of one person must follow each other"], self.keep
                )
                return
            self.seen.add(frmr_id)
            self.group = _Open(frmr_id, record)
        group = self.group
        group.rows += 1
        fields = Fields(self.today)
        source = {k: v for k, v in value.items() if k != "frmr_id"}
        item = READERS[self.section](fields, source, "")
        if fields.problems:
            group.bad = True
            self.report.note(record, fields.problems, self.keep)
        group.items.append(item)
        group.sources.append(source)

    async def close(self) -> None:
        group, self.group = self.group, None
        if group is None:
            return
        fields = Fields(self.today)
        items = with_record_ids(group.frmr_id, self.section, group.items, group.sources, fields)
        if group.rows > MAX_ITEMS:
            fields.fail("frmr_id", f"a person has at most {MAX_ITEMS} rows in a section")
        if fields.problems:
            self.report.note(group.first, fields.problems, self.keep)
            group.bad = True
        if group.bad:  # every row of the person stays out
            self.report.skipped += group.rows
            return
        self.batch.append((group, items))
        if len(self.batch) >= self.batch_size:
            await self.flush()

    async def flush(self) -> None:
        if not self.batch:
            return
        refused = set(
            await self.writer.replace_sections(self.section, [(g.frmr_id, i) for g, i in self.batch])
        )
        for index, (group, _) in enumerate(self.batch):
            if index in refused:
                unknown = ["frmr_id: no FRMR person with this id (import persons first)"]
                self.report.note(group.first, unknown, self.keep)
                self.report.skipped += group.rows
            else:
                self.report.imported += group.rows
        self.batch.clear()


async def import_section_rows(
    records: Iterable[RawRecord],
    writer: SectionWriter,
    section: str,
    *,
    batch_size: int = BATCH_SIZE,
    max_problems: int = MAX_PROBLEMS,
) -> ImportReport:
    """Replace ``section`` of the persons in ``records``; a fault in the file stops reading."""
    work = _SectionImport(section, writer, batch_size, max_problems)
    try:
        for record in records:
            await work.row(record)
        await work.close()
    except UnreadableFile as exc:
        work.report.fatal = str(exc)
    await work.flush()
    return work.report
