from __future__ import annotations

import time

from fastapi import FastAPI

from frmr_sso.cabinet.mount import DEMO_CABINET_SECRET, cabinet_config, demo_cabinet_client, mount_cabinet
from frmr_sso.cabinet.oidc_client import Tokens
from frmr_sso.cabinet.runtime import Runtime
from frmr_sso.cabinet.session import CabinetSessions
from frmr_sso.config import load_settings
from frmr_sso.security.crypto import FieldCipher

PRODUCTION = {
    "mode": "production", "secret_key": "test-only-secret-key-7d1f3a9c2e5b8046", "issuer": "https://sso.example.test"
}


def test_production_serves_the_cabinet_only_with_its_own_secret() -> None:
    assert cabinet_config(load_settings(**PRODUCTION)) is None
    assert mount_cabinet(FastAPI(), load_settings(**PRODUCTION)) is None
    config = cabinet_config(load_settings(**PRODUCTION, cabinet_client_secret="cabinet-secret-from-vault"))
    assert config is not None
    assert config.client_secret == "cabinet-secret-from-vault"
    assert config.base_url == "https://sso.example.test/cabinet"
    assert config.secure_cookies is True
    assert "cabinet-secret-from-vault" not in repr(config)


def test_the_demo_seeds_a_client_whose_redirects_follow_the_issuer() -> None:
    settings = load_settings(mode="demo", issuer="http://127.0.0.1:8123")
    config = cabinet_config(settings)
    assert config is not None
    assert (config.client_secret, config.secure_cookies) == (DEMO_CABINET_SECRET, False)
    spec = demo_cabinet_client(settings).validated()
    assert spec.redirect_uris == ("http://127.0.0.1:8123/cabinet/callback",)
    assert spec.post_logout_redirect_uris == ("http://127.0.0.1:8123/cabinet/logged-out",)
    first_party_only = {"account.sessions", "frmr.documents", "account.consents", "account.logins"}
    assert set(spec.scopes) == {"openid", "profile", "frmr", "offline_access"} | first_party_only
    assert (spec.public, spec.first_party) == (False, True)


def test_the_cabinet_is_mounted_under_its_path() -> None:
    app = FastAPI()
    cabinet = mount_cabinet(app, load_settings(mode="demo"))
    assert cabinet is not None
    assert any(getattr(route, "path", None) == "/cabinet" for route in app.routes)


async def test_cabinet_sessions_sealed_before_a_secret_key_change_still_open() -> None:
    old, new = "old-cabinet-test-key-4b8e2a6c9d1f3057", "new-cabinet-test-key-7e3a9c5b1d8f2046"
    rotated = load_settings(**{**PRODUCTION, "secret_key": new}, previous_secret_keys=[old],
                            cabinet_client_secret="cabinet-secret-from-vault")
    config = cabinet_config(rotated)
    assert config is not None
    assert old not in repr(config)
    runtime = Runtime.open(config)
    try:
        sealer = FieldCipher(old, purpose="cabinet-session")
        before = CabinetSessions(
            runtime.kv, sealer, csrf=runtime.sessions.csrf, idle_ttl=60, absolute_ttl=60
        )
        tokens = Tokens("a", "r", "i", time.time() + 60, "openid")
        session = await before.create(sub="s-1", name="Иванова", tokens=tokens)
        opened = await runtime.sessions.get(session.id)
        assert opened is not None
        assert opened.sub == "s-1"
    finally:
        await runtime.aclose()
