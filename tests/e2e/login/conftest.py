from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.support import Rig, login_rig


@pytest.fixture(scope="session")
def esia_signer() -> RsaSecretSigner:
    return RsaSecretSigner.generate()


@pytest.fixture
async def rig(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> AsyncIterator[Rig]:
    async with login_rig(migrated_database_url, redis_url, esia_signer, tmp_path) as running:
        yield running


@pytest.fixture
async def rig_with_two_upstreams(
    migrated_database_url: str, redis_url: str | None, esia_signer: RsaSecretSigner, tmp_path: Path
) -> AsyncIterator[Rig]:
    extra = (("reserve", "Резервный вход"),)
    async with login_rig(migrated_database_url, redis_url, esia_signer, tmp_path, extra) as running:
        yield running


@pytest.fixture
async def second(rig: Rig) -> AsyncIterator[Rig]:
    """The same broker in another browser."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
        yield dataclasses.replace(rig, browser=browser)
