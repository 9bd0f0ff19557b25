from __future__ import annotations

import pytest

from frmr_sso.config import DEMO_SECRET_KEY, ConfigurationError, load_settings

STRONG = "x" * 48


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FRMR_SSO_MODE", "FRMR_SSO_SECRET_KEY", "FRMR_SSO_ISSUER"):
        monkeypatch.delenv(name, raising=False)


def test_demo_mode_fills_in_the_demo_secret() -> None:
    settings = load_settings(mode="demo")
    assert settings.secret_key.get_secret_value() == DEMO_SECRET_KEY


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "is not set"), (DEMO_SECRET_KEY, "demo secret"), ("short", "at least 32")],
)
def test_production_refuses_weak_secrets(secret: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(mode="production", secret_key=secret, issuer="https://sso.example.test")


def test_production_refuses_http_issuer() -> None:
    with pytest.raises(ConfigurationError, match="https"):
        load_settings(mode="production", secret_key=STRONG, issuer="http://sso.example.test")


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRMR_SSO_MODE", "production")
    monkeypatch.setenv("FRMR_SSO_SECRET_KEY", STRONG)
    monkeypatch.setenv("FRMR_SSO_ISSUER", "https://sso.example.test")
    monkeypatch.setenv("FRMR_SSO_CODE_TTL", "90")
    settings = load_settings()
    assert settings.issuer == "https://sso.example.test"
    assert settings.code_ttl == 90


def test_invalid_values_are_reported_by_name() -> None:
    with pytest.raises(ConfigurationError, match="port"):
        load_settings(mode="demo", port=70000)
