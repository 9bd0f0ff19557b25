"""Refresh-token rotation, grace window, reuse detection and lifetimes on real stores."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient
from frmr_sso.oauth.refresh import REUSE_REASON, RefreshReused, hash_token
from frmr_sso.oauth.request import Params
from frmr_sso.oauth.tokens import TokenService
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from tests.integration.oauth.conftest import LIFETIMES, Clock, login, refresh_form
from tests.support.oauth import ES256_WEB, SPA, WEB, TestSigner

NO_GRACE = replace(WEB, refresh_grace=0)


async def refresh(service: TokenService, token: str | None, client: Client = WEB, **extra: str) -> str:
    response = await service.refresh(client, refresh_form(token, **extra))
    assert response.refresh_token is not None
    return response.refresh_token


async def family_state(
    repository: SqlRefreshTokenRepository, token: str
) -> tuple[datetime | None, str | None]:
    found = await repository.find(hash_token(token))
    assert found is not None
    return found[1].revoked_at, found[1].revoked_reason


async def test_rotation_issues_a_new_token_and_fresh_tokens(
    service: TokenService, kv: KeyValueStore, signer: TestSigner, clock: Clock
) -> None:
    clock.advance(-60)  # log in a minute ago: pyjwt refuses an iat in the future
    first = await login(service, kv, auth_time=int(clock.now) - 30)
    clock.advance(60)
    response = await service.refresh(WEB, refresh_form(first.refresh_token))
    assert response.refresh_token not in (None, first.refresh_token)
    assert response.scope == "openid profile snils frmr offline_access"
    access = signer.decode(response.access_token)
    assert (access["sub"], access["client_id"], access["iat"]) == ("sub-1", "demo-web", int(clock.now))
    assert access["jti"] != signer.decode(first.access_token)["jti"]
    assert response.id_token is not None
    id_token = signer.decode(response.id_token, audience="demo-web")
    assert "nonce" not in id_token  # OIDC Core §12.2
    assert id_token["auth_time"] == int(clock.now) - 90  # the original login, not the refresh
    assert id_token["snils"] == "112-233-445 95"
    assert (await refresh(service, response.refresh_token)) != response.refresh_token


async def test_a_retry_within_the_grace_window_gets_the_same_child(
    service: TokenService, kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    parent = (await login(service, kv)).refresh_token
    child = await refresh(service, parent)
    assert await refresh(service, parent) == child
    assert await refresh(service, parent) == child
    assert await family_state(repository, child) == (None, None)
    await refresh(service, child)


async def test_reuse_after_the_grace_window_revokes_the_family(
    make_service: Callable[..., TokenService],
    kv: KeyValueStore,
    repository: SqlRefreshTokenRepository,
    clock: Clock,
) -> None:
    service, client = make_service(), replace(WEB, refresh_grace=1)
    parent = (await login(service, kv)).refresh_token
    child = await refresh(service, parent, client)
    clock.advance(0.9)
    assert await refresh(service, parent, client) == child
    clock.advance(0.2)  # the window (1 s from the rotation) is over
    with pytest.raises(InvalidGrant, match="already used"):
        await refresh(service, parent, client)
    revoked_at, reason = await family_state(repository, child)
    assert revoked_at is not None
    assert reason == REUSE_REASON
    with pytest.raises(InvalidGrant, match="revoked"):
        await refresh(service, child)  # the newest token dies with its family


async def test_the_reuse_warning_names_the_family_never_the_token(
    make_service: Callable[..., TokenService], kv: KeyValueStore, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service()
    parent = (await login(service, kv)).refresh_token
    assert parent is not None
    child = await refresh(service, parent, NO_GRACE)
    with caplog.at_level(logging.WARNING, logger="frmr_sso.oauth.refresh"), pytest.raises(InvalidGrant):
        await refresh(service, parent, NO_GRACE)
    (record,) = caplog.records
    assert record.getMessage() == "refresh token reused outside the grace window: family revoked"
    assert vars(record)["client_id"] == "demo-web"
    text = repr(vars(record))
    assert parent not in text
    assert child not in text
    assert hash_token(parent) not in text


async def test_without_grace_any_reuse_revokes(
    make_service: Callable[..., TokenService], kv: KeyValueStore
) -> None:
    service = make_service()
    parent = (await login(service, kv)).refresh_token
    child = await refresh(service, parent, NO_GRACE)
    with pytest.raises(InvalidGrant):
        await refresh(service, parent, NO_GRACE)
    with pytest.raises(InvalidGrant):
        await refresh(service, child, NO_GRACE)


async def test_grace_is_for_the_immediate_parent_only(service: TokenService, kv: KeyValueStore) -> None:
    grandparent = (await login(service, kv)).refresh_token
    parent = await refresh(service, grandparent)
    child = await refresh(service, parent)
    with pytest.raises(InvalidGrant):
        await refresh(service, grandparent)  # its child is spent: this is a replay, not a retry
    with pytest.raises(InvalidGrant):
        await refresh(service, child)


async def test_ten_parallel_refreshes_within_grace_share_one_child(
    service: TokenService, kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    parent = (await login(service, kv)).refresh_token
    children = await asyncio.gather(*(refresh(service, parent) for _ in range(10)))
    assert len(set(children)) == 1
    assert await family_state(repository, children[0]) == (None, None)
    assert await refresh(service, children[0])


async def test_idle_expiry(service: TokenService, kv: KeyValueStore, clock: Clock) -> None:
    token = (await login(service, kv)).refresh_token
    clock.advance(LIFETIMES.refresh_idle - 1)
    token = await refresh(service, token)
    clock.advance(LIFETIMES.refresh_idle)
    with pytest.raises(InvalidGrant, match="expired"):
        await refresh(service, token)


async def test_absolute_expiry_caps_every_child(
    service: TokenService, kv: KeyValueStore, clock: Clock, repository: SqlRefreshTokenRepository
) -> None:
    token = (await login(service, kv)).refresh_token
    assert token is not None
    start = clock.now
    while clock.now - start + LIFETIMES.refresh_idle / 2 < LIFETIMES.refresh_absolute:
        clock.advance(LIFETIMES.refresh_idle / 2)
        token = await refresh(service, token)
    found = await repository.find(hash_token(token))
    assert found is not None
    assert found[0].idle_expires_at == found[1].absolute_expires_at  # idle never outlives the family
    assert found[1].absolute_expires_at == datetime.fromtimestamp(start + LIFETIMES.refresh_absolute, UTC)
    clock.advance(LIFETIMES.refresh_idle / 2)
    with pytest.raises(InvalidGrant, match="expired"):
        await refresh(service, token)


async def test_narrower_scope_for_one_access_token(
    service: TokenService, kv: KeyValueStore, signer: TestSigner
) -> None:
    token = (await login(service, kv)).refresh_token
    response = await service.refresh(WEB, refresh_form(token, scope="profile"))
    assert (response.scope, response.id_token) == ("profile", None)
    assert signer.decode(response.access_token)["scope"] == "profile"
    later = await service.refresh(WEB, refresh_form(response.refresh_token))
    assert later.scope == "openid profile snils frmr offline_access"  # the family keeps its scope


async def test_wider_scope_is_refused_and_the_token_survives(
    service: TokenService, kv: KeyValueStore
) -> None:
    token = (await login(service, kv, scope=("openid", "offline_access"))).refresh_token
    with pytest.raises(InvalidScope):
        await refresh(service, token, scope="openid profile")
    assert await refresh(service, token)


async def test_refresh_token_of_another_client(service: TokenService, kv: KeyValueStore) -> None:
    token = (await login(service, kv)).refresh_token
    with pytest.raises(InvalidGrant, match="another client"):
        await service.refresh(ES256_WEB, refresh_form(token))
    assert await refresh(service, token)


async def test_unknown_token_and_client_without_the_grant(service: TokenService) -> None:
    with pytest.raises(InvalidGrant, match="invalid"):
        await refresh(service, "made-up")
    with pytest.raises(UnauthorizedClient):
        await service.refresh(SPA, refresh_form("whatever"))
    with pytest.raises(InvalidRequest, match="too long"):
        await service.refresh(WEB, Params({"refresh_token": "x" * 129}))


async def test_family_revoked_directly(
    service: TokenService, kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    token = (await login(service, kv)).refresh_token
    await repository.revoke_session("sid-1", reason="logout", at=datetime.now(UTC))
    with pytest.raises(InvalidGrant, match="revoked"):
        await refresh(service, token)


# -- per-client policy: rotation off for a confidential client, the client's own grace window -----------

KEPT = replace(WEB, refresh_rotation=False)


async def test_without_rotation_a_confidential_client_keeps_its_token(
    service: TokenService, kv: KeyValueStore, clock: Clock, repository: SqlRefreshTokenRepository
) -> None:
    token = (await login(service, kv)).refresh_token
    assert token is not None
    for _ in range(3):
        clock.advance(LIFETIMES.refresh_idle - 1)  # each use moves the idle expiry on
        response = await service.refresh(KEPT, refresh_form(token))
        assert response.refresh_token == token
        assert response.access_token
    found = await repository.find(hash_token(token))
    assert found is not None
    assert found[0].used_at is None
    clock.advance(LIFETIMES.refresh_idle)
    with pytest.raises(InvalidGrant, match="expired"):
        await service.refresh(KEPT, refresh_form(token))


async def test_without_rotation_a_revoked_family_still_ends_the_token(
    service: TokenService, kv: KeyValueStore, clock: Clock
) -> None:
    token = (await login(service, kv)).refresh_token
    assert token is not None
    found = await service.refresh_tokens.find(token)
    assert found is not None
    assert await service.refresh_tokens.revoke(found[1].id, reason="logout", now=datetime.now(UTC))
    with pytest.raises(InvalidGrant, match="revoked"):
        await service.refresh(KEPT, refresh_form(token))


async def test_a_token_rotated_away_before_rotation_was_turned_off_is_still_a_reuse(
    make_service: Callable[..., TokenService], kv: KeyValueStore, repository: SqlRefreshTokenRepository
) -> None:
    service = make_service()
    parent = (await login(service, kv)).refresh_token
    child = await refresh(service, parent, NO_GRACE)
    with pytest.raises(RefreshReused) as caught:
        await service.refresh(replace(KEPT, refresh_grace=0), refresh_form(parent))
    assert caught.value.revoked
    assert caught.value.ends_session is False  # a confidential client: its family only
    assert (await family_state(repository, child))[1] == REUSE_REASON


async def test_a_public_client_always_rotates_and_its_reuse_ends_the_session(
    service: TokenService, kv: KeyValueStore
) -> None:
    public = replace(WEB, public=True, refresh_rotation=False, refresh_grace=0)
    parent = (await login(service, kv)).refresh_token
    child = (await service.refresh(public, refresh_form(parent))).refresh_token
    assert child not in (None, parent)
    with pytest.raises(RefreshReused) as caught:
        await service.refresh(public, refresh_form(parent))
    assert caught.value.ends_session is True


@pytest.mark.parametrize(("grace", "retry_ok"), [(0, False), (5, True)])
async def test_the_grace_window_is_the_client_s(
    make_service: Callable[..., TokenService], kv: KeyValueStore, grace: int, retry_ok: bool
) -> None:
    service = make_service()
    client = replace(WEB, refresh_grace=grace)
    parent = (await login(service, kv)).refresh_token
    child = (await service.refresh(client, refresh_form(parent))).refresh_token
    if retry_ok:
        assert (await service.refresh(client, refresh_form(parent))).refresh_token == child
    else:
        with pytest.raises(RefreshReused):
            await service.refresh(client, refresh_form(parent))
