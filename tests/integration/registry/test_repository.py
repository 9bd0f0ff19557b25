"""The SQL registry's whole record: every section stored and read back, replaced, and migrated."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.registry.demo import load_demo_persons
from frmr_sso.registry.sections import SECTIONS, Course
from frmr_sso.storage.sql import SqlRegistryRepository, create_engine, write_transaction
from frmr_sso.storage.sql.migrate import upgrade
from frmr_sso.storage.sql.registry_section_tables import frmr_courses
from frmr_sso.storage.sql.registry_tables import frmr_employments, frmr_persons

DEMO = load_demo_persons()
DOCTOR = DEMO[0]


async def test_every_section_is_stored_and_read_back(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    for person in DEMO:
        await repo.upsert(person)
    assert [await repo.get(p.frmr_id) for p in DEMO] == DEMO
    assert await repo.find_record_by_snils(DOCTOR.snils) == DOCTOR
    assert all(getattr(DOCTOR, section) for section in SECTIONS)


async def test_the_login_lookup_reads_only_what_the_login_needs(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await repo.upsert(DOCTOR)
    found = await repo.find_by_snils(DOCTOR.snils)
    assert found is not None
    assert (found.employments, found.roles, found.inn) == (DOCTOR.employments, DOCTOR.roles, DOCTOR.inn)
    assert (found.courses, found.documents) == ((), ())


async def test_a_new_version_replaces_the_sections(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await repo.upsert(DOCTOR)
    await repo.upsert(DEMO[1])
    fewer = dataclasses.replace(DOCTOR, courses=DOCTOR.courses[:1], categories=(), phone=None)
    assert await repo.upsert_many([fewer]) == []
    assert await repo.get(DOCTOR.frmr_id) == fewer
    assert await repo.get(DEMO[1].frmr_id) == DEMO[1]
    persons_only = dataclasses.replace(DOCTOR, courses=(), last_name="Петрова")
    assert await repo.upsert_many([persons_only], sections=()) == []
    kept = await repo.get(DOCTOR.frmr_id)
    assert kept is not None
    assert (kept.last_name, kept.courses) == ("Петрова", fewer.courses)


async def test_replace_sections_touches_only_known_persons(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await repo.upsert(DOCTOR)
    course = Course(
        "advanced",
        "РМАНПО",
        144,
        "Новая тема",
        "31.08.49",
        None,
        None,
        date(2025, 1, 1),
        date(2025, 2, 1),
        144,
        "crs-new",
    )
    refused = await repo.replace_sections("courses", [("NOBODY", (course,)), (DOCTOR.frmr_id, (course,))])
    assert refused == [0]
    stored = await repo.get(DOCTOR.frmr_id)
    assert stored is not None
    assert (stored.courses, stored.employments) == ((course,), DOCTOR.employments)
    async with engine.connect() as conn:
        owners = (await conn.execute(sa.select(frmr_courses.c.frmr_id))).scalars().all()
    assert owners == [DOCTOR.frmr_id]


async def test_deleting_a_person_deletes_their_sections(engine: AsyncEngine) -> None:
    await SqlRegistryRepository(engine).upsert(DOCTOR)
    async with write_transaction(engine) as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        await conn.execute(frmr_persons.delete())
    async with engine.connect() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(frmr_courses))).scalar_one()
    assert left == 0


async def test_employments_stored_before_the_sections_get_record_ids(empty_database_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_database_url, "0005")
    engine = create_engine(empty_database_url)
    try:
        async with write_transaction(engine) as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO frmr_persons (frmr_id, snils, last_name, first_name, roles, updated_at)"
                    " VALUES ('OLD-1', '11223344595', 'Иванова', 'Мария', '[]', CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO frmr_employments (frmr_id, organization_oid, organization_name, post_id,"
                    " post_name, position_type, rate, begin_date) VALUES ('OLD-1', '1.2.643', 'ГКБ', '109',"
                    " 'врач-терапевт', 1, 1.0, '2012-09-01')"
                )
            )
        await asyncio.to_thread(upgrade, empty_database_url)
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(frmr_employments.c.id, frmr_employments.c.record_id))).one()
        assert row.record_id == f"emp-{row.id}"
        person = await SqlRegistryRepository(engine).get("OLD-1")
        assert person is not None
        assert (person.inn, person.employments[0].record_id, person.courses) == (None, f"emp-{row.id}", ())
    finally:
        await engine.dispose()
