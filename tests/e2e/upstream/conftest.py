from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from frmr_sso.upstream.esia_signer import GostSecretSigner, RsaSecretSigner
from tests.e2e.upstream.support import EsiaRig, esia_rig


@pytest.fixture(scope="session")
def rsa_signer() -> RsaSecretSigner:
    return RsaSecretSigner.generate()


@pytest.fixture(scope="session")
def gost_signer() -> GostSecretSigner:
    return GostSecretSigner.generate()


@pytest.fixture(params=["RS256", "GOST3410_2012_256"])
async def rig(
    request: pytest.FixtureRequest,
    redis_url: str | None,
    rsa_signer: RsaSecretSigner,
    gost_signer: GostSecretSigner,
) -> AsyncIterator[EsiaRig]:
    """A mock ESIA in each token algorithm."""
    async with esia_rig(redis_url, rsa_signer, gost_signer, token_alg=request.param) as running:
        yield running


@pytest.fixture
async def rs256_rig(
    redis_url: str | None, rsa_signer: RsaSecretSigner, gost_signer: GostSecretSigner
) -> AsyncIterator[EsiaRig]:
    """A mock ESIA signing with RS256 only (faults that do not depend on the algorithm)."""
    async with esia_rig(redis_url, rsa_signer, gost_signer) as running:
        yield running
