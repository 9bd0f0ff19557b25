"""Bulk import of FRMR persons: validate each streamed record, write the valid ones in batches.

Records come from ``json_stream`` in the shape of ``data/demo_persons.yaml``.
An invalid record is skipped with one problem per bad field, named by record
number, line and field path (``record 17 (line 203): employments[0].rate: must
be between 0 and 1.5``); the rest go to the writer in batches of one transaction
each, upserted by ``frmr_id``. The writer refuses a person whose SNILS belongs to
another ``frmr_id``, and that record is skipped too. Problems never quote the
values they are about: a SNILS appears only masked. Keys this importer does not
know (other FRMR sections) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from frmr_sso.registry.json_stream import RawRecord, UnreadableFile
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.registry.snils import InvalidSnils, mask_snils, parse_snils

BATCH_SIZE = 500
MAX_PROBLEMS = 50
MAX_RATE = 1.5
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_OID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


class PersonBatchWriter(Protocol):
    async def upsert_many(self, persons: Sequence[FrmrPerson]) -> list[int]:
        """Write ``persons`` in one transaction; the positions of those refused for a taken SNILS."""
        ...


class InvalidRecord(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Fields:
    """Reads the fields of one record, collecting a ``path: message`` problem for each bad one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def text(self, obj: dict[str, Any], key: str, limit: int, prefix: str = "") -> str:
        value = self.optional_text(obj, key, limit, prefix)
        if value is None and obj.get(key) in (None, ""):
            self.fail(prefix + key, "is required")
        return value or ""

    def optional_text(self, obj: dict[str, Any], key: str, limit: int, prefix: str = "") -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(prefix + key, "must be a non-blank string")
        elif len(value) > limit:
            self.fail(prefix + key, f"must be at most {limit} characters")
        else:
            return value
        return None

    def day(self, obj: dict[str, Any], key: str, prefix: str = "", *, required: bool = True) -> date | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(prefix + key, "is required")
            return None
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(prefix + key, "must be a date written YYYY-MM-DD")
        return None

    def strings(self, obj: dict[str, Any], key: str, limit: int) -> tuple[str, ...]:
        value = obj.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= limit for v in value):
            self.fail(key, f"must be a list of non-empty strings of at most {limit} characters")
            return ()
        return tuple(value)

    def employment(self, job: Any, prefix: str) -> Employment | None:
        if not isinstance(job, dict):
            self.fail(prefix.rstrip("."), "must be a JSON object")
            return None
        oid = self.text(job, "organization_oid", 128, prefix)
        if oid and not _OID.match(oid):
            self.fail(f"{prefix}organization_oid", "must be an OID such as 1.2.643.5.1.13.13.12.2.77.7871")
        organization_name = self.text(job, "organization_name", 500, prefix)
        post_id, post_name = self.text(job, "post_id", 32, prefix), self.text(job, "post_name", 300, prefix)
        kind: Any = job.get("position_type")
        rate: Any = job.get("rate")
        valid_kind = type(kind) is int and 1 <= kind <= len(PositionType)
        if not valid_kind:
            self.fail(f"{prefix}position_type", "must be 1, 2, 3 or 4")
        numeric_rate = type(rate) in (int, float)
        if not numeric_rate or not 0 < rate <= MAX_RATE:
            self.fail(f"{prefix}rate", f"must be between 0 and {MAX_RATE}")
        elif round(rate, 2) != rate:
            self.fail(f"{prefix}rate", "must have at most two decimal places")
        begin = self.day(job, "begin_date", prefix)
        end = self.day(job, "end_date", prefix, required=False)
        if begin is not None and end is not None and end < begin:
            self.fail(f"{prefix}end_date", "must not be before begin_date")
        return Employment(  # placeholders stand only in records that are refused
            organization_oid=oid,
            organization_name=organization_name,
            post_id=post_id,
            post_name=post_name,
            position_type=PositionType(kind) if valid_kind else PositionType.MAIN,
            rate=float(rate) if numeric_rate else 0.0,
            begin_date=begin or date.min,
            end_date=end,
        )


def validate_person(value: Any) -> FrmrPerson:
    """The person in a decoded JSON record, or ``InvalidRecord`` listing every bad field."""
    if not isinstance(value, dict):
        raise InvalidRecord(["must be a JSON object"])
    fields = _Fields()
    frmr_id = fields.text(value, "frmr_id", 64)
    snils = ""
    if "snils" not in value:
        fields.fail("snils", "is required")
    else:
        try:
            snils = parse_snils(value["snils"]).digits
        except InvalidSnils as exc:
            fields.fail("snils", str(exc))
    last_name, first_name = fields.text(value, "last_name", 100), fields.text(value, "first_name", 100)
    middle_name = fields.optional_text(value, "middle_name", 100)
    gender = value.get("gender")
    if gender not in (None, "M", "F"):
        fields.fail("gender", "must be M or F")
    birth_date = fields.day(value, "birth_date", required=False)
    roles = fields.strings(value, "roles", 64)
    jobs = value.get("employments") or []
    if not isinstance(jobs, list):
        fields.fail("employments", "must be a list")
        jobs = []
    employments = [fields.employment(job, f"employments[{i}].") for i, job in enumerate(jobs)]
    if fields.problems:
        raise InvalidRecord(fields.problems)
    return FrmrPerson(
        frmr_id=frmr_id, snils=snils, last_name=last_name, first_name=first_name, middle_name=middle_name,
        gender=gender, birth_date=birth_date, roles=roles, employments=tuple(e for e in employments if e),
    )


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    skipped: int = 0
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS
    fatal: str | None = None  # why reading stopped before the end of the file

    def skip(self, record: RawRecord, problems: Sequence[str], keep: int) -> None:
        self.skipped += 1
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
) -> ImportReport:
    """Validate and upsert ``records``; a fault in the file stops reading but keeps what came before."""
    report = ImportReport()
    batch: list[tuple[RawRecord, FrmrPerson]] = []
    try:
        for record in records:
            try:
                if record.error is not None:
                    raise InvalidRecord([record.error])
                batch.append((record, validate_person(record.value)))
            except InvalidRecord as exc:
                report.skip(record, exc.problems, max_problems)
            if len(batch) >= batch_size:
                await _write(batch, writer, report, max_problems)
    except UnreadableFile as exc:
        report.fatal = str(exc)
    await _write(batch, writer, report, max_problems)
    return report


async def _write(
    batch: list[tuple[RawRecord, FrmrPerson]], writer: PersonBatchWriter, report: ImportReport, keep: int
) -> None:
    if not batch:
        return
    refused = set(await writer.upsert_many([person for _, person in batch]))
    for index in sorted(refused):
        record, person = batch[index]
        taken = f"snils: {mask_snils(person.snils)} already belongs to another FRMR person"
        report.skip(record, [taken], keep)
    report.imported += len(batch) - len(refused)
    batch.clear()
