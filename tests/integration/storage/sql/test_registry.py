from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.registry.demo import load_demo_persons, seed_demo_registry
from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.storage.sql import SqlRegistryRepository

JOB = Employment(
    organization_oid="1.2.643.5.1.13.13.12.2.77.1",
    organization_name="ГКБ № 1",
    post_id="109",
    post_name="врач-терапевт",
    position_type=PositionType.MAIN,
    rate=0.75,
    begin_date=date(2020, 1, 1),
)
PERSON = FrmrPerson(
    frmr_id="FRMR-1",
    snils="11223344595",
    last_name="Иванова",
    first_name="Мария",
    middle_name=None,
    gender="F",
    birth_date=date(1985, 3, 14),
    roles=("registry_admin",),
    employments=(JOB,),
)


async def test_person_round_trips_with_employments(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await repo.upsert(PERSON)
    assert await repo.find_by_snils("11223344595") == PERSON
    assert await repo.get("FRMR-1") == PERSON
    assert await repo.find_by_snils("12345678964") is None


async def test_upsert_replaces_the_employment_records(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    await repo.upsert(PERSON)
    ended = replace(JOB, end_date=date(2024, 5, 31))
    second = replace(JOB, organization_oid="1.2.643.5.1.13.13.12.2.77.2", begin_date=date(2024, 6, 1))
    await repo.upsert(replace(PERSON, last_name="Петрова", employments=(ended, second)))
    stored = await repo.find_by_snils("11223344595")
    assert stored is not None
    assert stored.last_name == "Петрова"
    assert stored.employments == (ended, second)
    assert await repo.count() == 1


async def test_parallel_upserts_of_one_person_leave_one_consistent_record(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    versions = [replace(PERSON, employments=(replace(JOB, rate=0.25 * n),) * n) for n in range(1, 5)]
    await asyncio.gather(*(repo.upsert(v) for v in versions))
    stored = await repo.find_by_snils("11223344595")
    assert stored in versions
    assert await repo.count() == 1


async def test_demo_registry_covers_the_demo_accounts(engine: AsyncEngine) -> None:
    repo = SqlRegistryRepository(engine)
    assert await seed_demo_registry(repo) == len(load_demo_persons())
    doctor = await repo.find_by_snils("11223344595")
    assert doctor is not None
    assert doctor.frmr_id == "FRMR-0000001"
    claims = doctor.frmr_claims(date(2026, 11, 26))
    assert [o["position_type"] for o in claims["frmr_organizations"]] == [1, 4]
    assert await repo.find_by_snils("12345678964") is None  # the "no FRMR record" demo account
    admin = await repo.find_by_snils("67890123438")
    assert admin is not None
    assert admin.roles == ("registry_admin",)
