"""The SQL that consumes a refresh token agrees with the rule ``oauth.refresh`` states, on both backends.

On PostgreSQL ``consume`` is one statement whose WHERE clause and ``least()`` restate
``oauth.refresh.consumable`` and ``idle_expiry`` in SQL; on SQLite it calls them. Hypothesis draws
tokens and families in every state around ``now`` (used or not, revoked or not, each expiry before,
at or after ``now``, the family's client or another) and the stored outcome must be the rule's.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.oauth.refresh import consumable, expires_at, idle_expiry, is_active
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.integration.storage.sql.test_refresh_tokens import NOW, family, token

OFFSET = st.integers(min_value=-2, max_value=2).map(lambda s: timedelta(seconds=s))
MOMENT = st.one_of(st.none(), OFFSET.map(lambda d: NOW + d))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    used_at=MOMENT,
    revoked_at=MOMENT,
    idle=OFFSET,
    absolute=OFFSET,
    wanted=OFFSET,
    same_client=st.booleans(),
)
async def test_consume_follows_the_rule(
    engine: AsyncEngine,
    used_at: object,
    revoked_at: object,
    idle: timedelta,
    absolute: timedelta,
    wanted: timedelta,
    same_client: bool,
) -> None:
    repo = SqlRefreshTokenRepository(engine)
    fam = family(absolute_expires_at=NOW + absolute, revoked_at=revoked_at)
    parent = dataclasses.replace(
        token(fam.id, uuid.uuid4().hex), idle_expires_at=NOW + idle, used_at=used_at
    )
    await repo.create_family(fam, parent)
    client = fam.client_id if same_client else "another-client"
    child_hash = uuid.uuid4().hex.ljust(64, "0")
    consumed = await repo.consume(
        parent.token_hash, client_id=client, child_hash=child_hash, idle_expires_at=NOW + wanted, now=NOW
    )
    assert (consumed is not None) == consumable(parent, fam, client, NOW)
    assert consumable(parent, fam, client, NOW) == (same_client and is_active(parent, fam, NOW))
    child = await repo.find(child_hash)
    if consumed is None:
        assert child is None
        return
    assert child is not None
    assert child[0].idle_expires_at == idle_expiry(NOW + wanted, fam)
    assert expires_at(child[0], fam) == min(NOW + wanted, fam.absolute_expires_at)
    found = await repo.find(parent.token_hash)
    assert found is not None
    assert found[0].used_at == NOW
