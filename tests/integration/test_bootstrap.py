"""The composition root prepares clients and signing keys on both store backends."""

from __future__ import annotations

import re
from pathlib import Path

import jwt
import pytest

from frmr_sso.bootstrap import build_container
from frmr_sso.config import load_settings
from frmr_sso.oauth.client_specs import ClientSpecError

PRODUCTION = {
    "mode": "production", "secret_key": "test-only-secret-key-7d1f3a9c2e5b8046", "issuer": "https://sso.example.test"
}


async def test_demo_container_seeds_clients_and_keys(migrated_database_url: str) -> None:
    container = await build_container(load_settings(mode="demo", database_url=migrated_database_url))
    try:
        seeded = {c.client_id for c in await container.clients.list()}
        assert seeded == {
            "demo-web", "demo-spa", "demo-service", "demo-partner", "demo-service-opaque", "demo-web-opaque",
            "demo-web-opaque-es256", "frmr-cabinet",
        }
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


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("{client_id: svc, name: Svc, secret: demo-service-secret, grant_types: [client_credentials]}",
      "client 'svc': secret: is a published demo secret"),
     ("{client_id: spa, name: SPA, public: true, redirect_uris: ['http://evil.example/cb']}",
      "client 'spa': redirect_uris: 'http://evil.example/cb' must be https"),
     ("{client_id: web, name: Web, secret: web-secret-value, redirect_uris: ['https://web.example/cb'], "
      "post_logout_redirect_uris: ['http://web.example/']}",
      "client 'web': post_logout_redirect_uris: 'http://web.example/' must be https")],
)
async def test_production_container_refuses_weak_clients(
    migrated_database_url: str, tmp_path: Path, entry: str, expected: str
) -> None:
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(f"- {entry}\n", encoding="utf-8")
    settings = load_settings(database_url=migrated_database_url, clients_file=clients_file, **PRODUCTION)
    with pytest.raises(ClientSpecError, match=re.escape(expected)):
        await build_container(settings)
    demo = await build_container(load_settings(mode="demo", database_url=migrated_database_url,
                                               clients_file=clients_file))
    await demo.aclose()  # the demo accepts the same file


async def test_ending_a_session_refuses_its_access_tokens(
    migrated_database_url: str, redis_url: str | None
) -> None:
    """The composition root's session revocation (logout, session end) also denies the session's tokens."""
    import time
    from datetime import UTC, datetime

    from frmr_sso.oauth import codes
    from frmr_sso.oauth.codes import CodeGrant
    from frmr_sso.oauth.errors import InvalidToken
    from frmr_sso.oauth.request import Params

    settings = load_settings(mode="demo", database_url=migrated_database_url, redis_url=redis_url)
    container = await build_container(settings)
    try:
        web = await container.clients.get("demo-web")
        assert web is not None
        grant = CodeGrant(
            client_id="demo-web", redirect_uri=web.redirect_uris[0], scope=("openid", "offline_access"),
            subject="subject-1", auth_time=int(time.time()), claims={}, session_id="sid-ending",
        )
        code = await codes.issue(container.kv, grant, 60)
        redirect = web.redirect_uris[0]
        form = Params({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
        issued = await container.tokens.exchange_code(web, form)
        assert (await container.bearer.validate(issued.access_token)).sid == "sid-ending"
        await container.account_sessions._revoke("sid-ending", datetime.now(UTC))
        with pytest.raises(InvalidToken):
            await container.bearer.validate(issued.access_token)
    finally:
        await container.aclose()
