from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from frmr_sso.upstream.breaker import CircuitBreaker
from frmr_sso.upstream.esia import EsiaConnector, EsiaOptions
from tests.unit.upstream.scripted_esia import CLIENT, ISSUER, SIGNER, ScriptedEsia


@pytest.fixture
def esia() -> ScriptedEsia:
    return ScriptedEsia()


@pytest.fixture
async def connector(esia: ScriptedEsia) -> AsyncIterator[EsiaConnector]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(esia.handle)) as http:
        options = EsiaOptions(
            base_url="https://esia.test", issuer=ISSUER, client_id=CLIENT, certificate_hash="B" * 64
        )
        yield EsiaConnector(options, signer=SIGNER, http=http, breaker=CircuitBreaker(failure_threshold=2))
