"""Per-person limits under parallel requests, on the configured database and KV store.

A burst of statement orders once got 16 of 20 accepted although at most three may be pending:
the count and the new row were separate steps. Under ``PersonLimits`` they are one per person.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.cabinet_backend.statements import service as service
from frmr_sso.cabinet_backend.statements.service import MAX_PENDING, StatementService
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.security.limiter import RateLimiter
from frmr_sso.security.person_limits import PersonLimits, RateLimited
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import SqlStatementRepository
from tests.unit.cabinet_backend.statements.test_content import PERSON
from tests.unit.cabinet_backend.statements.test_service import Persons


class NeverReady(StatementService):
    """Orders stay pending (no PDF is made), so the limit of pending orders is what is tested."""

    def _start(self, statement_id: str) -> None:
        return None


def limits(kv: KeyValueStore, per_hour: int = 1000) -> PersonLimits:
    namespace = uuid.uuid4().hex
    rates = {kind: RateLimiter(kv, per_hour, 3600.0, namespace=f"{namespace}:{kind}")
             for kind in ("statement_orders", "change_requests", "contact_codes")}
    return PersonLimits(kv, rates, namespace=namespace)


async def test_parallel_orders_never_exceed_the_pending_limit(engine: AsyncEngine, kv: KeyValueStore) -> None:
    repository = SqlStatementRepository(engine)
    cipher = FieldCipher("x" * 40, purpose="statement-signing-key")
    orders = NeverReady(repository, Persons(PERSON), cipher, signer_name="тест", limits=limits(kv))
    outcomes = await asyncio.gather(
        *(orders.order(PERSON.frmr_id, "extract") for _ in range(20)), return_exceptions=True
    )
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(accepted) == MAX_PENDING
    assert all(isinstance(o, service.TooManyPending) for o in refused), refused
    pending = [s for s in await repository.list_for(PERSON.frmr_id) if s.status == "pending"]
    assert len(pending) == MAX_PENDING


async def test_a_persons_hourly_budget_holds_under_a_burst(kv: KeyValueStore) -> None:
    budget = limits(kv, per_hour=5)
    outcomes = await asyncio.gather(
        *(budget.charge("change_requests", "FRMR-1") for _ in range(20)), return_exceptions=True
    )
    assert sum(o is None for o in outcomes) == 5
    limited = [o for o in outcomes if isinstance(o, RateLimited)]
    assert len(limited) == 15
    assert all(1 <= o.retry_after <= 3600 for o in limited)
    await budget.charge("change_requests", "FRMR-2")  # another person has a budget of their own
    with pytest.raises(RateLimited):
        await budget.charge("change_requests", "FRMR-1")
