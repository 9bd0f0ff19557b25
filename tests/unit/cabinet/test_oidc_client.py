from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from frmr_sso.cabinet.oidc_client import BrokerError, OidcClient
from tests.unit.cabinet.fake_broker import CLIENT_ID, INTERNAL, ISSUER, SECRET, FakeBroker


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
async def client(broker: FakeBroker) -> AsyncIterator[OidcClient]:
    async with broker.client() as http:
        yield OidcClient(
            http,
            issuer=ISSUER,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            redirect_uri=f"{ISSUER}/cabinet/callback",
            scope="openid frmr",
            internal_url=INTERNAL,
        )


async def test_the_authorization_url_carries_pkce_s256_state_and_nonce(client: OidcClient) -> None:
    start = await client.start()
    url = urlsplit(start.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/authorize"
    digest = base64.urlsafe_b64encode(hashlib.sha256(start.verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == digest
    assert query["code_challenge_method"] == "S256"
    assert (query["state"], query["nonce"]) == (start.state, start.nonce)
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{ISSUER}/cabinet/callback"


async def test_redeem_checks_the_id_token_and_uses_the_internal_address(
    client: OidcClient, broker: FakeBroker
) -> None:
    start = await client.start()
    broker.nonce = start.nonce
    tokens, claims = await client.redeem("good-code", verifier=start.verifier, nonce=start.nonce)
    assert tokens.access_token == "at-1"
    assert claims["sub"] == "subject-1"
    token_call = next(r for r in broker.seen if r.url.path == "/token")
    assert str(token_call.url).startswith(INTERNAL)
    assert token_call.headers["authorization"].startswith("Basic ")
    assert b"code_verifier=" in token_call.content


async def test_a_foreign_nonce_or_a_bad_code_is_refused(client: OidcClient, broker: FakeBroker) -> None:
    start = await client.start()
    broker.nonce = "someone-else"
    with pytest.raises(BrokerError, match="nonce"):
        await client.redeem("good-code", verifier=start.verifier, nonce=start.nonce)
    with pytest.raises(BrokerError) as refused:
        await client.redeem("bad-code", verifier=start.verifier, nonce=start.nonce)
    assert (refused.value.status, refused.value.error) == (400, "invalid_grant")


async def test_an_id_token_for_another_client_is_refused(client: OidcClient, broker: FakeBroker) -> None:
    with pytest.raises(BrokerError, match="id_token is invalid"):
        await client.id_token_claims(broker.id_token(aud="other-client"))


async def test_end_session_url_names_the_client_and_the_return(client: OidcClient) -> None:
    url = await client.end_session_url("id.token", f"{ISSUER}/cabinet/logged-out")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{ISSUER}/logout?")
    assert query == {
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": f"{ISSUER}/cabinet/logged-out",
        "id_token_hint": "id.token",
    }
