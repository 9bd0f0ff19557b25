"""Demo FRMR records (``data/demo_persons.yaml``), matching the mock ESIA demo accounts.

The file has the import's record shape; each record goes through the import's
validation, so the demo data can never hold what an import would refuse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import yaml

from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.validation import validate_person

DEMO_PERSONS_FILE = Path(__file__).parent / "data" / "demo_persons.yaml"


class PersonWriter(Protocol):
    async def upsert(self, person: FrmrPerson) -> None: ...


def person_from_dict(entry: dict[str, Any]) -> FrmrPerson:
    """A YAML entry as an import record (dates become ``YYYY-MM-DD`` text), validated."""
    return validate_person(json.loads(json.dumps(entry, default=str)))


def load_demo_persons(path: Path = DEMO_PERSONS_FILE) -> list[FrmrPerson]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [person_from_dict(entry) for entry in data.get("persons", [])]


async def seed_demo_registry(repository: PersonWriter, path: Path = DEMO_PERSONS_FILE) -> int:
    persons = load_demo_persons(path)
    for person in persons:
        await repository.upsert(person)
    return len(persons)
