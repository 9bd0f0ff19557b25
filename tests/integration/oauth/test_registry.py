from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.oauth.client_service import ClientService, client_credentials
from frmr_sso.oauth.client_specs import ClientSpec, ClientSpecError
from frmr_sso.oauth.errors import InvalidClient
from frmr_sso.security.secrets import SecretVerifier, hash_secret
from frmr_sso.storage.errors import StorageConflict, StorageError
from frmr_sso.storage.ports import ClientRecord
from frmr_sso.storage.sql import SqlClientRepository


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingRepository(SqlClientRepository):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.gets = 0
        self.down = False

    async def get(self, client_id: str) -> ClientRecord | None:
        self.gets += 1
        if self.down:
            raise StorageError("reading a client failed: ConnectionRefusedError")
        return await super().get(client_id)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def client_repository(engine: AsyncEngine) -> CountingRepository:
    return CountingRepository(engine)


@pytest.fixture
async def registry(client_repository: CountingRepository, ticks: Ticks) -> ClientService:
    registry = ClientService(client_repository, refresh_interval=60, unknown_ttl=5, clock=ticks)
    await registry.seed_demo_clients()
    return registry


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def test_demo_clients_are_seeded(registry: ClientService) -> None:
    records = {r.client_id: r for r in await registry.list()}
    assert set(records) == {
        "demo-web", "demo-spa", "demo-service", "demo-partner", "demo-service-opaque", "demo-web-opaque",
        "demo-web-opaque-es256",
    }
    assert (records["demo-web"].first_party, records["demo-partner"].first_party) == (True, False)
    assert records["demo-service-opaque"].access_token_format == "opaque"
    assert records["demo-web-opaque-es256"].id_token_alg == "ES256"
    assert records["demo-web-opaque-es256"].access_token_format == "opaque"
    assert records["demo-spa"].public
    assert records["demo-spa"].secret_hash is None
    assert records["demo-web"].secret_hash is not None
    assert records["demo-web"].secret_hash.startswith("scrypt$")


async def test_seeding_again_keeps_the_stored_hashes(registry: ClientService) -> None:
    before = {r.client_id: r.secret_hash for r in await registry.list()}
    await registry.seed_demo_clients()
    assert {r.client_id: r.secret_hash for r in await registry.list()} == before


async def test_client_secret_basic(registry: ClientService) -> None:
    client_id, secret, method = client_credentials(basic("demo-web", "demo-web-secret"), None, None)
    client = await registry.authenticate(client_id, secret=secret, method=method)
    assert client.client_id == "demo-web"
    assert not client.public


async def test_client_secret_basic_with_url_encoded_credentials(registry: ClientService) -> None:
    await registry.add(
        ClientSpec(
            client_id="odd",
            name="Odd",
            secret="p@ss word:100%!",
            grant_types=("client_credentials",),
            scopes=("frmr",),
        )
    )
    header = basic("odd", "p%40ss+word%3A100%25%21")
    client_id, secret, method = client_credentials(header, None, None)
    assert (await registry.authenticate(client_id, secret=secret, method=method)).client_id == "odd"


async def test_client_secret_post(registry: ClientService) -> None:
    client = await registry.authenticate(
        "demo-service", secret="demo-service-secret", method="client_secret_post"
    )
    assert client.allows_grant("client_credentials")


async def test_public_client_with_none(registry: ClientService) -> None:
    client = await registry.authenticate("demo-spa", secret=None, method="none")
    assert client.public
    assert client.requires_pkce


@pytest.mark.parametrize(
    ("client_id", "secret", "method"),
    [
        ("demo-web", "wrong-secret", "client_secret_basic"),
        ("demo-web", "wrong-secret", "client_secret_post"),
        ("nobody", "demo-web-secret", "client_secret_basic"),
        ("demo-web", None, "none"),  # a confidential client must authenticate
        ("demo-web", None, "client_secret_post"),
        ("demo-spa", "anything", "client_secret_post"),  # a public client has no secret
        ("demo-spa", "anything", "none"),
        ("nobody", None, "none"),
        ("demo-web", "demo-web-secret", "private_key_jwt"),
    ],
)
async def test_failures_are_all_invalid_client(
    registry: ClientService, client_id: str, secret: str | None, method: str
) -> None:
    with pytest.raises(InvalidClient):
        await registry.authenticate(client_id, secret=secret, method=method)


async def test_unknown_client_and_wrong_secret_look_the_same(
    registry: ClientService, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str | None] = []
    real = SecretVerifier.verify

    def spy(self: SecretVerifier, client_id: str, secret: str, secret_hash: str | None) -> bool:
        checked.append(secret_hash)
        return real(self, client_id, secret, secret_hash)

    monkeypatch.setattr(SecretVerifier, "verify", spy)
    errors = []
    for client_id in ("demo-web", "nobody"):
        with pytest.raises(InvalidClient) as caught:
            await registry.authenticate(client_id, secret="guess", method="client_secret_basic")
        errors.append((caught.value.body(), caught.value.headers(), caught.value.status_code))
    assert errors[0] == errors[1]
    assert checked[0] is not None
    assert checked[1] is None


