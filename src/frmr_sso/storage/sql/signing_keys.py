"""Token signing keys in SQL: active signs, previous still verifies, retired is gone from the JWKS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import SigningKeyRecord
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.tables import signing_keys

_PUBLISHED = ("active", "previous")
_NEWEST_FIRST = (signing_keys.c.created_at.desc(), signing_keys.c.kid)


def _row(key: SigningKeyRecord) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "private_key_encrypted": key.private_key_encrypted,
        "public_jwk": dict(key.public_jwk),
        "status": key.status,
        "created_at": key.created_at,
        "not_after": key.not_after,
    }


def _record(row: sa.Row[Any]) -> SigningKeyRecord:
    m = row._mapping
    return SigningKeyRecord(
        kid=m["kid"],
        alg=m["alg"],
        private_key_encrypted=m["private_key_encrypted"],
        public_jwk=dict(m["public_jwk"]),
        status=m["status"],
        created_at=m["created_at"],
        not_after=m["not_after"],
    )


class SqlSigningKeyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _select(self, stmt: sa.Select[Any], operation: str) -> list[SigningKeyRecord]:
        with translate_errors(operation):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        return [_record(row) for row in rows]

    async def _update(self, stmt: sa.Update, operation: str) -> bool:
        with translate_errors(operation):
            async with self._engine.begin() as conn:
                result = await conn.execute(stmt)
        return result.rowcount == 1

    async def add(self, key: SigningKeyRecord) -> None:
        with translate_errors(f"adding signing key {key.kid!r}"):
            async with self._engine.begin() as conn:
                await conn.execute(signing_keys.insert().values(**_row(key)))

    async def get(self, kid: str) -> SigningKeyRecord | None:
        found = await self._select(signing_keys.select().where(signing_keys.c.kid == kid), "reading a key")
        return found[0] if found else None

    async def get_active(self, alg: str) -> SigningKeyRecord | None:
        stmt = (
            signing_keys.select()
            .where(signing_keys.c.alg == alg, signing_keys.c.status == "active")
            .order_by(*_NEWEST_FIRST)
            .limit(1)
        )
        found = await self._select(stmt, "reading the active key")
        return found[0] if found else None

    async def list_published(self) -> Sequence[SigningKeyRecord]:
        stmt = signing_keys.select().where(signing_keys.c.status.in_(_PUBLISHED))
        stmt = stmt.order_by(signing_keys.c.status, *_NEWEST_FIRST)  # "active" sorts before "previous"
        return await self._select(stmt, "listing published keys")

    async def list_all(self) -> Sequence[SigningKeyRecord]:
        return await self._select(signing_keys.select().order_by(*_NEWEST_FIRST), "listing keys")

    async def rotate(self, new_key: SigningKeyRecord, *, previous_not_after: datetime | None = None) -> None:
        demote = (
            signing_keys.update()
            .where(signing_keys.c.alg == new_key.alg, signing_keys.c.status == "active")
            .values(status="previous", not_after=previous_not_after)
        )
        with translate_errors(f"rotating to signing key {new_key.kid!r}"):
            async with write_transaction(self._engine) as conn:
                await conn.execute(demote)
                await conn.execute(signing_keys.insert().values(**_row(new_key)))

    async def mark_previous(self, kid: str, *, not_after: datetime | None = None) -> bool:
        stmt = (
            signing_keys.update()
            .where(signing_keys.c.kid == kid, signing_keys.c.status == "active")
            .values(status="previous", not_after=not_after)
        )
        return await self._update(stmt, f"demoting signing key {kid!r}")

    async def retire(self, kid: str) -> bool:
        stmt = (
            signing_keys.update()
            .where(signing_keys.c.kid == kid, signing_keys.c.status != "retired")
            .values(status="retired")
        )
        return await self._update(stmt, f"retiring signing key {kid!r}")
