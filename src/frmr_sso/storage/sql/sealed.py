"""Every durable value sealed under the secret key, as ``SealedColumn``s (see storage.ports.sealed).

Adding a sealed column to the schema means adding it to ``sealed_columns`` too,
so that ``frmr-sso secrets reseal`` moves it to a new secret key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports.sealed import SealedValue
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.second_factor import totp_credentials
from frmr_sso.storage.sql.statements import statement_signers
from frmr_sso.storage.sql.tables import signing_keys


@dataclass(frozen=True, slots=True)
class SqlSealedColumn:
    engine: AsyncEngine
    kind: str
    purpose: str
    row_id: sa.Column[str]
    value: sa.Column[str]

    @property
    def _table(self) -> sa.Table:
        table = self.row_id.table
        assert isinstance(table, sa.Table)
        return table

    async def batch(self, after: str | None, limit: int) -> Sequence[SealedValue]:
        stmt = sa.select(self.row_id, self.value).order_by(self.row_id).limit(limit)
        if after is not None:
            stmt = stmt.where(self.row_id > after)
        with translate_errors(f"reading sealed {self.kind}"):
            async with self.engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [SealedValue(row[0], row[1]) for row in rows]

    async def replace(self, changes: Sequence[tuple[SealedValue, str]]) -> int:
        written = 0
        with translate_errors(f"rewriting sealed {self.kind}"):
            async with write_transaction(self.engine) as conn:
                for old, new in changes:
                    stmt = (
                        self._table.update()
                        .where(self.row_id == old.row_id, self.value == old.sealed)
                        .values({self.value.name: new})
                    )
                    written += (await conn.execute(stmt)).rowcount
        return written


def sealed_columns(engine: AsyncEngine) -> list[SqlSealedColumn]:
    """Token signing keys (bound to the kid), TOTP secrets (the subject), the statement signer's key."""
    return [
        SqlSealedColumn(
            engine, "signing keys", "signing-keys", signing_keys.c.kid, signing_keys.c.private_key_encrypted
        ),
        SqlSealedColumn(
            engine, "TOTP secrets", "totp", totp_credentials.c.subject_id, totp_credentials.c.secret_encrypted
        ),
        SqlSealedColumn(
            engine, "statement signing key", "statement-signing-key",
            statement_signers.c.id, statement_signers.c.private_key_encrypted,
        ),
    ]
