"""Passkeys (WebAuthn credentials) in SQL: a subject has any number, each with its public key.

The signature counter moves forward only, with one conditional UPDATE, so two
requests carrying the same assertion (or a clone's older counter) cannot both
pass. Rows go with their subject (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import StorageConflict, translate_errors
from frmr_sso.storage.ports import PasskeyRecord
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.single_statement import reader
from frmr_sso.storage.sql.tables import UtcDateTime, metadata

CREDENTIAL_ID_LENGTH = 1400
"""A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 characters in base64url."""

passkeys = sa.Table(
    "passkeys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "subject_id", sa.String(36), sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
    sa.Column("credential_id", sa.String(CREDENTIAL_ID_LENGTH), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("public_key", sa.LargeBinary(), nullable=False),
    sa.Column("sign_count", sa.BigInteger(), nullable=False),
    sa.Column("transports", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
)  # fmt: skip


def _record(row: sa.Row[Any]) -> PasskeyRecord:
    m = row._mapping
    return PasskeyRecord(
        id=m["id"], subject_id=m["subject_id"], credential_id=m["credential_id"], name=m["name"],
        public_key=bytes(m["public_key"]), sign_count=int(m["sign_count"]), created_at=m["created_at"],
        transports=tuple(t for t in m["transports"].split(",") if t), last_used_at=m["last_used_at"],
    )  # fmt: skip


class SqlPasskeyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = reader(engine)  # the login's check reads in one statement

    async def of_subject(self, subject_id: str) -> list[PasskeyRecord]:
        stmt = (
            passkeys.select()
            .where(passkeys.c.subject_id == subject_id)
            .order_by(passkeys.c.created_at, passkeys.c.id)
        )
        with translate_errors("reading passkeys"):
            async with self._reader.connect() as conn:
                return [_record(row) for row in await conn.execute(stmt)]

    async def by_credential_id(self, credential_id: str) -> PasskeyRecord | None:
        stmt = passkeys.select().where(passkeys.c.credential_id == credential_id)
        with translate_errors("reading a passkey"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(stmt)).first()
        return None if row is None else _record(row)

    async def add(self, record: PasskeyRecord) -> bool:
        values = {
            "id": record.id, "subject_id": record.subject_id, "credential_id": record.credential_id,
            "name": record.name, "public_key": record.public_key, "sign_count": record.sign_count,
            "transports": ",".join(record.transports), "created_at": record.created_at,
            "last_used_at": record.last_used_at,
        }  # fmt: skip
        try:
            with translate_errors("storing a passkey"):
                async with self._engine.begin() as conn:
                    await conn.execute(passkeys.insert().values(**values))
        except StorageConflict:
            return False
        return True

    async def record_use(self, passkey_id: str, sign_count: int, *, at: datetime) -> bool:
        stored = passkeys.c.sign_count
        newer = stored < sign_count if sign_count > 0 else stored == 0
        stmt = (
            passkeys.update()
            .where(passkeys.c.id == passkey_id, newer)
            .values(sign_count=sign_count, last_used_at=at)
        )
        with translate_errors("recording a passkey's use"):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1

    async def remove(self, subject_id: str, passkey_id: str) -> PasskeyRecord | None:
        where = (passkeys.c.subject_id == subject_id, passkeys.c.id == passkey_id)
        with translate_errors("removing a passkey"):
            async with write_transaction(self._engine) as conn:
                row = (await conn.execute(passkeys.select().where(*where))).first()
                if row is None:
                    return None
                await conn.execute(passkeys.delete().where(*where))
        return _record(row)

    async def remove_all(self, subject_id: str) -> int:
        with translate_errors("removing passkeys"):
            async with self._engine.begin() as conn:
                result = await conn.execute(passkeys.delete().where(passkeys.c.subject_id == subject_id))
        return int(result.rowcount)
