"""Bulk data for the scale figures, generated inside PostgreSQL (``INSERT … SELECT generate_series``).

* FRMR persons ``FRMR-SCALE-<n>`` with a valid SNILS (checksum computed in SQL from the nine
  digits ``100 000 000 + n``) and one employment each, a second one for every even ``n``;
* audit records, one of a few login and token event types in turn, spread over the past year.
  They are SYNTHETIC: ``details`` says ``{"synthetic": true}`` and ``prev_hash``/``hash`` are
  not a hash chain, so ``frmr-sso audit verify`` reports the first of them as broken. Use this
  only on a throw-away database (bench/scale/run.sh makes one).

Rows are added in batches up to a target count, so the figures can be taken at 0, 100 000 and
1 000 000 persons on the same database. Each batch is one statement; nothing goes row by row
through Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

SNILS_BASE = 100_000_000
BATCH = 250_000
AUDIT_BATCH = 1_000_000

# SNILS control number: weights 9..1 over the nine digits; < 100 as is, 100 and 101 -> 00,
# otherwise the remainder mod 101 (100 -> 00).
_DIGITS = " + ".join(f"substr(d, {i}, 1)::int * {10 - i}" for i in range(1, 10))
_SNILS = f"""
    SELECT g, d || lpad((CASE WHEN s < 100 THEN s WHEN s IN (100, 101) THEN 0
                              WHEN s % 101 = 100 THEN 0 ELSE s % 101 END)::text, 2, '0') AS snils
    FROM (SELECT g, d, {_DIGITS} AS s
          FROM (SELECT g, lpad(({SNILS_BASE} + g)::text, 9, '0') AS d
                FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g) AS n) AS summed
"""  # noqa: S608 - built from constants; the values are bound parameters

_PERSONS = f"""
INSERT INTO frmr_persons (frmr_id, snils, last_name, first_name, middle_name, gender, birth_date, roles,
                          updated_at)
SELECT 'FRMR-SCALE-' || g, snils, 'Иванов-' || (g % 9973), 'Иван', 'Иванович',
       CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END, DATE '1960-01-01' + (g % 15000)::int,
       '["doctor"]'::json, now()
FROM ({_SNILS}) AS persons
"""  # noqa: S608 - built from constants

_EMPLOYMENTS = """
INSERT INTO frmr_employments (frmr_id, organization_oid, organization_name, post_id, post_name, position_type,
                              rate, begin_date, end_date, record_id)
SELECT 'FRMR-SCALE-' || g, '1.2.643.5.1.13.13.12.2.77.' || (g % 5000 + k), 'ГБУЗ «Городская больница № '
       || (g % 5000 + k) || '»', (100 + g % 300)::text, 'врач-терапевт участковый', k, 1.00,
       DATE '2005-01-01' + (g % 6000)::int, NULL, 'SCALE-' || g || '-' || k
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g CROSS JOIN generate_series(1, 2) AS k
WHERE k = 1 OR g % 2 = 0
"""

_AUDIT = """
INSERT INTO audit_events (occurred_at, event_type, outcome, ip, user_agent, request_id, client_id, subject_id,
                          snils_masked, details, prev_hash, hash)
SELECT now() - (g % 31536000) * interval '1 second',
       (ARRAY['login.started', 'login.succeeded', 'token.issued', 'token.refresh_rotated',
              'login.failed'])[1 + g % 5],
       CASE WHEN g % 5 = 4 THEN 'failure' ELSE 'success' END,
       '10.' || (g % 250) || '.' || (g / 250 % 250) || '.' || (g % 199), 'Mozilla/5.0 (scale bench)',
       md5(g::text), 'demo-web', md5('subject' || (g % 1000000))::uuid::text,
       '***-***-' || lpad((g % 1000)::text, 3, '0') || ' ' || lpad((g % 100)::text, 2, '0'),
       '{"synthetic": true}'::json, md5('p' || g) || md5('q' || g), md5('h' || g) || md5('i' || g)
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
"""


def snils_of(n: int) -> str:
    """The SNILS digits of generated person ``n`` (the same rule as the SQL above)."""
    from frmr_sso.identity.snils import control_number

    digits = f"{SNILS_BASE + n:09d}"
    return f"{digits}{control_number(digits):02d}"


async def count(engine: AsyncEngine, table: str, where: str = "") -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}"))).scalar_one())  # noqa: S608


async def grow_persons(engine: AsyncEngine, target: int, log: Callable[[str], None] = print) -> float:
    """Generated persons up to ``target``; the seconds it took."""
    started = time.monotonic()
    have = await count(engine, "frmr_persons", "WHERE frmr_id LIKE 'FRMR-SCALE-%'")
    while have < target:
        last = min(target, have + BATCH)
        async with engine.begin() as conn:
            await conn.execute(sa.text(_PERSONS), {"first": have + 1, "last": last})
            await conn.execute(sa.text(_EMPLOYMENTS), {"first": have + 1, "last": last})
        have = last
        log(f"  persons: {have:,}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE frmr_persons"))
        await conn.execute(sa.text("ANALYZE frmr_employments"))
    return time.monotonic() - started


async def grow_audit(engine: AsyncEngine, target: int, log: Callable[[str], None] = print) -> float:
    started = time.monotonic()
    have = await count(engine, "audit_events")
    while have < target:
        last = min(target, have + AUDIT_BATCH)
        async with engine.begin() as conn:
            await conn.execute(sa.text(_AUDIT), {"first": have + 1, "last": last})
        have = last
        log(f"  audit records: {have:,}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE audit_events"))
    return time.monotonic() - started


async def table_sizes(engine: AsyncEngine) -> dict[str, int]:
    """Bytes on disk (with indexes) of the tables that grow."""
    sizes = {}
    async with engine.connect() as conn:
        for table in ("frmr_persons", "frmr_employments", "audit_events"):
            query = sa.text("SELECT pg_total_relation_size(CAST(:t AS regclass))")
            sizes[table] = int((await conn.execute(query, {"t": table})).scalar_one())
    return sizes
