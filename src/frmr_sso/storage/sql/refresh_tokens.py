"""Refresh-token families in SQL, rotated race-safely on SQLite and PostgreSQL.

``rotate`` consumes the parent with one conditional ``UPDATE .. WHERE used_at IS
NULL``: on PostgreSQL a concurrent UPDATE of the same row waits for the first
to commit and then matches nothing; on SQLite the transaction starts with
``BEGIN IMMEDIATE``, so rotations run one after another. Either way exactly
one caller sees rowcount 1 and adds the child; the others see 0.

``consume`` is the common refresh in one step on one connection: the parent is
consumed only when it is live and its family is the client's, live and
unexpired, and the child is added with it. On PostgreSQL that is one statement
(an ``UPDATE .. RETURNING`` and an ``INSERT .. SELECT`` as data-modifying CTEs)
sent on its own, without ``BEGIN`` and ``COMMIT`` around it (one statement is
one transaction); a concurrent consumer of the same parent waits on its row
lock until it commits and then matches nothing. On SQLite the same checks run
under ``BEGIN IMMEDIATE``. Consuming a token clears its ``grace_token``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.oauth.refresh import consumable, idle_expiry
from frmr_sso.storage.errors import StorageError, translate_errors
from frmr_sso.storage.ports import RefreshFamilyRecord, RefreshTokenRecord
from frmr_sso.storage.sql.driver_errors import driver_errors
from frmr_sso.storage.sql.engine import write_transaction
from frmr_sso.storage.sql.tables import refresh_families, refresh_tokens

_FAMILY_PREFIX = "f__"
_FAMILY_TIMES = ("auth_time", "created_at", "absolute_expires_at", "revoked_at")
_FIND = sa.select(*refresh_tokens.c, *(c.label(_FAMILY_PREFIX + c.name) for c in refresh_families.c)).join(
    refresh_families, refresh_tokens.c.family_id == refresh_families.c.id
)


def _token_row(token: RefreshTokenRecord) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "family_id": token.family_id,
        "parent_hash": token.parent_hash,
        "created_at": token.created_at,
        "idle_expires_at": token.idle_expires_at,
        "used_at": token.used_at,
        "grace_token": token.grace_token,
    }


def _family_row(family: RefreshFamilyRecord) -> dict[str, Any]:
    return {
        "id": family.id,
        "client_id": family.client_id,
        "subject": family.subject,
        "scope": " ".join(family.scope),
        "session_id": family.session_id,
        "auth_time": family.auth_time,
        "acr": family.acr,
        "amr": list(family.amr),
        "claims": dict(family.claims),
        "created_at": family.created_at,
        "absolute_expires_at": family.absolute_expires_at,
        "revoked_at": family.revoked_at,
        "revoked_reason": family.revoked_reason,
    }


def _records(row: sa.Row[Any]) -> tuple[RefreshTokenRecord, RefreshFamilyRecord]:
    m = row._mapping
    token = RefreshTokenRecord(
        token_hash=m["token_hash"],
        family_id=m["family_id"],
        parent_hash=m["parent_hash"],
        created_at=m["created_at"],
        idle_expires_at=m["idle_expires_at"],
        used_at=m["used_at"],
        grace_token=m["grace_token"],
    )
    return token, _family(m, _FAMILY_PREFIX)


def _consume_statement() -> sa.Select[Any]:
    """PostgreSQL: consume the live parent and add its child in one statement; the family's row back.

    Its WHERE clause is ``oauth.refresh.consumable`` and its ``least`` is ``oauth.refresh.idle_expiry``,
    written in SQL (``tests/integration/storage/sql/test_refresh_rule.py`` checks them against each other).

    Built once with bind parameters (``parent``, ``client``, ``child``, ``now``, ``idle``, ``grace``),
    so each refresh only binds values to a cached compiled statement."""
    t, f = refresh_tokens, refresh_families
    now = sa.bindparam("now", type_=t.c.created_at.type)
    parent = sa.bindparam("parent", type_=t.c.token_hash.type)
    live_family = sa.select(f.c.id).where(
        f.c.client_id == sa.bindparam("client", type_=f.c.client_id.type),
        f.c.revoked_at.is_(None),
        f.c.absolute_expires_at > now,
    )
    consumed = (
        t.update()
        .where(
            t.c.token_hash == parent,
            t.c.used_at.is_(None),
            t.c.idle_expires_at > now,
            t.c.family_id.in_(live_family),
        )
        .values(used_at=now, grace_token=sa.null())
        .returning(t.c.family_id)
        .cte("consumed")
    )
    idle = sa.bindparam("idle", type_=t.c.idle_expires_at.type)
    child = (
        t.insert()
        .from_select(
            ["token_hash", "family_id", "parent_hash", "created_at", "idle_expires_at", "grace_token"],
            sa.select(
                sa.bindparam("child", type_=t.c.token_hash.type),
                f.c.id,
                parent,
                now,
                sa.func.least(idle, f.c.absolute_expires_at),
                sa.bindparam("grace", type_=t.c.grace_token.type),
            ).join(consumed, consumed.c.family_id == f.c.id),
        )
        .returning(t.c.token_hash)
        .cte("child")
    )
    return sa.select(*f.c).join(consumed, consumed.c.family_id == f.c.id).add_cte(child)


_CONSUME = _consume_statement()
_CONSUME_PARAMS = ("parent", "client", "child", "now", "idle", "grace")


def _driver_statement(dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """``_CONSUME`` as the driver runs it: its text and the order of its parameters' names."""
    compiled = _CONSUME.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(_CONSUME_PARAMS):  # every parameter is one of ours, bound by name
        raise RuntimeError(f"unexpected parameters of the refresh statement: {names}")
    return str(compiled), names


