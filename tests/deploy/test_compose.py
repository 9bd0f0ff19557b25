"""docker-compose.yml: the services, their start order (healthy stores, a completed migration),
healthchecks, settings that the broker and the mock really accept, and no credential that is
not visibly a dev value; the dev key script the compose stack runs.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from frmr_sso.config import MIN_SECRET_LENGTH, Settings, load_settings
from frmr_sso.upstream.config import parse_upstreams
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from frmr_sso.upstream.signers import RsaSignerConfig, load_signer
from mock_esia.clients import client_from_dict
from mock_esia.config import MockSettings
from tests.deploy.support import (
    BROKERS,
    DEPLOY,
    DEV_MARKER,
    environment_of,
    literal,
    load_yaml,
    plain_secrets,
)


def test_compose_has_the_stack(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "redis", *BROKERS, "mock-esia", "nginx", "migrate"} <= set(services)


@pytest.mark.parametrize("broker", BROKERS)
def test_brokers_wait_for_healthy_stores_and_a_completed_migration(
    services: dict[str, dict[str, Any]], broker: str
) -> None:
    depends = services[broker]["depends_on"]
    assert isinstance(depends, dict), "depends_on with conditions, not a bare list"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services[broker]["command"] == ["serve"]


def test_migrate_service_runs_frmr_sso_migrate_after_postgres(services: dict[str, dict[str, Any]]) -> None:
    migrate = services["migrate"]
    assert migrate.get("entrypoint") in (None, ["frmr-sso"]), "the image's ENTRYPOINT is frmr-sso"
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no"
    assert (
        environment_of(migrate)["FRMR_SSO_DATABASE_URL"]
        == environment_of(services["broker-1"])["FRMR_SSO_DATABASE_URL"]
    )


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    one_shot = {name for name, s in services.items() if s.get("restart") == "no"}
    assert {"migrate", "esia-keys"} <= one_shot
    for name, service in services.items():
        if name in one_shot:
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert check.get("test"), f"{name}: healthcheck without a test"
        assert not check.get("disable"), f"{name}: healthcheck disabled"
    for broker in BROKERS:
        assert "/health/" in " ".join(services[broker]["healthcheck"]["test"])
    assert "/health" in " ".join(services["mock-esia"]["healthcheck"]["test"])


def test_nginx_waits_for_both_brokers(services: dict[str, dict[str, Any]]) -> None:
    depends = services["nginx"]["depends_on"]
    assert all(depends[b]["condition"] == "service_healthy" for b in BROKERS)


def test_broker_settings_are_real_settings(services: dict[str, dict[str, Any]]) -> None:
    for broker in BROKERS:
        env = environment_of(services[broker])
        unknown = {k for k in env if k.startswith("FRMR_SSO_")} - {
            f"FRMR_SSO_{name.upper()}" for name in Settings.model_fields
        }
        assert not unknown, f"{broker}: unknown settings {sorted(unknown)}"
        assert env["FRMR_SSO_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert urlsplit(literal(env["FRMR_SSO_DATABASE_URL"])).hostname == "postgres"
        assert urlsplit(env["FRMR_SSO_REDIS_URL"]).hostname == "redis"
        assert len(literal(env["FRMR_SSO_SECRET_KEY"])) >= MIN_SECRET_LENGTH
    mock_env = environment_of(services["mock-esia"])
    unknown = {k for k in mock_env if k.startswith("MOCK_ESIA_")} - {
        f"MOCK_ESIA_{name.upper()}" for name in MockSettings.model_fields
    }
    assert not unknown, f"mock-esia: unknown settings {sorted(unknown)}"
    assert services["mock-esia"]["entrypoint"] == ["mock-esia"]
    assert services["mock-esia"]["command"][0] == "serve"


def test_trusted_proxies_name_nginx_and_nothing_wider(services: dict[str, dict[str, Any]]) -> None:
    nginx_ip = ipaddress.ip_address(services["nginx"]["networks"]["sso"]["ipv4_address"])
    for broker in BROKERS:
        trusted = json.loads(environment_of(services[broker])["FRMR_SSO_TRUSTED_PROXIES"])
        networks = [ipaddress.ip_network(n, strict=False) for n in trusted]
        assert any(nginx_ip in n for n in networks), f"{broker} does not trust nginx ({nginx_ip})"
        assert all(n.num_addresses == 1 for n in networks), "trust the proxy's address, not a whole network"


def test_compose_has_no_plain_secrets(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        found = plain_secrets(environment_of(service))
        assert not found, f"{name}: {found} are credentials without the {DEV_MARKER!r} mark"


def test_plain_secret_detector_flags_real_looking_values() -> None:
    key = "FRMR_SSO_SECRET_KEY"
    assert plain_secrets({key: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"}) == [key]
    assert plain_secrets({key: "${FRMR_SSO_SECRET_KEY:-hunter2}"}) == [key]
    assert plain_secrets({"URL": "postgresql://u:hunter2@db/x"}) == ["URL"]
    marked = {"URL": "postgresql://u:${P:-dev-only-pw}@db/x", "POSTGRES_PASSWORD": "dev-only-x"}
    assert plain_secrets(marked) == []
    assert plain_secrets({key: "${FRMR_SSO_SECRET_KEY}"}) == [], "taken from the shell: nothing in the file"


def test_compose_bind_mounts_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} is missing"


def test_compose_upstream_and_mock_client_agree(services: dict[str, dict[str, Any]]) -> None:
    broker_env = environment_of(services["broker-1"])
    mock_env = environment_of(services["mock-esia"])
    upstreams = parse_upstreams(load_yaml(DEPLOY / "compose" / "upstreams.yaml")).upstreams
    (esia,) = upstreams
    clients = load_yaml(DEPLOY / "compose" / "mock-esia-clients.yaml")["clients"]
    (client,) = [client_from_dict(entry) for entry in clients if entry["client_id"] == esia.client_id]
    assert esia.type == "esia"
    assert esia.certificate_hash.upper() == client.certificate_hash
    assert esia.base_url == mock_env["MOCK_ESIA_BASE_URL"]
    assert esia.issuer == mock_env["MOCK_ESIA_ISSUER"]
    assert f"{broker_env['FRMR_SSO_ISSUER']}/callback/esia" in client.redirect_uris
    # the key files live in the volume the esia-keys service fills, mounted in broker and mock
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services["broker-1"]["volumes"]}
    assert mounts[broker_env["FRMR_SSO_UPSTREAMS_FILE"]] == "./compose/upstreams.yaml"
    assert isinstance(esia.signer, RsaSignerConfig)
    key_dir = str(esia.signer.key_file.parent)
    assert mounts[key_dir] == "esia-keys"
    mock_mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services["mock-esia"]["volumes"]}
    clients_entry = next(e for e in clients if e["client_id"] == esia.client_id)
    assert mock_mounts[str(Path(clients_entry["public_key"]).parent)] == "esia-keys"
    assert mock_mounts[mock_env["MOCK_ESIA_CLIENTS_FILE"]] == "./compose/mock-esia-clients.yaml"


def _load_key_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("esia_dev_key", DEPLOY / "compose" / "esia_dev_key.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_key_script_writes_a_pair_the_broker_and_mock_load(tmp_path: Path) -> None:
    script = _load_key_script()
    assert script.ensure_key_pair(tmp_path) is True
    assert script.ensure_key_pair(tmp_path) is False, "an existing key is kept"
    private = tmp_path / script.PRIVATE_NAME
    assert private.stat().st_mode & 0o077 == 0, "the private key is readable by its owner only"
    signer = load_signer(RsaSignerConfig(kind="rsa", key_file=private), tmp_path)
    assert isinstance(signer, RsaSecretSigner)
    entry = load_yaml(DEPLOY / "compose" / "mock-esia-clients.yaml")["clients"][0]
    client = client_from_dict({**entry, "public_key": str(tmp_path / script.PUBLIC_NAME)})
    assert client.public_key == signer.public_key_pem().strip()


@pytest.mark.parametrize("broker", BROKERS)
def test_brokers_serve_metrics_on_a_port_nginx_does_not_proxy(
    services: dict[str, dict[str, Any]], broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in environment_of(services[broker]).items():
        if key.startswith("FRMR_SSO_"):
            monkeypatch.setenv(key, literal(value))
    monkeypatch.setenv("FRMR_SSO_PORT", "8000")  # the image's (Dockerfile ENV)
    settings = load_settings()  # refuses a metrics port equal to the public one
    assert settings.metrics_port is not None, f"{broker}: FRMR_SSO_METRICS_PORT"
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    assert f"{broker}:8000" in conf
    assert f":{settings.metrics_port}" not in conf, "nginx never proxies the metrics port"
    assert re.search(r"location\s*=\s*/metrics\s*\{\s*return\s+404;", conf)
    healthcheck = " ".join(services[broker]["healthcheck"]["test"])
    assert "127.0.0.1:8000/health/ready" in healthcheck
    assert "ports" not in services[broker], "nothing published: the metrics stay in the compose network"
