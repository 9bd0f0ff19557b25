"""``import_records`` into the SQL registry, on the configured backend."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.identity.snils import control_number
from frmr_sso.registry.checks import inn_with_control
from frmr_sso.registry.importer import ImportReport, import_records, validate_person
from frmr_sso.registry.json_stream import read_records
from frmr_sso.storage.sql import SqlRegistryRepository, write_transaction
from frmr_sso.storage.sql.registry_tables import frmr_employments, frmr_persons

TAKEN = "already belongs to another FRMR person"


def snils_for(n: int) -> str:
    body = f"{300_000_000 + n:09d}"
    return f"{body}{control_number(body):02d}"


def job(n: int, k: int) -> dict[str, Any]:
    return {
        "organization_oid": f"1.2.643.5.1.13.13.12.2.77.{1000 + k}",
        "organization_name": f"ГБУЗ «Городская больница № {k}»",
        "post_id": ["109", "118", "140", "260"][n % 4],
        "post_name": "врач-терапевт",
        "position_type": 1 + (n + k) % 4,
        "rate": [0.25, 0.5, 1.0, 1.5][k % 4],
        "begin_date": f"{2000 + k}-0{1 + n % 9}-01",
        "end_date": None if k == 0 else f"{2000 + k}-12-31",
    }


def sections(n: int) -> dict[str, Any]:
    """Every further section, for even ``n``."""
    return {
        "inn": inn_with_control(f"{770_000_000_0 + n:010d}"),
        "phone": f"+7999{n:07d}",
        "email": f"person{n}@example.test",
        "documents": [
            {
                "kind": "RF_PASSPORT",
                "series": "4509",
                "number": f"{n:06d}",
                "issue_date": "2005-04-02",
                "issued_by": "ОВД",
                "issuer_code": "772-045",
            }
        ],
        "education": [
            {
                "kind": "higher",
                "institution": "МГМУ",
                "speciality_code": "31.05.01",
                "diploma_number": f"D{n}",
                "diploma_date": "2008-06-27",
                "graduation_year": 2008,
            }
        ],
        "postgraduate": [
            {
                "kind": "residency",
                "institution": "МГМУ",
                "speciality_code": "31.08.49",
                "begin_date": "2008-09-01",
                "end_date": "2010-08-31",
            }
        ],
        "courses": [
            {
                "kind": "advanced",
                "institution": "РМАНПО",
                "hours": 36 + k,
                "theme": f"Тема {k}",
                "begin_date": "2022-03-14",
                "end_date": "2022-03-18",
                "credits": 36,
            }
            for k in range(3)
        ],
        "certificates": [
            {
                "speciality_code": "31.08.49",
                "number": f"C{n}",
                "issue_date": "2019-10-25",
                "end_date": "2024-10-25",
            }
        ],
        "accreditations": [
            {
                "kind": "periodic",
                "registry_number": f"A{n}",
                "speciality_code": "31.08.49",
                "pass_date": "2024-06-20",
                "end_date": "2029-06-20",
            }
        ],
        "categories": [{"category": "first", "speciality_code": "31.08.49", "begin_date": "2021-12-15"}],
    }


def person(n: int, **changes: Any) -> dict[str, Any]:
    record = {
        "frmr_id": f"FRMR-{n:07d}",
        "snils": snils_for(n),
        "last_name": "Иванова",
        "first_name": "Мария",
        "middle_name": None if n % 3 == 0 else "Петровна",
        "gender": "MF"[n % 2],
        "birth_date": f"19{60 + n % 40}-03-14",
        "roles": ["registry_admin"] if n % 10 == 0 else [],
        "employments": [job(n, k) for k in range(n % 4)],
        **(sections(n) if n % 2 == 0 else {}),
    }
    record.update(changes)
    return record


async def run_import(engine: AsyncEngine, records: list[Any], batch_size: int = 500) -> ImportReport:
    stream = io.StringIO(json.dumps(records, ensure_ascii=False))
    return await import_records(read_records(stream), SqlRegistryRepository(engine), batch_size=batch_size)


async def table_rows(engine: AsyncEngine) -> tuple[list[Any], list[Any]]:
    persons = sa.select(*(c for c in frmr_persons.c if c.name not in ("updated_at", "version"))).order_by(
        frmr_persons.c.frmr_id
    )
    jobs = sa.select(*(c for c in frmr_employments.c if c.name != "id")).order_by(
        frmr_employments.c.frmr_id, frmr_employments.c.begin_date
    )
    async with engine.connect() as conn:
        return list((await conn.execute(persons)).all()), list((await conn.execute(jobs)).all())


async def test_importing_twice_leaves_the_same_rows(engine: AsyncEngine) -> None:
    records = [person(n) for n in range(60)]
    first = await run_import(engine, records, batch_size=16)
    assert (first.imported, first.skipped) == (60, 0)
    before = await table_rows(engine)
    assert (len(before[0]), len(before[1])) == (60, sum(n % 4 for n in range(60)))
    again = await run_import(engine, records, batch_size=7)
    assert (again.imported, again.skipped) == (60, 0)
    assert await table_rows(engine) == before
    repo = SqlRegistryRepository(engine)
    for record in records[:5]:
        assert await repo.get(record["frmr_id"]) == validate_person(record)


async def test_a_changed_record_is_updated_and_its_employments_replaced(engine: AsyncEngine) -> None:
    await run_import(engine, [person(1), person(3)])
    changed = person(3, last_name="Петрова", gender="F", employments=[job(3, 7)])
    report = await run_import(engine, [changed])
    assert (report.imported, report.skipped) == (1, 0)
    repo = SqlRegistryRepository(engine)
    stored = await repo.get("FRMR-0000003")
    assert stored == validate_person(changed)
    assert stored is not None
    assert [e.organization_oid for e in stored.employments] == ["1.2.643.5.1.13.13.12.2.77.1007"]
    assert await repo.get("FRMR-0000001") == validate_person(person(1))
    _, jobs = await table_rows(engine)
    assert len(jobs) == 1 + 1


async def test_a_snils_of_another_frmr_id_is_refused_for_that_record_only(engine: AsyncEngine) -> None:
    await run_import(engine, [person(1)])
    records = [person(2), person(3, snils=snils_for(2)), person(4, snils=snils_for(1)), person(5)]
    for batch_size in (500, 1):
        report = await run_import(engine, records, batch_size=batch_size)
        assert (report.imported, report.skipped) == (2, 2)
        assert [p.split(": ", 1)[0] for p in report.problems] == ["record 2 (line 1)", "record 3 (line 1)"]
        assert all(
            p.endswith(f"snils: ***-***-{snils_for(n)[6:9]} {snils_for(n)[9:]} {TAKEN}")
            for p, n in zip(report.problems, (2, 1), strict=True)
        )
    repo = SqlRegistryRepository(engine)
    assert await repo.count() == 3
    assert await repo.get("FRMR-0000003") is None
    holder = await repo.find_by_snils(snils_for(1))
    assert holder is not None
    assert holder.frmr_id == "FRMR-0000001"


async def test_a_batch_applies_snils_changes_in_order(engine: AsyncEngine) -> None:
    await run_import(engine, [person(1), person(2)])
    swap = await run_import(engine, [person(1, snils=snils_for(2)), person(2, snils=snils_for(1))])
    assert (swap.imported, swap.skipped) == (0, 2)
    move = await run_import(engine, [person(1, snils=snils_for(9)), person(3, snils=snils_for(1))])
    assert (move.imported, move.skipped) == (2, 0)
    repo = SqlRegistryRepository(engine)
    assert [(await repo.find_by_snils(snils_for(n))) is not None for n in (1, 2, 9)] == [True, True, True]
    third = await repo.find_by_snils(snils_for(1))
    assert third is not None
    assert third.frmr_id == "FRMR-0000003"


async def test_a_repeated_frmr_id_in_one_batch_ends_as_its_last_version(engine: AsyncEngine) -> None:
    last = person(1, last_name="Последняя", snils=snils_for(11), employments=[job(1, 2)])
    report = await run_import(engine, [person(1, employments=[job(1, 1), job(1, 3)]), person(2), last])
    assert (report.imported, report.skipped) == (3, 0)
    repo = SqlRegistryRepository(engine)
    assert await repo.get("FRMR-0000001") == validate_person(last)
    assert await repo.find_by_snils(snils_for(1)) is None
    assert await repo.count() == 2


async def test_a_snils_taken_by_a_concurrent_writer_is_refused_not_raised(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    rival = validate_person(person(8, snils=snils_for(5)))
    mine = [validate_person(person(5)), validate_person(person(6))]
    async with write_transaction(engine) as conn:
        await conn.execute(
            frmr_persons.insert().values(
                frmr_id=rival.frmr_id,
                snils=rival.snils,
                last_name="Соперник",
                first_name="А",
                roles=[],
                updated_at=sa.func.current_timestamp(),
            )
        )
        racing = asyncio.create_task(repo.upsert_many(mine))
        await asyncio.sleep(0.3)
    assert await racing == [0]
    assert await repo.get("FRMR-0000006") == mine[1]
    assert await repo.get("FRMR-0000005") is None


async def test_concurrent_batches_over_the_same_persons_do_not_deadlock(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    persons = [validate_person(person(n)) for n in range(200)]
    renamed = [validate_person(person(n, last_name="Другая")) for n in reversed(range(200))]
    results = await asyncio.wait_for(asyncio.gather(repo.upsert_many(persons), repo.upsert_many(renamed)), 60)
    assert results == [[], []]
    names = {p.last_name for p in [await repo.get(f"FRMR-{n:07d}") for n in range(200)] if p}
    assert len(names) == 1
    assert await repo.count() == 200


async def test_two_thousand_generated_persons_are_all_imported(engine: AsyncEngine) -> None:
    records = [person(n) for n in range(2000)]
    report = await run_import(engine, records)
    assert (report.imported, report.skipped, report.problems) == (2000, 0, [])
    assert await SqlRegistryRepository(engine).count() == 2000
    persons, jobs = await table_rows(engine)
    assert len(persons) == 2000
    assert len(jobs) == sum(n % 4 for n in range(2000))
