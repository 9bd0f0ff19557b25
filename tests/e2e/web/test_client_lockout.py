"""Client-authentication lockout over real HTTP: parallel wrong secrets, the lock, admin and CLI unlock."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from frmr_sso.storage.ports import AuditRecord
from tests.e2e.web.provider import (
    SERVICE_ID,
    SERVICE_SECRET,
    SPECIAL_ID,
    SPECIAL_SECRET,
    Provider,
    audit_records,
    basic,
    provider_on_own_database,
)
from tests.support.databases import Databases

MAX_FAILURES = 3
ADMIN_ID, ADMIN_SECRET = "lock-admin", "lock-admin-secret-value"
ADMIN_YAML = f"""
- client_id: {ADMIN_ID}
  name: Security administrator
  secret: "{ADMIN_SECRET}"
  grant_types: [client_credentials]
  scopes: [admin]
"""
CC = {"grant_type": "client_credentials", "scope": "frmr"}
FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))


@pytest.fixture(scope="module")
async def broker(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Provider, str]]:
    async with provider_on_own_database(
        databases, redis_url, tmp_path_factory.mktemp("lockout"), extra_clients=ADMIN_YAML,
        lockout_max_failures=MAX_FAILURES,
    ) as running:
        yield running


async def audit(database_url: str, event: str) -> list[AuditRecord]:
    return await audit_records(database_url, event)


async def lock_the_service(provider: Provider, http: httpx.AsyncClient) -> None:
    security = provider.app.state.container.security
    before = security.clients.checks_granted
    answers = await asyncio.gather(*(
        http.post("/token", data=CC, headers=basic(SERVICE_ID, f"wrong-secret-{n}")) for n in range(40)
    ))
    assert {a.status_code for a in answers} == {401}
    assert {a.json()["error"] for a in answers} == {"invalid_client"}
    assert security.clients.checks_granted - before == MAX_FAILURES  # never more secrets verified
    right = await http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))
    assert right.status_code == 401
    assert right.json()["error"] == "invalid_client"


async def test_parallel_wrong_secrets_lock_the_client_until_an_admin_unlocks(
    broker: tuple[Provider, str],
) -> None:
    provider, database_url = broker
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        warm = await http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))
        assert warm.status_code == 200  # the verifier now remembers the right secret: still refused below
        await lock_the_service(provider, http)
        locked = await audit(database_url, "client.locked")
        assert [(r.client_id, r.details["lock_number"], r.details["seconds"]) for r in locked] == [
            (SERVICE_ID, 1, 60)
        ]
        admin = await http.post("/token", data={"grant_type": "client_credentials", "scope": "admin"},
                                headers=basic(ADMIN_ID, ADMIN_SECRET))
        token = admin.json()["access_token"]
        refused = await http.post("/api/v1/admin/unlock", json={"client": SERVICE_ID})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        bad = await http.post("/api/v1/admin/unlock", json={"client": "a", "ip": "b"},
                              headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 400
        unlocked = await http.post("/api/v1/admin/unlock", json={"client": SERVICE_ID},
                                   headers={"Authorization": f"Bearer {token}"})
        assert unlocked.json() == {"kind": "client", "id": SERVICE_ID, "was_locked": True}
        again = await http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))
        assert again.status_code == 200
        [event] = await audit(database_url, "client.unlocked")
        assert event.client_id == SERVICE_ID
        assert event.details["by"] == f"admin-api:{ADMIN_ID}"


async def test_a_token_without_the_admin_scope_is_refused(broker: tuple[Provider, str]) -> None:
    provider, _ = broker
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        token = (await http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))).json()
        answer = await http.post("/api/v1/admin/unlock", json={"client": SERVICE_ID},
                                 headers={"Authorization": f"Bearer {token['access_token']}"})
        assert answer.status_code == 403
        assert answer.json()["error"] == "insufficient_scope"


async def test_frmr_sso_unlock_lifts_the_lock(broker: tuple[Provider, str], redis_url: str | None) -> None:
    if redis_url is None:
        pytest.skip("without Redis the lock lives in the broker process: only the admin API reaches it")
    provider, database_url = broker
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        await lock_the_service(provider, http)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
        env.update(FRMR_SSO_MODE="demo", FRMR_SSO_ISSUER=provider.issuer, FRMR_SSO_REDIS_URL=redis_url,
                   FRMR_SSO_DATABASE_URL=database_url)
        result = await asyncio.to_thread(
            subprocess.run, [FRMR_SSO, "unlock", "--client", SERVICE_ID], env=env, capture_output=True,
            text=True, timeout=60, check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"client {SERVICE_ID!r} unlocked"
        right = await http.post("/token", data=CC, headers=basic(SERVICE_ID, SERVICE_SECRET))
        assert right.status_code == 200
    assert any(r.details.get("by") == "cli" for r in await audit(database_url, "client.unlocked"))


async def test_wrong_secrets_lock_their_address_only_never_the_client(broker: tuple[Provider, str]) -> None:
    """Client ids are public: a burst of wrong secrets from one address must not shut the client out."""
    provider, database_url = broker
    security = provider.app.state.container.security
    special = {"grant_type": "client_credentials", "scope": "frmr"}
    attacker = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with (
        httpx.AsyncClient(base_url=provider.base, timeout=30, transport=attacker) as evil,
        httpx.AsyncClient(base_url=provider.base, timeout=30) as good,
    ):
        before = security.clients.checks_granted
        right_secret = basic(SPECIAL_ID, SPECIAL_SECRET)
        wrong = [evil.post("/token", data=special, headers=basic(SPECIAL_ID, f"bad-{n}")) for n in range(40)]
        right = [good.post("/token", data=special, headers=right_secret) for _ in range(10)]
        answers = await asyncio.gather(*wrong, *right)
        assert [a.status_code for a in answers[:40]] == [401] * 40
        assert [a.status_code for a in answers[40:]] == [200] * 10  # the burst locked nobody else
        assert security.clients.checks_granted - before <= MAX_FAILURES + 10
        locked_out = await evil.post("/token", data=special, headers=basic(SPECIAL_ID, SPECIAL_SECRET))
        assert locked_out.status_code == 401  # the guessing address is locked, its right secret too
        elsewhere = await good.post("/token", data=special, headers=basic(SPECIAL_ID, SPECIAL_SECRET))
        assert elsewhere.status_code == 200
        [event] = [r for r in await audit(database_url, "client.locked") if r.client_id == SPECIAL_ID]
        assert event.details["locked_ip"] == "127.0.0.2"
        admin = await good.post("/token", data={"grant_type": "client_credentials", "scope": "admin"},
                                headers=basic(ADMIN_ID, ADMIN_SECRET))
        unlocked = await good.post("/api/v1/admin/unlock", json={"client": SPECIAL_ID},
                                   headers={"Authorization": f"Bearer {admin.json()['access_token']}"})
        assert unlocked.json() == {"kind": "client", "id": SPECIAL_ID, "was_locked": True}
        again = await evil.post("/token", data=special, headers=basic(SPECIAL_ID, SPECIAL_SECRET))
        assert again.status_code == 200
