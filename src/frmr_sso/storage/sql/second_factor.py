"""The broker's second factor in SQL: one TOTP credential per subject and its recovery codes.

``totp_credentials.last_used_step`` moves forward only, with one conditional
UPDATE, so two requests with the same code (or an older one) cannot both pass.
A recovery code is spent the same way: ``UPDATE … WHERE used_at IS NULL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import TotpCredentialRecord, utcnow
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.passkeys import passkeys
from frmr_sso.storage.sql.single_statement import reader
from frmr_sso.storage.sql.tables import UtcDateTime, metadata

totp_credentials = sa.Table(
    "totp_credentials",
    metadata,
    sa.Column(
        "subject_id", sa.String(36), sa.ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("secret_encrypted", sa.Text(), nullable=False),
    sa.Column("last_used_step", sa.BigInteger(), nullable=True),
    sa.Column("confirmed_at", UtcDateTime(), nullable=False),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column(
        "subject_id",
        sa.String(36),
        sa.ForeignKey("totp_credentials.subject_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("used_at", UtcDateTime(), nullable=True),
)


def _record(row: sa.Row[Any]) -> TotpCredentialRecord:
    m = row._mapping
    return TotpCredentialRecord(
        subject_id=m["subject_id"],
        secret_encrypted=m["secret_encrypted"],
        confirmed_at=m["confirmed_at"],
        last_used_step=m["last_used_step"],
    )


class SqlSecondFactorRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = reader(engine)  # the login's check reads in one statement

    async def any_enrolled(self, subject_id: str) -> bool:
        """A confirmed TOTP secret or at least one passkey: the login's "ask for the factor" check, in
        one statement (was a read of each, one after the other)."""
        totp = sa.exists().where(totp_credentials.c.subject_id == subject_id)
        keys = sa.exists().where(passkeys.c.subject_id == subject_id)
        with translate_errors("reading a second factor"):
            async with self._reader.connect() as conn:
                return bool((await conn.execute(sa.select(sa.or_(totp, keys)))).scalar_one())

    async def get(self, subject_id: str) -> TotpCredentialRecord | None:
        stmt = totp_credentials.select().where(totp_credentials.c.subject_id == subject_id)
        with translate_errors("reading a second factor"):
            async with self._reader.connect() as conn:
                row = (await conn.execute(stmt)).first()
        return None if row is None else _record(row)

    async def enrol(self, credential: TotpCredentialRecord, recovery_code_hashes: Sequence[str]) -> None:
        subject = credential.subject_id
        now = utcnow()
        with translate_errors("storing a second factor"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(recovery_codes.delete().where(recovery_codes.c.subject_id == subject))
                await conn.execute(totp_credentials.delete().where(totp_credentials.c.subject_id == subject))
                await conn.execute(
                    totp_credentials.insert().values(
                        subject_id=subject,
                        secret_encrypted=credential.secret_encrypted,
                        last_used_step=credential.last_used_step,
                        confirmed_at=credential.confirmed_at,
                    )
                )
                await _insert_codes(conn, subject, recovery_code_hashes, now)

    async def replace_recovery_codes(self, subject_id: str, recovery_code_hashes: Sequence[str]) -> bool:
        owner = sa.select(totp_credentials.c.subject_id).where(totp_credentials.c.subject_id == subject_id)
        with translate_errors("replacing recovery codes"):
            async with write_transaction(self._engine) as conn:
                if (await conn.execute(owner)).first() is None:
                    return False
                await conn.execute(recovery_codes.delete().where(recovery_codes.c.subject_id == subject_id))
                await _insert_codes(conn, subject_id, recovery_code_hashes, utcnow())
        return True

    async def advance_step(self, subject_id: str, step: int) -> bool:
        column = totp_credentials.c.last_used_step
        stmt = (
            totp_credentials.update()
            .where(totp_credentials.c.subject_id == subject_id, sa.or_(column.is_(None), column < step))
            .values(last_used_step=step)
        )
        with translate_errors("recording a second-factor code"):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1

    async def use_recovery_code(self, subject_id: str, code_hash: str, *, at: datetime) -> bool:
        stmt = (
            recovery_codes.update()
            .where(
                recovery_codes.c.subject_id == subject_id,
                recovery_codes.c.code_hash == code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=at)
        )
        with translate_errors("spending a recovery code"):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1

    async def remaining_recovery_codes(self, subject_id: str) -> int:
        stmt = sa.select(sa.func.count()).where(
            recovery_codes.c.subject_id == subject_id, recovery_codes.c.used_at.is_(None)
        )
        with translate_errors("counting recovery codes"):
            async with self._engine.connect() as conn:
                return int((await conn.execute(stmt)).scalar_one())

    async def reset(self, subject_id: str) -> bool:
        with translate_errors("resetting a second factor"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(recovery_codes.delete().where(recovery_codes.c.subject_id == subject_id))
                result = await conn.execute(
                    totp_credentials.delete().where(totp_credentials.c.subject_id == subject_id)
                )
        return result.rowcount == 1


async def _insert_codes(conn: AsyncConnection, subject: str, hashes: Sequence[str], now: datetime) -> None:
    if hashes:
        rows = [{"subject_id": subject, "code_hash": h, "created_at": now} for h in dict.fromkeys(hashes)]
        await conn.execute(recovery_codes.insert(), rows)
