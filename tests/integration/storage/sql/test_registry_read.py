"""The one-statement read of an FRMR record returns exactly what a query per section returned, and the
record's version stamp changes with every write of the record."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.registry.demo import load_demo_persons, seed_demo_registry
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.sql import SqlRegistryRepository
from frmr_sso.storage.sql.registry_changes import load_person, write_person
from frmr_sso.storage.sql.registry_read import record_query
from frmr_sso.storage.sql.registry_rows import SECTION_TABLES, item_from_row, person_from_row
from frmr_sso.storage.sql.registry_tables import frmr_persons

DOCTOR = "FRMR-0000001"
ODD = 'кавычки " и \\ обратная косая, \u2028 и эмодзи 🩺'  # JSON escaping of every kind


async def read_per_section(engine: AsyncEngine, frmr_id: str, sections: tuple[str, ...]) -> FrmrPerson | None:
    """The earlier read, the reference: the person's row, then one ordered query per section."""
    async with engine.connect() as conn:
        row = (await conn.execute(frmr_persons.select().where(frmr_persons.c.frmr_id == frmr_id))).first()
        if row is None:
            return None
        loaded = {}
        for section in sections:
            table = SECTION_TABLES[section][0]
            rows = await conn.execute(table.select().where(table.c.frmr_id == frmr_id).order_by(table.c.id))
            loaded[section] = [item_from_row(section, r) for r in rows]
        return person_from_row(row, loaded)


def many_rows(person: FrmrPerson, copies: int) -> FrmrPerson:
    """``person`` with every section ``copies`` times as long; ids, themes and names vary."""
    changes: dict[str, Any] = {}
    for section in SECTIONS:
        items = getattr(person, section)
        grown = []
        for n in range(copies):
            for i, item in enumerate(items):
                extra: dict[str, Any] = {"record_id": f"{item.record_id or section}-{n}-{i}"}
                if section == "courses":
                    extra["theme"] = f"{ODD} {n}"
                if section == "employments":
                    extra["organization_name"] = f"{ODD} {n}"
                    extra["rate"] = [0.25, 0.5, 1.0, 1.25][n % 4]
                grown.append(dataclasses.replace(item, **extra))
        changes[section] = tuple(grown)
    return dataclasses.replace(person, **changes)


def empty_sections(person: FrmrPerson) -> FrmrPerson:
    return dataclasses.replace(
        person, frmr_id="FRMR-EMPTY", snils="12345678964", roles=(), **{s: () for s in SECTIONS}
    )


async def assert_reads_agree(repo: SqlRegistryRepository, engine: AsyncEngine, person: FrmrPerson) -> None:
    reference = await read_per_section(engine, person.frmr_id, SECTIONS)
    assert reference == person  # what was written is what the earlier read gave
    assert await repo.get(person.frmr_id) == reference
    assert await repo.find_record_by_snils(person.snils) == reference
    login = await read_per_section(engine, person.frmr_id, ("employments",))
    assert await repo.find_by_snils(person.snils) == login
    assert await repo.roles_of(person.frmr_id) == reference.roles
    read = await repo.read("frmr_id", person.frmr_id)
    assert read is not None
    assert read[0] == reference
    async with engine.begin() as conn:
        assert await load_person(conn, person.frmr_id) == reference


async def test_the_demo_records_read_the_same(engine: AsyncEngine) -> None:
    await seed_demo_registry(SqlRegistryRepository(engine))
    repo = SqlRegistryRepository(engine)
    persons = load_demo_persons()
    assert any(all(getattr(p, s) for s in SECTIONS) for p in persons)  # a record with every section
    for person in persons:
        await assert_reads_agree(repo, engine, person)


async def test_empty_sections_and_many_rows_read_the_same(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    doctor = next(p for p in load_demo_persons() if p.frmr_id == DOCTOR)
    big, empty = many_rows(doctor, 40), empty_sections(doctor)
    assert len(big.courses) >= 80
    assert len(big.employments) >= 80
    await repo.upsert(big)
    await repo.upsert(empty)
    await assert_reads_agree(repo, engine, big)
    await assert_reads_agree(repo, engine, empty)
    assert await repo.get("FRMR-NOBODY") is None
    assert await repo.find_record_by_snils("99999999999") is None
    assert await repo.version("frmr_id", "FRMR-NOBODY") is None


async def test_a_read_is_one_statement(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await seed_demo_registry(repo)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words[0].upper() == "SELECT" and words[1:2] != ["1"]:  # not the pool's pre-ping
            statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await repo.get(DOCTOR)
        await repo.find_record_by_snils((await repo.get(DOCTOR)).snils)  # type: ignore[union-attr]
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 3
    query = str(record_query(engine.dialect.name, "frmr_id", SECTIONS).compile(dialect=engine.dialect))
    aggregate = "json_agg" if engine.dialect.name == "postgresql" else "json_group_array"
    assert query.count(aggregate + "(") == len(SECTIONS)


@pytest.mark.parametrize("write", ["upsert", "replace_sections", "change_request"])
async def test_every_write_raises_the_version(engine: AsyncEngine, write: str) -> None:
    repo = SqlRegistryRepository(engine)
    await seed_demo_registry(repo)
    doctor = await repo.get(DOCTOR)
    assert doctor is not None
    before = await repo.version("snils", doctor.snils)
    assert before is not None
    assert before[0] == DOCTOR
    if write == "upsert":
        await repo.upsert(dataclasses.replace(doctor, last_name="Петрова"))
    elif write == "replace_sections":
        assert await repo.replace_sections("courses", [(DOCTOR, doctor.courses[:1])]) == []
    else:
        async with engine.begin() as conn:
            await write_person(conn, dataclasses.replace(doctor, phone="+79990000099"), ("courses",))
    after = await repo.version("frmr_id", DOCTOR)
    assert after is not None
    assert after[1] > before[1]
    read = await repo.read("frmr_id", DOCTOR)
    assert read is not None
    assert read[1] == after[1]
    other = next(p for p in load_demo_persons() if p.frmr_id != DOCTOR)
    assert await repo.version("frmr_id", other.frmr_id) == (other.frmr_id, 1)  # no one else's
