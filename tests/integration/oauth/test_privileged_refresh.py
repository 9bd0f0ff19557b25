"""A privileged scope of a person's grant lives only as long as their FRMR role: checked at each refresh."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import Auditor
from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql import SqlAuditRepository
from tests.integration.oauth.conftest import SNAPSHOT, code_form, issue_code, refresh_form
from tests.support.oauth import WEB

OPS = replace(WEB, scopes=WEB.scopes | {"admin", "audit.read"})
SCOPE = ("openid", "frmr", "admin", "audit.read", "offline_access")


async def test_a_role_removed_today_stops_the_scope_at_the_next_refresh(
    make_service: Callable[..., TokenService], kv: KeyValueStore, engine: AsyncEngine
) -> None:
    audit_repo = SqlAuditRepository(engine)
    roles: dict[str, tuple[str, ...]] = {"FRMR-0000001": ("sso_admin", "auditor")}

    async def lookup(frmr_id: str) -> tuple[str, ...] | None:
        return roles.get(frmr_id)

    writer = BatchingAuditWriter(audit_repo)
    service = make_service(roles=lookup, auditor=Auditor(writer))
    claims = {**SNAPSHOT, "frmr_person_id": "FRMR-0000001"}
    first = await service.exchange_code(OPS, code_form(await issue_code(kv, scope=SCOPE, claims=claims)))
    assert first.scope == "openid frmr admin audit.read offline_access"
    kept = await service.refresh(OPS, refresh_form(first.refresh_token))
    assert kept.scope == first.scope
    roles["FRMR-0000001"] = ("auditor",)  # the administrator role is taken away
    narrowed = await service.refresh(OPS, refresh_form(kept.refresh_token))
    assert narrowed.scope == "openid frmr audit.read offline_access"
    roles.pop("FRMR-0000001")  # the record is gone altogether
    bare = await service.refresh(OPS, refresh_form(narrowed.refresh_token))
    assert bare.scope == "openid frmr offline_access"
    await writer.aclose()
    refused = [r for r in await audit_repo.list() if r.event_type == "token.privilege_refused"]
    assert [r.details["scopes"] for r in refused] == [["admin"], ["admin", "audit.read"]]
    assert {(r.outcome, r.client_id, r.subject_id) for r in refused} == {("failure", "demo-web", "sub-1")}


async def test_without_the_person_s_record_id_no_privileged_scope_survives_a_refresh(
    make_service: Callable[..., TokenService], kv: KeyValueStore
) -> None:
    async def lookup(frmr_id: str) -> tuple[str, ...] | None:
        return ("sso_admin", "auditor")

    service = make_service(roles=lookup)
    claims = {k: v for k, v in SNAPSHOT.items() if k != "frmr_person_id"}
    first = await service.exchange_code(OPS, code_form(await issue_code(kv, scope=SCOPE, claims=claims)))
    refreshed = await service.refresh(OPS, refresh_form(first.refresh_token))
    assert refreshed.scope == "openid frmr offline_access"
