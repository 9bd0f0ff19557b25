from __future__ import annotations

import pytest

from frmr_sso.config import (
    DEMO_SECRET_KEY,
    MIN_SECRET_BITS,
    ConfigurationError,
    estimated_entropy_bits,
    load_settings,
)

STRONG = "config-test-secret-key-5c2e9a7f1b3d6048"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODE", "SECRET_KEY", "ISSUER", "PORT", "METRICS_PORT", "METRICS_HOST", "DATABASE_POOL_SIZE",
                 "DATABASE_MAX_OVERFLOW", "DATABASE_URL", "TRUSTED_PROXIES", "SECOND_FACTOR_ROLES",
                 "CABINET_CLIENT_SECRET"):
        monkeypatch.delenv(f"FRMR_SSO_{name}", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)


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
    with pytest.raises(ConfigurationError, match=r"FRMR_SSO_PORT: .* 65535"):
        load_settings(mode="demo", port=70000)


def test_metrics_port_is_unset_by_default() -> None:
    settings = load_settings(mode="demo")
    assert (settings.metrics_port, settings.metrics_host) == (None, None)


def test_metrics_port_and_host_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRMR_SSO_METRICS_PORT", "9000")
    monkeypatch.setenv("FRMR_SSO_METRICS_HOST", "10.0.0.5")
    settings = load_settings(mode="demo")
    assert (settings.metrics_port, settings.metrics_host) == (9000, "10.0.0.5")


def test_an_empty_metrics_port_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRMR_SSO_METRICS_PORT", "")
    assert load_settings(mode="demo").metrics_port is None


def test_metrics_port_must_differ_from_the_public_port() -> None:
    with pytest.raises(ConfigurationError, match=r"FRMR_SSO_METRICS_PORT must differ .*\(8080\)") as error:
        load_settings(mode="demo", port=8080, metrics_port=8080)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("port", [0, 65536, "metrics"])
def test_metrics_port_must_be_a_port(port: object) -> None:
    with pytest.raises(ConfigurationError, match="FRMR_SSO_METRICS_PORT: "):
        load_settings(mode="demo", metrics_port=port)


def test_metrics_host_needs_a_metrics_port() -> None:
    with pytest.raises(ConfigurationError, match="FRMR_SSO_METRICS_HOST is set but FRMR_SSO_METRICS_PORT"):
        load_settings(mode="demo", metrics_host="127.0.0.1")


def test_database_pool_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(mode="demo")
    assert (settings.database_pool_size, settings.database_max_overflow) == (10, 10)
    monkeypatch.setenv("FRMR_SSO_DATABASE_POOL_SIZE", "25")
    monkeypatch.setenv("FRMR_SSO_DATABASE_MAX_OVERFLOW", "0")
    settings = load_settings(mode="demo")
    assert (settings.database_pool_size, settings.database_max_overflow) == (25, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("database_pool_size", 0), ("database_pool_size", 101), ("database_max_overflow", -1),
     ("database_max_overflow", 101)],
)
def test_database_pool_bounds_are_enforced(field: str, value: int) -> None:
    with pytest.raises(ConfigurationError, match=f"FRMR_SSO_{field.upper()}: "):
        load_settings(mode="demo", **{field: value})


@pytest.mark.parametrize(
    ("secret", "bits"),
    [("a" * 32, "about 0 bits"), ("ab" * 24, "about 48 bits"), ("abcd" * 10, "about 80 bits")],
)
def test_production_refuses_a_guessable_secret_key(secret: str, bits: str) -> None:
    with pytest.raises(ConfigurationError, match="FRMR_SSO_SECRET_KEY is guessable") as error:
        load_settings(mode="production", secret_key=secret, issuer="https://sso.example.test")
    assert bits in str(error.value)
    assert secret not in str(error.value)


def test_random_secret_keys_pass_the_entropy_estimate() -> None:
    import base64
    import secrets

    for _ in range(20):
        for key in (base64.b64encode(secrets.token_bytes(48)).decode(), secrets.token_hex(32)):
            assert estimated_entropy_bits(key) >= MIN_SECRET_BITS
            load_settings(mode="production", secret_key=key, issuer="https://sso.example.test")


def test_production_refuses_the_demo_cabinet_secret() -> None:
    with pytest.raises(ConfigurationError, match="FRMR_SSO_CABINET_CLIENT_SECRET is the published demo"):
        load_settings(mode="production", secret_key=STRONG, issuer="https://sso.example.test",
                      cabinet_client_secret="frmr-cabinet-demo-secret")
    assert load_settings(mode="demo", cabinet_client_secret="frmr-cabinet-demo-secret").is_demo


def test_an_unsupported_database_url_names_the_setting_and_hides_the_password() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_settings(mode="demo", database_url="mysql://root:hunter2@db/frmr")
    message = str(error.value)
    assert message.startswith("invalid configuration: FRMR_SSO_DATABASE_URL: expected sqlite+aiosqlite:///")
    assert "postgresql+asyncpg://" in message
    assert "'mysql'" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.0.0.0/8", ["10.0.0.0/8"]), ("10.0.0.0/8, 192.168.1.1,::1", ["10.0.0.0/8", "192.168.1.1", "::1"]),
     ('["10.0.0.0/8"]', ["10.0.0.0/8"]), ("", [])],
)
def test_trusted_proxies_are_a_json_list_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("FRMR_SSO_TRUSTED_PROXIES", value)
    assert load_settings(mode="demo").trusted_proxies == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [('["10.0.0.0/8"', "expected a JSON list or comma-separated values"),
     ("10.0.0.0/33", "'10.0.0.0/33' is not an IP address or network"),
     ("proxy.example", "'proxy.example' is not an IP address or network")],
)
def test_bad_trusted_proxies_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("FRMR_SSO_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigurationError, match="FRMR_SSO_TRUSTED_PROXIES: ") as error:
        load_settings(mode="demo")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_time_zone_is_moscow_unless_set_and_must_be_known() -> None:
    assert load_settings(mode="demo").time_zone == "Europe/Moscow"
    assert load_settings(mode="demo", time_zone="Asia/Yekaterinburg").time_zone == "Asia/Yekaterinburg"
    with pytest.raises(ConfigurationError, match="FRMR_SSO_TIME_ZONE: unknown time zone 'Mars/Olympus'"):
        load_settings(mode="demo", time_zone="Mars/Olympus")


def test_tracing_is_off_unless_the_collector_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(mode="demo").otel_exporter_otlp_endpoint is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    assert load_settings(mode="demo").otel_exporter_otlp_endpoint is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert load_settings(mode="demo").otel_exporter_otlp_endpoint == "http://collector:4318"


def test_a_collector_address_that_is_not_http_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")
    with pytest.raises(ConfigurationError, match=r"OTEL_EXPORTER_OTLP_ENDPOINT: .*http:// or https://"):
        load_settings(mode="demo")
