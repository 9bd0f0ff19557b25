"""Helpers of the audit integration tests: seed a chain, tamper with it past the trigger, verify it."""

from __future__ import annotations

from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.verify import ChainReport, verify_chain
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository

NOW = datetime.now(UTC)


def event(n: int, *, age: timedelta = timedelta(0), **fields: str) -> AuditRecord:
    return AuditRecord(
        event_type=fields.get("event_type", "login.success"),
        outcome="success",
        occurred_at=NOW - age,
        ip=fields.get("ip", "203.0.113.7"),
        client_id=fields.get("client_id", "demo-web"),
        subject_id=fields.get("subject_id", "0b8c6f0e-6a43-4c55-9d6f-8d3f3f0f9e1a"),
        snils_masked="***-***-445 95",
        details={"n": n},
    )


async def seed(repo: SqlAuditRepository, count: int, *, age: timedelta = timedelta(0)) -> list[AuditRecord]:
    return [await repo.append(event(n, age=age)) for n in range(count)]


async def verify(repo: SqlAuditRepository, *, batch: int = 7) -> ChainReport:
    async with aclosing(repo.chain(batch=batch)) as records:
        return await verify_chain(records)


async def tamper(engine: AsyncEngine, statement: str, **params: object) -> None:
    """Run an edit the PostgreSQL trigger would refuse, as a superuser with the trigger off."""
    async with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        await conn.execute(sa.text(statement), params)
        if postgres:
            await conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
