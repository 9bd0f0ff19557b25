"""Authorization codes on the configured KV backend: one-time, atomic, replay recognisable."""

from __future__ import annotations

import asyncio
import hashlib
from typing import cast

from frmr_sso.oauth import codes
from frmr_sso.oauth.codes import CodeGrant, RedeemedCode
from frmr_sso.storage.ports import KeyValueStore
from tests.integration.oauth.conftest import grant
from tests.support.oauth import CountingKV

ISSUED = RedeemedCode("demo-web", "jti-1", 1_900_000_000, "family-1")


def issued(n: int) -> RedeemedCode:
    return RedeemedCode("demo-web", f"jti-{n}", 1_900_000_000, f"family-{n}")


async def test_issue_then_redeem_returns_the_grant_once_then_its_mark(kv: KeyValueStore) -> None:
    granted = grant(code_challenge="c" * 43, code_challenge_method="S256")
    code = await codes.issue(kv, granted, ttl=60)
    assert await codes.redeem(kv, code, ISSUED, code_ttl=60) == granted
    assert await codes.redeem(kv, code, issued(2), code_ttl=60) == ISSUED  # the first mark stays
    assert await codes.redeem(kv, code, issued(3), code_ttl=60) == ISSUED


async def test_codes_are_random_and_stored_only_by_their_hash(kv: KeyValueStore) -> None:
    first, second = await codes.issue(kv, grant(), ttl=60), await codes.issue(kv, grant(), ttl=60)
    assert first != second
    assert len(first) == 43
    assert await kv.get("oauth:code:" + first) is None
    assert await kv.get("oauth:code:" + hashlib.sha256(first.encode()).hexdigest()) is not None


async def test_unknown_and_expired_codes(kv: KeyValueStore) -> None:
    assert await codes.redeem(kv, "never-issued", ISSUED, code_ttl=60) is None
    code = await codes.issue(kv, grant(), ttl=0.3)
    await asyncio.sleep(0.8)
    assert await codes.redeem(kv, code, ISSUED, code_ttl=60) is None
    assert await codes.redeem(kv, code, ISSUED, code_ttl=60) is None  # no mark was left


async def test_redemption_and_its_mark_are_exactly_one_kv_operation(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    counting = CountingKV(kv)
    assert isinstance(await codes.redeem(cast(KeyValueStore, counting), code, ISSUED, code_ttl=60), CodeGrant)
    assert counting.calls == ["take_and_mark"]
    assert await codes.redeem(cast(KeyValueStore, counting), code, issued(2), code_ttl=60) == ISSUED
    assert counting.calls == ["take_and_mark"] * 2


async def test_fifty_parallel_redemptions_yield_one_grant_and_the_winners_mark(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    results = await asyncio.gather(*(codes.redeem(kv, code, issued(n), code_ttl=60) for n in range(50)))
    won = [n for n, r in enumerate(results) if isinstance(r, CodeGrant)]
    assert len(won) == 1
    assert [r for r in results if not isinstance(r, CodeGrant)] == [issued(won[0])] * 49


async def test_grant_survives_the_store_unchanged(kv: KeyValueStore) -> None:
    granted = grant(nonce=None, acr=None, amr=(), session_id=None, claims={"frmr_posts": [{"name": "врач"}]})
    code = await codes.issue(kv, granted, ttl=60)
    assert await codes.redeem(kv, code, ISSUED, code_ttl=60) == granted


async def test_the_mark_outlives_the_code(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    await codes.redeem(kv, code, RedeemedCode("demo-web", "jti-1", 1, None), code_ttl=60)
    left = await kv.ttl("oauth:code:" + hashlib.sha256(code.encode()).hexdigest())
    assert left is not None
    assert 60 < left <= 60 * codes.REDEEMED_TTL_FACTOR
    assert await codes.redeem(kv, code, ISSUED, code_ttl=60) == RedeemedCode("demo-web", "jti-1", 1, None)
    assert await codes.redeem(kv, "other-code", ISSUED, code_ttl=60) is None


async def test_a_replayed_family_is_flagged(kv: KeyValueStore) -> None:
    assert await codes.family_replayed(kv, "family-1") is False
    await codes.mark_family_replayed(kv, "family-1", code_ttl=60)
    assert await codes.family_replayed(kv, "family-1") is True
    assert await codes.family_replayed(kv, "family-2") is False
