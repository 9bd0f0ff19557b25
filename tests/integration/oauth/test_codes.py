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


async def test_issue_then_redeem_returns_the_grant_once(kv: KeyValueStore) -> None:
    issued = grant(code_challenge="c" * 43, code_challenge_method="S256")
    code = await codes.issue(kv, issued, ttl=60)
    assert await codes.redeem(kv, code) == issued
    assert await codes.redeem(kv, code) is None


async def test_codes_are_random_and_stored_only_by_their_hash(kv: KeyValueStore) -> None:
    first, second = await codes.issue(kv, grant(), ttl=60), await codes.issue(kv, grant(), ttl=60)
    assert first != second
    assert len(first) == 43
    assert await kv.get("oauth:code:" + first) is None
    assert await kv.get("oauth:code:" + hashlib.sha256(first.encode()).hexdigest()) is not None


async def test_unknown_and_expired_codes(kv: KeyValueStore) -> None:
    assert await codes.redeem(kv, "never-issued") is None
    code = await codes.issue(kv, grant(), ttl=0.3)
    await asyncio.sleep(0.8)
    assert await codes.redeem(kv, code) is None


async def test_redemption_is_exactly_one_kv_operation(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    counting = CountingKV(kv)
    assert await codes.redeem(cast(KeyValueStore, counting), code) is not None
    assert counting.calls == ["get_and_delete"]


async def test_fifty_parallel_redemptions_yield_exactly_one_grant(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    results = await asyncio.gather(*(codes.redeem(kv, code) for _ in range(50)))
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert isinstance(won[0], CodeGrant)


async def test_grant_survives_the_store_unchanged(kv: KeyValueStore) -> None:
    issued = grant(nonce=None, acr=None, amr=(), session_id=None, claims={"frmr_posts": [{"name": "врач"}]})
    code = await codes.issue(kv, issued, ttl=60)
    assert await codes.redeem(kv, code) == issued


async def test_replay_marker(kv: KeyValueStore) -> None:
    code = await codes.issue(kv, grant(), ttl=60)
    assert await codes.redeem(kv, code) is not None
    assert await codes.find_redeemed(kv, code) is None
    marker = RedeemedCode("demo-web", "jti-1", 1_900_000_000, "family-1")
    await codes.mark_redeemed(kv, code, marker, code_ttl=60)
    await codes.mark_redeemed(kv, code, RedeemedCode("demo-web", "jti-2", 1, None), code_ttl=60)
    assert await codes.find_redeemed(kv, code) == marker  # the first marker stays
    left = await kv.ttl("oauth:code-redeemed:" + hashlib.sha256(code.encode()).hexdigest())
    assert left is not None
    assert 60 < left <= 60 * codes.REDEEMED_TTL_FACTOR
    assert await codes.find_redeemed(kv, "other-code") is None
