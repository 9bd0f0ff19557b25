"""A broker with demo data and a mock ESIA on loopback, and the tokens an outside client holds.

``outside_rig`` is the login rig (broker in demo mode, mock ESIA, the demo
clients) plus a registered service client with the ``admin`` and ``audit.read``
scopes. ``Credentials`` are obtained the way a client obtains them: client
credentials for the services, and a worker's access token through a real login
at the mock ESIA with the demo doctor.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from frmr_sso.oauth.client_service import ClientService
from frmr_sso.oauth.client_specs import ClientSpec
from frmr_sso.storage.sql import SqlClientRepository
from frmr_sso.storage.sql.engine import create_engine
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    WEB_REDIRECT,
    Rig,
    assert_code_redirect,
    login_rig,
    start,
)
from tests.support.databases import Databases

ADMIN_ID, ADMIN_SECRET = "outside-admin", secrets.token_urlsafe(32)
SERVICE_ID, SERVICE_SECRET = "demo-service", "demo-service-secret"


async def register(database_url: str, *specs: ClientSpec) -> None:
    engine = create_engine(database_url)
    try:
        service = ClientService(SqlClientRepository(engine))
        for spec in specs:
            await service.add(spec)
    finally:
        await engine.dispose()


@asynccontextmanager
async def outside_rig(
    databases: Databases, redis_url: str | None, directory: Path, *clients: ClientSpec
) -> AsyncIterator[Rig]:
    """The login rig on a fresh database, with the admin service and ``clients`` registered."""
    url = await databases.migrated()
    admin = ClientSpec(
        client_id=ADMIN_ID, name="Служба администрирования", secret=ADMIN_SECRET,
        grant_types=("client_credentials",), scopes=("admin", "audit.read"),
    )
    try:
        async with login_rig(url, redis_url, RsaSecretSigner.generate(), directory) as rig:
            await register(url, admin, *clients)
            yield rig
    finally:
        await databases.drop(url)


@dataclass(frozen=True)
class Credentials:
    """One valid credential for each kind of caller the API knows."""

    client_basic: tuple[str, str]  # clientSecretBasic
    worker: str  # a person's access token (openid profile snils frmr)
    admin: str  # client_credentials: admin audit.read
    registry_reader: str  # client_credentials: frmr frmr.registry.read


async def service_token(rig: Rig, client_id: str, secret: str, scope: str) -> str:
    form = {"grant_type": "client_credentials", "scope": scope}
    response = await rig.browser.post(f"{rig.broker}/token", data=form, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def worker_token(rig: Rig) -> str:
    """The demo doctor logs in at the mock ESIA through demo-web; its access token."""
    async with rig.web() as client:
        url, state, *_ = start(rig, client)
        answer = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
        location = assert_code_redirect(rig, answer, WEB_REDIRECT, state)
        token = await client.fetch_token(
            f"{rig.broker}/token", authorization_response=location, state=state
        )
    access: str = token["access_token"]
    return access


async def credentials(rig: Rig) -> Credentials:
    return Credentials(
        client_basic=(SERVICE_ID, SERVICE_SECRET),
        worker=await worker_token(rig),
        admin=await service_token(rig, ADMIN_ID, ADMIN_SECRET, "admin audit.read"),
        registry_reader=await service_token(rig, SERVICE_ID, SERVICE_SECRET, "frmr frmr.registry.read"),
    )
