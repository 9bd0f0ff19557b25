"""One run of ``frmr-sso registry import``: check the file, then stream it into the registry.

- ``*.json`` (an array) and ``*.jsonl`` (one object a line): whole FRMR records,
  each replacing the person and every section of their record;
- ``persons.csv``: the persons' own fields; their sections stay as they are;
- ``<section>.csv`` (or ``--section``): that section of the persons named in it.

Nothing is written until the whole file has been read once (``inspect_file``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from frmr_sso.registry.csv_stream import csv_kind
from frmr_sso.registry.import_file import FileKind, inspect_file, open_import
from frmr_sso.registry.importer import ImportReport, PersonBatchWriter, import_records
from frmr_sso.registry.json_stream import RawRecord
from frmr_sso.registry.section_import import SectionWriter, import_section_rows


class RegistryWriter(PersonBatchWriter, SectionWriter, Protocol):
    pass


@dataclass(frozen=True, slots=True)
class ImportPlan:
    path: Path
    kind: FileKind
    target: str  # "records" (JSON), "persons" or a section name (CSV)


def plan_import(path: Path, section: str | None = None) -> ImportPlan:
    """UnreadableFile unless the whole file reads as what its name says."""
    kind = inspect_file(path, section=section)
    return ImportPlan(path, kind, csv_kind(path, section) if kind is FileKind.CSV else "records")


@contextmanager
def records_of(plan: ImportPlan) -> Iterator[Iterator[RawRecord]]:
    section = plan.target if plan.kind is FileKind.CSV else None
    with open_import(plan.path, plan.kind, section) as records:
        yield records


async def run_import(
    plan: ImportPlan, records: Iterator[RawRecord], writer: RegistryWriter, *, batch_size: int
) -> ImportReport:
    if plan.target == "records":
        return await import_records(records, writer, batch_size=batch_size)
    if plan.target == "persons":
        return await import_records(records, writer, batch_size=batch_size, sections=())
    return await import_section_rows(records, writer, plan.target, batch_size=batch_size)
