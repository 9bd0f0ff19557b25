"""Relying-party clients in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.storage.errors import translate_errors
from frmr_sso.storage.ports import ClientRecord
from frmr_sso.storage.sql.engine import upsert_insert
from frmr_sso.storage.sql.tables import clients

_KEPT_ON_UPSERT = ("client_id", "created_at")


def _row(client: ClientRecord) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "secret_hash": client.secret_hash,
        "public": client.public,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "grant_types": list(client.grant_types),
        "scopes": list(client.scopes),
        "id_token_alg": client.id_token_alg,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "created_at": client.created_at,
        "require_second_factor": client.require_second_factor,
        "refresh_rotation": client.refresh_rotation,
        "refresh_grace": client.refresh_grace,
        "first_party": client.first_party,
        "access_token_format": client.access_token_format,
    }


def _record(row: sa.Row[Any]) -> ClientRecord:
    m = row._mapping
    return ClientRecord(
        client_id=m["client_id"],
        name=m["name"],
        secret_hash=m["secret_hash"],
        public=bool(m["public"]),
        redirect_uris=tuple(m["redirect_uris"]),
        post_logout_redirect_uris=tuple(m["post_logout_redirect_uris"]),
        grant_types=tuple(m["grant_types"]),
        scopes=tuple(m["scopes"]),
        id_token_alg=m["id_token_alg"],
        backchannel_logout_uri=m["backchannel_logout_uri"],
        created_at=m["created_at"],
        require_second_factor=bool(m["require_second_factor"]),
        refresh_rotation=bool(m["refresh_rotation"]),
        refresh_grace=int(m["refresh_grace"]),
        first_party=bool(m["first_party"]),
        access_token_format=m["access_token_format"],
    )


class SqlClientRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, client: ClientRecord) -> None:
        with translate_errors(f"adding client {client.client_id!r}"):
            async with self._engine.begin() as conn:
                await conn.execute(clients.insert().values(**_row(client)))

    async def upsert(self, client: ClientRecord) -> None:
        insert = upsert_insert(self._engine, clients).values(**_row(client))
        changed = {c.name: insert.excluded[c.name] for c in clients.c if c.name not in _KEPT_ON_UPSERT}
        stmt = insert.on_conflict_do_update(index_elements=[clients.c.client_id], set_=changed)
        with translate_errors(f"saving client {client.client_id!r}"):
            async with self._engine.begin() as conn:
                await conn.execute(stmt)

    async def get(self, client_id: str) -> ClientRecord | None:
        with translate_errors("reading a client"):
            async with self._engine.connect() as conn:
                row = (await conn.execute(clients.select().where(clients.c.client_id == client_id))).first()
        return None if row is None else _record(row)

    async def list(self) -> Sequence[ClientRecord]:
        with translate_errors("listing clients"):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(clients.select().order_by(clients.c.client_id))).all()
        return [_record(row) for row in rows]

    async def remove(self, client_id: str) -> bool:
        with translate_errors(f"removing client {client_id!r}"):
            async with self._engine.begin() as conn:
                result = await conn.execute(clients.delete().where(clients.c.client_id == client_id))
        return result.rowcount == 1
