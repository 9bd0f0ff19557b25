"""Redis memory per SSO session: ``INFO memory`` around sessions made by ``SessionStore.create``.

The sessions carry what a real login stores (the demo doctor's claims snapshot, roles, amr, an IP
and a browser's user agent) and go to a Redis database of their own (``/1``), emptied before and
after. ``used_memory`` is read at each count of ``SESSION_COUNTS``: the marginal bytes between two
counts are the cost of one more session; ``MEMORY USAGE`` of a few keys shows where it goes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

SESSION_COUNTS = (1_000, 10_000, 100_000)


async def session_memory(redis_url: str) -> dict[str, Any]:
    import redis.asyncio as aioredis

    from frmr_sso.config import load_settings
    from frmr_sso.identity.snils import Snils
    from frmr_sso.login.mapping import claims_snapshot
    from frmr_sso.login.session_store import SessionStore, SsoSession
    from frmr_sso.registry.demo import load_demo_persons
    from frmr_sso.security.crypto import FieldCipher
    from frmr_sso.storage.kv import open_kv
    from frmr_sso.upstream.base import UpstreamIdentity

    settings = load_settings(mode="demo")
    own_db = redis_url.rsplit("/", 1)[0] + "/1"
    raw = aioredis.Redis.from_url(own_db)
    kv = open_kv(own_db, prefix="frmr_sso:")
    store = SessionStore(
        kv,
        FieldCipher.from_settings(settings, purpose="sso-session"),
        idle_ttl=settings.session_idle_ttl,
        absolute_ttl=settings.session_absolute_ttl,
    )
    person = load_demo_persons()[0]
    identity = UpstreamIdentity(
        "esia",
        "1000299654",
        Snils.parse(person.snils),
        trusted=True,
        trust_level="PR",
        family_name=person.last_name,
        given_name=person.first_name,
        middle_name=person.middle_name,
        birthdate="1980-05-17",
        gender="female",
        amr=("pwd", "sms"),
        acr="urn:esia:lvl:PR",
    )
    now = int(time.time())
    draft = SsoSession(
        id="",
        subject="",
        connector="esia",
        auth_time=now,
        created_at=now,
        last_seen=now,
        acr=identity.acr,
        amr=identity.amr,
        roles=person.roles,
        claims=claims_snapshot(identity, person, date.today()),
        ip="203.0.113.45",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36",
    )
    try:
        await raw.flushdb()
        before = int((await raw.info("memory"))["used_memory"])
        made, figures, last_made, last_used = 0, [], 0, before
        for target in SESSION_COUNTS:
            while made < target:
                batch = min(50, target - made)
                subjects = [f"{made + i:08d}-0000-4000-8000-000000000000" for i in range(batch)]
                await asyncio.gather(*(store.create(_with_subject(draft, s)) for s in subjects))
                made += batch
            used = int((await raw.info("memory"))["used_memory"])
            figures.append(
                {
                    "sessions": made,
                    "used_memory_delta": used - before,
                    "bytes_per_session": round((used - before) / made),
                    "marginal_bytes_per_session": round((used - last_used) / (made - last_made)),
                }
            )
            last_made, last_used = made, used
        keys = [k async for k in raw.scan_iter(match="frmr_sso:*", count=1000) if b"session" in k][:3]
        per_key = {k.decode(): await raw.memory_usage(k) for k in keys}
        return {
            "growth": figures,
            "keys_per_session": await raw.dbsize() / made,
            "memory_usage_sample": per_key,
        }
    finally:
        await raw.flushdb()
        await raw.aclose()
        await kv.close()


def _with_subject(draft: Any, subject: str) -> Any:
    from dataclasses import replace

    return replace(draft, subject=subject)
