"""One SQL statement per read of an FRMR record: the person's row with each section as a JSON array.

Every section is a correlated scalar subquery that aggregates its rows into one JSON array of
objects (PostgreSQL ``json_agg(json_build_object(…))``, SQLite ``json_group_array(json_object(…))``),
so the person and all of their sections come back in one row of one round trip, consistent with
each other (one statement sees one snapshot). Each object carries the row's ``id``: the items are put
back in ``id`` order (the order of the import) here, not by the aggregate, whose order neither
database promises. The values are turned back into the same Python values the table columns give
(dates from ISO strings, the employment's position type and rate), so the record is exactly the one
a query per section would read. The row also carries the person's ``version`` stamp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frmr_sso.registry.models import FrmrPerson, PositionType
from frmr_sso.storage.sql.registry_rows import SECTION_COLUMNS, SECTION_TABLES, person_from_row
from frmr_sso.storage.sql.registry_tables import frmr_persons

KEYS = {"frmr_id": frmr_persons.c.frmr_id, "snils": frmr_persons.c.snils}
Convert = Callable[[Any], Any]


def _section_array(dialect: str, section: str) -> sa.ScalarSelect[Any]:
    table = SECTION_TABLES[section][0]
    names = ["id", *SECTION_COLUMNS[section][1:]]
    pairs: list[sa.ColumnElement[Any]] = []
    for name in names:
        pairs += [sa.literal_column(f"'{name}'"), table.c[name]]
    if dialect == "postgresql":
        array = sa.func.json_agg(sa.func.json_build_object(*pairs))
    else:
        array = sa.func.json_group_array(sa.func.json_object(*pairs))
    return sa.select(array).where(table.c.frmr_id == frmr_persons.c.frmr_id).scalar_subquery()


@cache
def record_query(dialect: str, key: str, sections: tuple[str, ...]) -> sa.Select[Any]:
    """The person found by ``key`` (bind parameter ``key``) with ``sections`` as JSON text columns."""
    arrays = [_section_array(dialect, s).label(f"section_{s}") for s in sections]
    return sa.select(frmr_persons, *arrays).where(KEYS[key] == sa.bindparam("key"))


def _from_iso(value: Any) -> Any:
    return None if value is None else date.fromisoformat(value)


@cache
def _converters(section: str) -> Mapping[str, Convert]:
    table = SECTION_TABLES[section][0]
    converters: dict[str, Convert] = {c.name: _from_iso for c in table.c if isinstance(c.type, sa.Date)}
    if section == "employments":
        converters["position_type"] = PositionType
        converters["rate"] = float
    return converters


def _items(section: str, array: str | list[dict[str, Any]] | None) -> list[Any]:
    """The section's items from its JSON array: text (SQLite), or already decoded by the driver's JSON
    codec (asyncpg); None when there are no rows (PostgreSQL's aggregate over nothing)."""
    if not array:
        return []
    rows = sorted(json.loads(array) if isinstance(array, str) else array, key=lambda row: row["id"])
    kind, converters = SECTION_TABLES[section][1], _converters(section)
    items = []
    for row in rows:
        del row["id"]
        for name, convert in converters.items():
            row[name] = convert(row[name])
        items.append(kind(**row))
    return items


async def read_record(
    conn: AsyncConnection, key: str, value: str, sections: Iterable[str]
) -> tuple[FrmrPerson, int] | None:
    """(the person with ``sections``, its version stamp) found by ``key`` = ``value``, in one statement."""
    chosen = tuple(sections)
    row = (await conn.execute(record_query(conn.dialect.name, key, chosen), {"key": value})).first()
    if row is None:
        return None
    m = row._mapping
    person = person_from_row(row, {s: _items(s, m[f"section_{s}"]) for s in chosen})
    return person, int(m["version"])


async def read_version(conn: AsyncConnection, key: str, value: str) -> tuple[str, int] | None:
    """(frmr_id, version stamp) of the person found by ``key`` = ``value``: one indexed probe."""
    query = sa.select(frmr_persons.c.frmr_id, frmr_persons.c.version).where(KEYS[key] == value)
    row = (await conn.execute(query)).first()
    return None if row is None else (row.frmr_id, int(row.version))
