"""Two broker instances on one PostgreSQL database and one Redis, each with its own token cache.

A token checked on instance B (so B's cache holds "not revoked") and then revoked on instance A
is refused by B at once: Redis tells B's cache about the write (``storage/kv/near_cache.py``).
The instances share the issuer, as behind a load balancer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import httpx
import pytest

from frmr_sso.app import create_app
from frmr_sso.config import load_settings
from tests.conftest import BACKEND
from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, basic
from tests.support.databases import Databases
from tests.support.servers import free_port, serve

RESOURCE_SERVER = basic(SERVICE_ID, SERVICE_SECRET)
CLIENTS = {
    "jwt": basic(SERVICE_ID, SERVICE_SECRET),
    "opaque": basic("demo-service-opaque", "demo-service-opaque-secret"),
}
SECRET_KEY = "two-instances-secret-key-0123456789-abcdef"


@pytest.fixture(scope="module")
async def database(databases: Databases) -> AsyncIterator[str]:
    url = await databases.migrated()
    yield url
    await databases.drop(url)


@pytest.fixture(scope="module")
def instances(database: str, redis_url: str | None) -> Iterator[tuple[str, str]]:
    if BACKEND != "postgresql+redis":
        pytest.skip("several instances share PostgreSQL and Redis: this runs in the PostgreSQL + Redis pass")
    port = free_port()
    settings = load_settings(
        mode="demo", database_url=database, redis_url=redis_url, issuer=f"http://127.0.0.1:{port}",
        secret_key=SECRET_KEY,
    )
    with ExitStack() as stack:  # one after the other: the first seeds the demo clients and keys
        a = stack.enter_context(serve(create_app(settings), port=port))
        b = stack.enter_context(serve(create_app(settings)))
        yield a, b


async def token_of(http: httpx.AsyncClient, base: str, kind: str) -> str:
    form = {"grant_type": "client_credentials"}
    response = await http.post(f"{base}/token", data=form, headers=CLIENTS[kind])
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def active(http: httpx.AsyncClient, base: str, token: str) -> bool:
    response = await http.post(f"{base}/introspect", data={"token": token}, headers=RESOURCE_SERVER)
    assert response.status_code == 200, response.text
    return bool(response.json()["active"])


@pytest.mark.parametrize("kind", ["jwt", "opaque"])
async def test_revoked_on_one_instance_refused_on_the_other(instances: tuple[str, str], kind: str) -> None:
    a, b = instances
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(3):
            token = await token_of(http, a, kind)
            for _ in range(3):  # B answers from its cache after the first check
                assert await active(http, b, token)
            bearer = {"Authorization": f"Bearer {token}"}
            lookup = {"frmr_id": "FRMR-0000001"}
            found = await http.post(f"{b}/api/v1/registry/lookup", json=lookup, headers=bearer)
            assert found.status_code == 200

            revoked = await http.post(f"{a}/revoke", data={"token": token}, headers=CLIENTS[kind])
            assert revoked.status_code == 200
            started = time.monotonic()
            assert not await active(http, b, token)  # the very next request on B
            refused = await http.post(f"{b}/api/v1/registry/lookup", json=lookup, headers=bearer)
            assert refused.status_code == 401
            assert time.monotonic() - started < 1.0
