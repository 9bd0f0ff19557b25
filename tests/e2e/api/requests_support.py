"""Shared pieces of the cabinet request e2e tests: a broker with a registry-admin client, tokens."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.web.provider import WEB_ID, WEB_REDIRECT, WEB_SECRET, Provider, grant, running_provider
from tests.support.databases import Databases

DOCTOR, CARDIOLOGIST = "FRMR-0000001", "FRMR-0000004"  # demo registry records (seeded in demo mode)
ADMIN_ID, ADMIN_SECRET = "registry-admin", "registry-admin-secret-2026"
ADMIN_CLIENT = f"""
- client_id: {ADMIN_ID}
  name: Registry administration
  secret: "{ADMIN_SECRET}"
  grant_types: [client_credentials]
  scopes: [admin, audit.read]
"""


@asynccontextmanager
async def broker(
    databases: Databases, redis_url: str | None, tmp: Path, **overrides: object
) -> AsyncIterator[Provider]:
    url = await databases.migrated()
    try:
        with running_provider(url, redis_url, tmp, extra_clients=ADMIN_CLIENT, **overrides) as running:
            yield running
    finally:
        await databases.drop(url)


async def worker_auth(
    http: httpx.AsyncClient,
    provider: Provider,
    frmr_id: str = DOCTOR,
    subject: str = "subject-0001",
    *,
    admin: bool = False,
) -> dict[str, str]:
    """A worker's access token; ``admin``: with ``frmr.admin`` (the login grants it to registry_admin)."""
    scope = ("openid", "profile", "frmr", *(("frmr.admin",) if admin else ()))
    code_grant = grant(scope=scope, subject=subject)
    code_grant = dataclasses.replace(code_grant, claims={**code_grant.claims, "frmr_person_id": frmr_id})
    code = await provider.mint_code(code_grant)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT}
    response = await http.post("/token", data=form, auth=(WEB_ID, WEB_SECRET))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def admin_auth(http: httpx.AsyncClient, scope: str = "admin") -> dict[str, str]:
    data = {"grant_type": "client_credentials", "scope": scope}
    response = await http.post("/token", data=data, auth=(ADMIN_ID, ADMIN_SECRET))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def problem_fields(response: httpx.Response) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    named = {p["name"] for p in body["invalid-params"]}
    assert named == {e["field"] for e in body["errors"]}
    return named


async def audited(http: httpx.AsyncClient, event_type: str) -> list[dict[str, Any]]:
    auditor = await admin_auth(http, "audit.read")
    response = await http.get("/api/v1/audit/events", params={"event_type": event_type}, headers=auditor)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events
