"""Every grant, refresh rotation, refresh reuse and revocation is one audit record on the SQL chain,
written through the batching writer; the chain stays verifiable and no record holds a token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.audit.events import AuditContext, Auditor
from frmr_sso.audit.writer import BatchingAuditWriter
from frmr_sso.oauth.bearer import BearerValidator
from frmr_sso.oauth.errors import InvalidGrant
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.revocation import RevocationService
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.storage.ports import AuditRecord, KeyValueStore
from frmr_sso.storage.sql import SqlAuditRepository
from tests.integration.audit.support import verify
from tests.integration.oauth.conftest import Clock, code_form, issue_code, refresh_form
from tests.support.oauth import SERVICE, WEB

CONTEXT = AuditContext(ip="203.0.113.9", user_agent="client/1.0", request_id="req-audit-1")


@pytest.fixture
def repo(engine: AsyncEngine) -> SqlAuditRepository:
    return SqlAuditRepository(engine)


@pytest.fixture
async def writer(repo: SqlAuditRepository) -> AsyncIterator[BatchingAuditWriter]:
    writer = BatchingAuditWriter(repo, max_batch=8)
    yield writer
    await writer.aclose()


@pytest.fixture
def audited(make_service: Callable[..., TokenService], writer: BatchingAuditWriter) -> TokenService:
    return make_service(auditor=Auditor(writer))


async def records(repo: SqlAuditRepository, writer: BatchingAuditWriter) -> list[AuditRecord]:
    await writer.aclose()  # flush what the token path only queued
    return list(await repo.list())


async def test_each_grant_is_one_record_without_the_token(
    audited: TokenService, kv: KeyValueStore, repo: SqlAuditRepository, writer: BatchingAuditWriter
) -> None:
    cc = await audited.token(SERVICE, Params({"grant_type": "client_credentials"}), CONTEXT)
    code = await audited.token(WEB, code_form(await issue_code(kv)), CONTEXT)
    assert code.refresh_token is not None
    rotated = await audited.token(WEB, refresh_form(code.refresh_token), CONTEXT)
    stored = await records(repo, writer)
    assert [r.event_type for r in stored] == ["token.issued", "token.issued", "token.refresh_rotated"]
    assert [r.details["grant"] for r in stored] == [
        "client_credentials",
        "authorization_code",
        "refresh_token",
    ]
    assert [r.client_id for r in stored] == [SERVICE.client_id, WEB.client_id, WEB.client_id]
    assert [r.subject_id for r in stored] == [None, "sub-1", "sub-1"]
    assert all(r.ip == CONTEXT.ip and r.request_id == CONTEXT.request_id for r in stored)
    assert all(isinstance(r.details["jti"], str) for r in stored)
    assert stored[1].details["family_id"] == stored[2].details["family_id"]
    text = repr(stored)
    for token in (cc.access_token, code.access_token, code.refresh_token, rotated.refresh_token):
        assert token is not None
        assert token not in text
        assert token.split(".")[-1] not in text
    assert (await verify(repo)).intact


async def test_reuse_and_revocation_are_recorded(
    audited: TokenService,
    kv: KeyValueStore,
    repo: SqlAuditRepository,
    writer: BatchingAuditWriter,
    bearer: BearerValidator,
    clock: Clock,
) -> None:
    first = (await audited.token(WEB, code_form(await issue_code(kv)), CONTEXT)).refresh_token
    assert first is not None
    no_grace = replace(WEB, refresh_grace=0)
    await audited.token(no_grace, refresh_form(first), CONTEXT)
    with pytest.raises(InvalidGrant):
        await audited.token(no_grace, refresh_form(first), CONTEXT)  # reuse: the family is revoked
    revocation = RevocationService(
        refresh_tokens=audited.refresh_tokens,
        kv=kv,
        bearer=bearer,
        clock=clock,
        auditor=Auditor(writer),
    )
    access = (
        await audited.token(SERVICE, Params({"grant_type": "client_credentials"}), CONTEXT)
    ).access_token
    await revocation.revoke(SERVICE, Params({"token": access}), CONTEXT)
    await revocation.revoke(SERVICE, Params({"token": "unknown-token"}), CONTEXT)  # nothing took effect
    stored = await records(repo, writer)
    reused = [r for r in stored if r.event_type == "token.refresh_reused"]
    assert len(reused) == 1
    assert reused[0].outcome == "failure"
    assert reused[0].details["family_revoked"] is True
    revoked = [r for r in stored if r.event_type == "token.revoked"]
    assert [r.details["token_type"] for r in revoked] == ["access_token"]
    assert access not in repr(revoked)
    assert (await verify(repo)).intact


async def test_a_replayed_code_is_recorded(
    audited: TokenService, kv: KeyValueStore, repo: SqlAuditRepository, writer: BatchingAuditWriter
) -> None:
    code = await issue_code(kv)
    await audited.token(WEB, code_form(code), CONTEXT)
    with pytest.raises(InvalidGrant):
        await audited.token(WEB, code_form(code), CONTEXT)
    stored = await records(repo, writer)
    assert [r.event_type for r in stored] == ["token.issued", "token.code_replayed"]
    assert code not in repr(stored)