def _family(m: Any, f: str) -> RefreshFamilyRecord:
    return RefreshFamilyRecord(
        id=m[f + "id"],
        client_id=m[f + "client_id"],
        subject=m[f + "subject"],
        scope=tuple(m[f + "scope"].split()),
        session_id=m[f + "session_id"],
        auth_time=m[f + "auth_time"],
        acr=m[f + "acr"],
        amr=tuple(m[f + "amr"]),
        claims=dict(m[f + "claims"]),
        created_at=m[f + "created_at"],
        absolute_expires_at=m[f + "absolute_expires_at"],
        revoked_at=m[f + "revoked_at"],
        revoked_reason=m[f + "revoked_reason"],
    )


class SqlRefreshTokenRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        postgresql = engine.dialect.name == "postgresql"
        self._consume_sql = _driver_statement(engine.dialect) if postgresql else None

    async def create_family(self, family: RefreshFamilyRecord, first: RefreshTokenRecord) -> None:
        with translate_errors("storing a refresh token family"):
            async with self._engine.begin() as conn:
                await conn.execute(refresh_families.insert().values(**_family_row(family)))
                await conn.execute(refresh_tokens.insert().values(**_token_row(first)))

    async def find(self, token_hash: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        with translate_errors("reading a refresh token"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(_FIND.where(refresh_tokens.c.token_hash == token_hash))).first()
        return None if row is None else _records(row)

    async def find_child(self, parent_hash: str) -> tuple[RefreshTokenRecord, RefreshFamilyRecord] | None:
        with translate_errors("reading a refresh token"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(_FIND.where(refresh_tokens.c.parent_hash == parent_hash))).first()
        return None if row is None else _records(row)

    async def consume(
        self,
        parent_hash: str,
        *,
        client_id: str,
        child_hash: str,
        idle_expires_at: datetime,
        now: datetime,
        grace_token: str | None = None,
    ) -> RefreshFamilyRecord | None:
        if now.tzinfo is None or idle_expires_at.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        if self._consume_sql is not None:
            values = {
                "parent": parent_hash,
                "client": client_id,
                "child": child_hash,
                "now": now,
                "idle": idle_expires_at,
                "grace": grace_token,
            }
            return await self._consume_in_one_statement(self._consume_sql, values)
        with translate_errors("rotating a refresh token"):
            async with write_transaction(self._engine) as conn:
                found = (await conn.execute(_FIND.where(refresh_tokens.c.token_hash == parent_hash))).first()
                token, family = _records(found) if found is not None else (None, None)
                if token is None or family is None or not consumable(token, family, client_id, now):
                    return None
                consume = refresh_tokens.update().where(refresh_tokens.c.token_hash == parent_hash)
                await conn.execute(consume.values(used_at=now, grace_token=None))
                child = RefreshTokenRecord(
                    token_hash=child_hash,
                    family_id=family.id,
                    parent_hash=parent_hash,
                    created_at=now,
                    idle_expires_at=idle_expiry(idle_expires_at, family),
                    grace_token=grace_token,
                )
                await conn.execute(refresh_tokens.insert().values(**_token_row(child)))
                return family

    async def _consume_in_one_statement(
        self, statement: tuple[str, tuple[str, ...]], values: dict[str, Any]
    ) -> RefreshFamilyRecord | None:
        """PostgreSQL: ``_CONSUME`` sent on its own (one statement is one transaction: no BEGIN and
        COMMIT round trips) through the pooled connection's asyncpg driver, which decodes the row
        (JSON included, as SQLAlchemy's dialect set it up); SQLAlchemy's per-execution work is left out.
        """
        sql, names = statement
        with translate_errors("rotating a refresh token"), driver_errors("rotating a refresh token"):
            async with self._engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                if driver is None:  # the pool handed out a connection already closed
                    raise StorageError("rotating a refresh token failed: the connection is closed")
                row = await driver.fetchrow(sql, *(values[name] for name in names))
        if row is None:
            return None
        found = dict(row.items())
        for key in _FAMILY_TIMES:  # as UtcDateTime gives them
            if found[key] is not None:
                found[key] = found[key].astimezone(UTC)
        return _family(found, "")

    async def rotate(self, parent_hash: str, child: RefreshTokenRecord, *, now: datetime) -> bool:
        consume = (
            refresh_tokens.update()
            .where(refresh_tokens.c.token_hash == parent_hash, refresh_tokens.c.used_at.is_(None))
            .values(used_at=now, grace_token=None)
        )
        with translate_errors("rotating a refresh token"):
            async with write_transaction(self._engine) as conn:
                consumed = (await conn.execute(consume)).rowcount == 1
                if consumed:
                    await conn.execute(refresh_tokens.insert().values(**_token_row(child)))
                return consumed

    async def extend(self, token_hash: str, *, idle_expires_at: datetime, now: datetime) -> bool:
        stmt = (
            refresh_tokens.update()
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.used_at.is_(None),
                refresh_tokens.c.idle_expires_at > now,
            )
            .values(idle_expires_at=idle_expires_at)
        )
        with translate_errors("extending a refresh token"):
            async with self._engine.begin() as conn:
                return (await conn.execute(stmt)).rowcount == 1

    async def _revoke(self, where: sa.ColumnElement[bool], reason: str, at: datetime) -> int:
        stmt = (
            refresh_families.update()
            .where(where, refresh_families.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )
        with translate_errors("revoking refresh tokens"):
            async with self._engine.begin() as conn:
                return (await conn.execute(stmt)).rowcount

    async def revoke_family(self, family_id: str, *, reason: str, at: datetime) -> bool:
        return await self._revoke(refresh_families.c.id == family_id, reason, at) == 1

    async def revoke_session(self, session_id: str, *, reason: str, at: datetime) -> int:
        return await self._revoke(refresh_families.c.session_id == session_id, reason, at)

    async def revoke_client_grants(self, subject: str, client_id: str, *, reason: str, at: datetime) -> int:
        condition = sa.and_(refresh_families.c.subject == subject, refresh_families.c.client_id == client_id)
        return await self._revoke(condition, reason, at)

    async def purge_expired(self, now: datetime, *, limit: int = 1000) -> int:
        expired = (
            sa.select(refresh_families.c.id)
            .where(refresh_families.c.absolute_expires_at < now)
            .limit(limit)
            .scalar_subquery()
        )
        stmt = refresh_families.delete().where(refresh_families.c.id.in_(expired))
        with translate_errors("purging expired refresh tokens"):
            async with self._engine.begin() as conn:
                return (await conn.execute(stmt)).rowcount  # their tokens go by ON DELETE CASCADE
