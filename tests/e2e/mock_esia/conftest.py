from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.support.esia_mock import MockEsia, mock_settings, running_mock


@pytest.fixture(scope="session")
def signer() -> RsaSecretSigner:
    return RsaSecretSigner.generate()


@pytest.fixture
async def mock(redis_url: str | None, signer: RsaSecretSigner) -> AsyncIterator[MockEsia]:
    async with running_mock(mock_settings(redis_url), signer) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def shared_mock(redis_url: str | None, signer: RsaSecretSigner) -> AsyncIterator[MockEsia]:
    """One server for a module's tests that leave no state behind (refused requests)."""
    async with running_mock(mock_settings(redis_url), signer) as running:
        yield running
