"""FRMR registry in SQL: persons by SNILS (unique) with their employment records."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.registry.models import Employment, FrmrPerson, PositionType
from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import utcnow
from frmr_sso.storage.sql.engine import upsert_insert, write_transaction
from frmr_sso.storage.sql.registry_tables import frmr_employments, frmr_persons


def _employment(row: sa.Row[Any]) -> Employment:
    m = row._mapping
    return Employment(
        organization_oid=m["organization_oid"],
        organization_name=m["organization_name"],
        post_id=m["post_id"],
        post_name=m["post_name"],
        position_type=PositionType(m["position_type"]),
        rate=float(m["rate"]),
        begin_date=m["begin_date"],
        end_date=m["end_date"],
    )


def _person(row: sa.Row[Any], employments: Iterable[Employment]) -> FrmrPerson:
    m = row._mapping
    return FrmrPerson(
        frmr_id=m["frmr_id"],
        snils=m["snils"],
        last_name=m["last_name"],
        first_name=m["first_name"],
        middle_name=m["middle_name"],
        gender=m["gender"],
        birth_date=m["birth_date"],
        roles=tuple(m["roles"] or ()),
        employments=tuple(employments),
    )


class SqlRegistryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _load(self, conn: AsyncConnection, where: sa.ColumnElement[bool]) -> FrmrPerson | None:
        row = (await conn.execute(frmr_persons.select().where(where))).first()
        if row is None:
            return None
        jobs = await conn.execute(
            frmr_employments.select()
            .where(frmr_employments.c.frmr_id == row._mapping["frmr_id"])
            .order_by(frmr_employments.c.begin_date, frmr_employments.c.id)
        )
        return _person(row, (_employment(job) for job in jobs))

    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None:
        with translate_errors("looking up an FRMR person"):
            async with self._engine.connect() as conn:
                return await self._load(conn, frmr_persons.c.snils == snils_digits)

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        with translate_errors("reading an FRMR person"):
            async with self._engine.connect() as conn:
                return await self._load(conn, frmr_persons.c.frmr_id == frmr_id)

    async def upsert(self, person: FrmrPerson) -> None:
        """Insert or replace a person and all their employment records, in one transaction."""
        values = {
            "frmr_id": person.frmr_id,
            "snils": person.snils,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "middle_name": person.middle_name,
            "gender": person.gender,
            "birth_date": person.birth_date,
            "roles": list(person.roles),
            "updated_at": utcnow(),
        }
        insert = upsert_insert(self._engine, frmr_persons).values(**values)
        changed = {k: v for k, v in values.items() if k != "frmr_id"}
        upsert = insert.on_conflict_do_update(index_elements=[frmr_persons.c.frmr_id], set_=changed)
        with translate_errors("saving an FRMR person"):
            async with write_transaction(self._engine) as conn:
                if conn.dialect.name == "postgresql":  # one writer per person: no unique-index race
                    lock = sa.func.pg_advisory_xact_lock(sa.func.hashtext(person.frmr_id))
                    await conn.execute(sa.select(lock))
                await conn.execute(upsert)
                await conn.execute(
                    frmr_employments.delete().where(frmr_employments.c.frmr_id == person.frmr_id)
                )
                if person.employments:
                    await conn.execute(
                        frmr_employments.insert(),
                        [_employment_row(person.frmr_id, job) for job in person.employments],
                    )

    async def count(self) -> int:
        with translate_errors("counting FRMR persons"):
            async with self._engine.connect() as conn:
                return int(
                    (await conn.execute(sa.select(sa.func.count()).select_from(frmr_persons))).scalar_one()
                )


def _employment_row(frmr_id: str, job: Employment) -> dict[str, Any]:
    return {
        "frmr_id": frmr_id,
        "organization_oid": job.organization_oid,
        "organization_name": job.organization_name,
        "post_id": job.post_id,
        "post_name": job.post_name,
        "position_type": int(job.position_type),
        "rate": Decimal(str(job.rate)),
        "begin_date": job.begin_date,
        "end_date": job.end_date,
    }
