"""Privileged scopes through a real brokered login: a client's registration does not make its users admins.

- a worker logs in through a client registered for ``admin audit.read`` and asks for them:
  403 «Недостаточно прав», login.insufficient_rights, no code;
- the same worker holding the roles ``sso_admin`` and ``auditor``: a token with them, the audit API answers;
- the roles taken away in FRMR: the next refresh leaves both out (token.privilege_refused), the audit API
  answers 403, and SSO reuse asking for them ends on the 403 page.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from frmr_sso.oauth.client_specs import ClientSpec
from frmr_sso.security.secrets import hash_secret
from frmr_sso.storage.sql import SqlClientRepository, SqlRegistryRepository, create_engine
from tests.e2e.login.support import (
    DOCTOR,
    DOCTOR_PASSWORD,
    WEB_REDIRECT,
    AsyncOAuth2Client,
    Rig,
    assert_code_redirect,
    assert_page,
    query,
    start,
)
from tests.support.log_capture import remember

OPS_ID, OPS_SECRET = "ops-console", "ops-console-secret-2026"
OPS_SCOPE = "openid frmr admin audit.read offline_access"
DOCTOR_FRMR_ID = "FRMR-0000001"


async def register_ops_console(rig: Rig) -> None:
    spec = ClientSpec(
        client_id=OPS_ID, name="Консоль", secret=OPS_SECRET, redirect_uris=(WEB_REDIRECT,),
        grant_types=("authorization_code", "refresh_token"), scopes=tuple(OPS_SCOPE.split()),
        first_party=True,  # the operator's console: no consent page
    ).validated()
    engine = create_engine(rig.database_url)
    try:
        await SqlClientRepository(engine).add(spec.to_record(hash_secret(OPS_SECRET)))
    finally:
        await engine.dispose()


async def set_roles(rig: Rig, *roles: str) -> None:
    engine = create_engine(rig.database_url)
    try:
        registry = SqlRegistryRepository(engine)
        person = await registry.get(DOCTOR_FRMR_ID)
        assert person is not None
        await registry.upsert(dataclasses.replace(person, roles=tuple(roles)))
    finally:
        await engine.dispose()


def ops_client() -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=OPS_ID, client_secret=OPS_SECRET, redirect_uri=WEB_REDIRECT, scope=OPS_SCOPE,
        token_endpoint_auth_method="client_secret_basic",
    )


async def audit_api(rig: Rig, token: str) -> httpx.Response:
    return await rig.browser.get(
        f"{rig.broker}/api/v1/audit/events", headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_worker_without_the_roles_gets_no_privileged_scope(rig: Rig) -> None:
    await register_ops_console(rig)
    async with ops_client() as client:
        url, *_ = start(rig, client)
    page = await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD)
    assert_page(page, 403, "Недостаточно прав")
    assert "location" not in page.headers
    [refused] = [e for e in await rig.audit_events() if e.event_type == "login.insufficient_rights"]
    assert (refused.client_id, refused.details["scopes"]) == (OPS_ID, ["admin", "audit.read"])


async def test_roles_grant_the_scopes_and_their_removal_ends_them_at_the_next_refresh(rig: Rig) -> None:
    await register_ops_console(rig)
    await set_roles(rig, "sso_admin", "auditor")
    async with ops_client() as client:
        url, state, *_ = start(rig, client)
        location = assert_code_redirect(
            rig, await rig.esia_login(url, DOCTOR, DOCTOR_PASSWORD), WEB_REDIRECT, state
        )
        remember(query(location)["code"])
        token: dict[str, Any] = dict(
            await client.fetch_token(f"{rig.broker}/token", authorization_response=location, state=state)
        )
    remember(token["access_token"], token["refresh_token"], token.get("id_token"))
    assert token["scope"] == OPS_SCOPE
    assert (await audit_api(rig, token["access_token"])).status_code == 200

    await set_roles(rig)  # both roles taken away today
    refreshed = await rig.browser.post(
        f"{rig.broker}/token", data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(OPS_ID, OPS_SECRET),
    )
    assert refreshed.status_code == 200, refreshed.text
    remember(refreshed.json()["access_token"], refreshed.json()["refresh_token"])
    assert refreshed.json()["scope"] == "openid frmr offline_access"
    assert (await audit_api(rig, refreshed.json()["access_token"])).status_code == 403
    events = await rig.audit_events()
    [dropped] = [e for e in events if e.event_type == "token.privilege_refused"]
    assert (dropped.client_id, dropped.details["scopes"]) == (OPS_ID, ["admin", "audit.read"])

    async with ops_client() as client:  # the SSO session is alive, but it no longer carries the roles
        url, *_ = start(rig, client)
    reuse = await rig.browser.get(url)
    assert_page(reuse, 403, "Недостаточно прав")