async def test_lookups_are_cached_and_refreshed(
    registry: ClientService, client_repository: CountingRepository, ticks: Ticks
) -> None:
    client_repository.gets = 0
    for _ in range(5):
        await registry.authenticate("demo-web", secret="demo-web-secret", method="client_secret_basic")
    assert client_repository.gets == 1
    assert len(registry.verifier) == 1  # one KDF, then the cache
    ticks.now += 61
    await registry.get("demo-web")
    assert client_repository.gets == 2


async def test_unknown_ids_are_remembered_briefly(
    registry: ClientService, client_repository: CountingRepository, ticks: Ticks
) -> None:
    client_repository.gets = 0
    for _ in range(3):
        assert await registry.get("nobody") is None
    assert client_repository.gets == 1
    ticks.now += 6
    assert await registry.get("nobody") is None
    assert client_repository.gets == 2


async def test_cache_is_bounded(client_repository: CountingRepository, ticks: Ticks) -> None:
    registry = ClientService(client_repository, max_cached=2, clock=ticks)
    await registry.seed_demo_clients()
    for client_id in ("demo-web", "demo-spa", "demo-service"):
        await registry.get(client_id)
    client_repository.gets = 0
    await registry.get("demo-service")
    await registry.get("demo-web")  # evicted as the least recently used
    assert client_repository.gets == 1


async def test_a_cached_client_is_served_while_the_database_is_down(
    registry: ClientService, client_repository: CountingRepository, ticks: Ticks
) -> None:
    await registry.get("demo-web")
    ticks.now += 61
    client_repository.down = True
    client = await registry.get("demo-web")
    assert client is not None
    assert client.client_id == "demo-web"
    with pytest.raises(StorageError):
        await registry.get("demo-spa")


async def test_removed_or_changed_clients_take_effect_at_once_here(registry: ClientService) -> None:
    await registry.authenticate("demo-web", secret="demo-web-secret", method="client_secret_basic")
    await registry.save(
        ClientSpec(
            client_id="demo-web",
            name="Web",
            secret="a-brand-new-secret",
            redirect_uris=("http://127.0.0.1:9999/callback",),
        )
    )
    with pytest.raises(InvalidClient):
        await registry.authenticate("demo-web", secret="demo-web-secret", method="client_secret_basic")
    assert await registry.authenticate("demo-web", secret="a-brand-new-secret", method="client_secret_post")
    assert await registry.remove("demo-web")
    assert not await registry.remove("demo-web")
    with pytest.raises(InvalidClient):
        await registry.authenticate("demo-web", secret="a-brand-new-secret", method="client_secret_post")


async def test_add_refuses_a_taken_id_and_invalid_specs(registry: ClientService) -> None:
    with pytest.raises(StorageConflict):
        await registry.add(
            ClientSpec(
                client_id="demo-spa", name="Again", public=True, redirect_uris=("https://x.example/cb",)
            )
        )
    with pytest.raises(ClientSpecError, match="client 'bad': redirect_uris"):
        await registry.add(ClientSpec(client_id="bad", name="Bad", public=True))


async def test_load_yaml_upserts_plain_and_hashed_secrets(registry: ClientService, tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "clients:\n"
        "  - client_id: emr\n    name: Hospital EMR\n    secret: emr-secret-value\n"
        "    redirect_uris: [https://emr.hospital.example/cb]\n"
        "    grant_types: [authorization_code, refresh_token]\n    scopes: [openid, profile, frmr]\n"
        "    id_token_alg: ES256\n"
        f"  - client_id: lab\n    name: Lab\n    secret_hash: '{hash_secret('lab-secret-value')}'\n"
        "    grant_types: [client_credentials]\n    scopes: [frmr]\n"
        "  - client_id: demo-spa\n    name: Renamed SPA\n    public: true\n"
        "    redirect_uris: [http://127.0.0.1:9998/callback]\n",
        encoding="utf-8",
    )
    loaded: Sequence[object] = await registry.load_yaml(path)
    assert len(loaded) == 3
    emr = await registry.authenticate("emr", secret="emr-secret-value", method="client_secret_basic")
    assert emr.id_token_alg == "ES256"
    assert emr.scopes == frozenset({"openid", "profile", "frmr"})
    assert await registry.authenticate("lab", secret="lab-secret-value", method="client_secret_post")
    spa = await registry.get("demo-spa")
    assert spa is not None
    assert spa.name == "Renamed SPA"
    stored = {r.client_id for r in await registry.list()}
    assert stored == {
        "demo-web", "demo-spa", "demo-service", "demo-partner", "demo-service-opaque", "demo-web-opaque",
        "demo-web-opaque-es256", "emr", "lab",
    }


async def test_load_yaml_with_errors_stores_nothing(registry: ClientService, tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "- client_id: good\n  name: Good\n  public: true\n  redirect_uris: [https://good.example/cb]\n"
        "- client_id: broken\n  name: Broken\n  grant_types: [implicit]\n  secret: long-enough-secret\n"
    )
    with pytest.raises(ClientSpecError) as caught:
        await registry.load_yaml(path)
    assert "client 'broken': grant_types: unknown grant type 'implicit'" in str(caught.value)
    assert "client 'broken': redirect_uris" not in str(caught.value)  # implicit is not authorization_code
    assert await registry.get("good") is None
