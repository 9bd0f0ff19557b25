"""Fixtures of the negative security suite: a broker with extra clients, and the login rigs.

``broker`` serves the OpenID Provider alone (``tests/e2e/web/provider.py``, codes minted
in-process) with an administrator client and a second confidential web client, one per module;
``rig`` and ``esia_signer`` come from ``tests/e2e/login/conftest.py`` (ESIA mock + broker);
``both_rig`` adds the hostile-capable test OP (``op``) as the upstream ``partner``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from frmr_sso.upstream.esia_signer import RsaSecretSigner
from tests.e2e.login.conftest import esia_signer, rig  # noqa: F401 - fixtures shared with the login tests
from tests.e2e.login.support import Rig, login_rig
from tests.e2e.security.support import EXTRA_CLIENTS, PARTNER_CLAIMS, PARTNER_PERSON, Broker
from tests.e2e.web.provider import running_provider
from tests.support.databases import Databases
from tests.support.oidc_op import OpenIdProvider, running_op


@pytest.fixture(scope="module")
async def broker(
    databases: Databases, redis_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Broker]:
    url = await databases.migrated()
    try:
        with running_provider(
            url, redis_url, tmp_path_factory.mktemp("security"), extra_clients=EXTRA_CLIENTS,
            audit_refusal_interval=0,  # each forgery is its own record, to be found by its request id
        ) as running:
            yield Broker(running, url)
    finally:
        await databases.drop(url)


@pytest.fixture
async def http(broker: Broker) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=broker.base, timeout=30) as client:
        yield client


@pytest.fixture
def op() -> Iterator[OpenIdProvider]:
    """The generic OIDC upstream (tests/support/oidc_op.py) vouching for the demo doctor."""
    with running_op(OpenIdProvider(claims=dict(PARTNER_PERSON))) as provider:
        yield provider


@pytest.fixture
async def both_rig(
    migrated_database_url: str,
    redis_url: str | None,
    esia_signer: RsaSecretSigner,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    op: OpenIdProvider,
) -> AsyncIterator[Rig]:
    """ESIA (the mock) and the OIDC upstream ``partner`` side by side."""
    async with login_rig(
        migrated_database_url, redis_url, esia_signer, tmp_path, op=op, op_claims=PARTNER_CLAIMS
    ) as running:
        yield running
