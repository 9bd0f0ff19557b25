from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.login.support import Rig
from tests.e2e.outside.support import Credentials, credentials, outside_rig
from tests.support.databases import Databases


@pytest.fixture(scope="module")
async def rig(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Rig]:
    """One broker and mock ESIA per module."""
    async with outside_rig(databases, redis_url, tmp_path_factory.mktemp("outside")) as running:
        yield running


@pytest.fixture(scope="module")
async def tokens(rig: Rig) -> Credentials:
    return await credentials(rig)
