"""The composition root prepares clients and signing keys on both store backends."""

from __future__ import annotations

from pathlib import Path

import jwt

from frmr_sso.bootstrap import build_container
from frmr_sso.config import load_settings

PRODUCTION = {"mode": "production", "secret_key": "test-only-secret-key-7d1f3a9c2e5b8046", "issuer": "https://sso.example.test"}


async def test_demo_container_seeds_clients_and_keys(migrated_database_url: str) -> None:
    container = await build_container(load_settings(mode="demo", database_url=migrated_database_url))
    try:
        seeded = {c.client_id for c in await container.clients.list()}
        assert seeded == {"demo-web", "demo-spa", "demo-service", "frmr-cabinet"}
        web = await container.clients.authenticate(
            "demo-web", secret="demo-web-secret", method="client_secret_post"
        )
        assert not web.public
        token = container.keys.sign({"sub": "x"}, alg="ES256")
        key = jwt.PyJWKSet.from_dict(container.keys.jwks())[jwt.get_unverified_header(token)["kid"]]
        assert jwt.decode(token, key, algorithms=["ES256"]) == {"sub": "x"}
        assert container.discovery.document["jwks_uri"] == "http://127.0.0.1:8000/jwks"
        assert container.keys.activation_delay.total_seconds() == 0
    finally:
        await container.aclose()


async def test_production_container_loads_the_clients_file_and_ensures_keys(
    migrated_database_url: str, tmp_path: Path
) -> None:
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text("- {client_id: emr, name: EMR, secret: emr-secret-value, redirect_uris: [https://e/cb]}\n")
    settings = load_settings(database_url=migrated_database_url, clients_file=clients_file, **PRODUCTION)
    container = await build_container(settings)
    try:
        assert [c.client_id for c in await container.clients.list()] == ["emr"]  # no demo clients
        assert len(container.keys.jwks()["keys"]) == 2
        assert container.keys.activation_delay.total_seconds() > 0
        assert container.keys.retention.total_seconds() >= settings.access_token_ttl
    finally:
        await container.aclose()


async def test_production_container_starts_without_a_schema(empty_database_url: str) -> None:
    container = await build_container(load_settings(database_url=empty_database_url, **PRODUCTION))
    try:
        assert container.keys.jwks() == {"keys": []}
    finally:
        await container.aclose()
