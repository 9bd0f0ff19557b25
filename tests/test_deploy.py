"""Deployment files (deploy/), validated by parsing: there is no Docker engine or cluster in CI.

docker-compose.yml: the services, their start order (healthy stores, a completed migration),
healthchecks, settings that the broker and the mock really accept, and no credential that is
not visibly a dev value. nginx.conf: both brokers upstream, forwarded headers. k8s/: probes,
resources, security contexts, graceful shutdown, Secret references, HPA/PDB/Service wiring,
the migrate Job. grafana/frmr-sso.json: every query names a metric (and labels) that
``frmr_sso.web.metrics.Metrics`` registers, so renaming a metric fails here.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from frmr_sso.config import MIN_SECRET_LENGTH, Settings, load_settings
from frmr_sso.upstream.config import parse_upstreams
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from frmr_sso.upstream.signers import RsaSignerConfig, load_signer
from frmr_sso.web.metrics import Metrics
from mock_esia.clients import client_from_dict
from mock_esia.config import MockSettings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
K8S = DEPLOY / "k8s"
NAMESPACE = "frmr-sso"
BROKERS = ("broker-1", "broker-2")
DEV_MARKER = "dev-only"
PLACEHOLDER = "CHANGE-ME"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|(^|_)KEY$|CREDENTIAL", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


# --------------------------------------------------------------------------- helpers


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _literal(value: object) -> str:
    """A compose value as used when no variable is set: ``${X:-default}`` becomes ``default``."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def plain_secrets(env: dict[str, str]) -> list[str]:
    """Names of variables that carry a credential which is not visibly a dev-only value."""
    found = []
    for name, raw in env.items():
        value = _literal(raw)
        if SECRET_NAME.search(name) and value and DEV_MARKER not in value:
            found.append(name)
            continue
        if "://" in value:
            password = urlsplit(value).password
            if password and DEV_MARKER not in password:
                found.append(name)
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _yaml(DEPLOY / "docker-compose.yml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


@pytest.fixture(scope="module")
def k8s() -> list[tuple[str, dict[str, Any]]]:
    docs = _k8s_documents()
    assert docs
    return docs


def _kind(docs: list[tuple[str, dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in docs if doc.get("kind") == kind]


def _one(docs: list[tuple[str, dict[str, Any]]], kind: str) -> dict[str, Any]:
    found = _kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def _env_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# --------------------------------------------------------------------------- docker compose


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
        _environment(migrate)["FRMR_SSO_DATABASE_URL"]
        == _environment(services["broker-1"])["FRMR_SSO_DATABASE_URL"]
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
        env = _environment(services[broker])
        unknown = {k for k in env if k.startswith("FRMR_SSO_")} - {
            f"FRMR_SSO_{name.upper()}" for name in Settings.model_fields
        }
        assert not unknown, f"{broker}: unknown settings {sorted(unknown)}"
        assert env["FRMR_SSO_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert urlsplit(_literal(env["FRMR_SSO_DATABASE_URL"])).hostname == "postgres"
        assert urlsplit(env["FRMR_SSO_REDIS_URL"]).hostname == "redis"
        assert len(_literal(env["FRMR_SSO_SECRET_KEY"])) >= MIN_SECRET_LENGTH
    mock_env = _environment(services["mock-esia"])
    unknown = {k for k in mock_env if k.startswith("MOCK_ESIA_")} - {
        f"MOCK_ESIA_{name.upper()}" for name in MockSettings.model_fields
    }
    assert not unknown, f"mock-esia: unknown settings {sorted(unknown)}"
    assert services["mock-esia"]["entrypoint"] == ["mock-esia"]
    assert services["mock-esia"]["command"][0] == "serve"


def test_trusted_proxies_name_nginx_and_nothing_wider(services: dict[str, dict[str, Any]]) -> None:
    nginx_ip = ipaddress.ip_address(services["nginx"]["networks"]["sso"]["ipv4_address"])
    for broker in BROKERS:
        trusted = json.loads(_environment(services[broker])["FRMR_SSO_TRUSTED_PROXIES"])
        networks = [ipaddress.ip_network(n, strict=False) for n in trusted]
        assert any(nginx_ip in n for n in networks), f"{broker} does not trust nginx ({nginx_ip})"
        assert all(n.num_addresses == 1 for n in networks), "trust the proxy's address, not a whole network"


def test_compose_has_no_plain_secrets(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        found = plain_secrets(_environment(service))
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
    broker_env = _environment(services["broker-1"])
    mock_env = _environment(services["mock-esia"])
    upstreams = parse_upstreams(_yaml(DEPLOY / "compose" / "upstreams.yaml")).upstreams
    (esia,) = upstreams
    clients = _yaml(DEPLOY / "compose" / "mock-esia-clients.yaml")["clients"]
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
    entry = _yaml(DEPLOY / "compose" / "mock-esia-clients.yaml")["clients"][0]
    client = client_from_dict({**entry, "public_key": str(tmp_path / script.PUBLIC_NAME)})
    assert client.public_key == signer.public_key_pem().strip()


# --------------------------------------------------------------------------- nginx


def test_nginx_balances_both_brokers_with_forwarded_headers(services: dict[str, dict[str, Any]]) -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert code.count("{") == code.count("}")
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", code)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server\s+([\w.-]+:\d+)", upstream.group(2), re.MULTILINE))
    assert servers == {f"{b}:8000" for b in BROKERS}
    assert re.search(rf"proxy_pass\s+http://{upstream.group(1)}\s*;", code)
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$\S+;", code)
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", code)
    assert "FRMR_SSO_TRUSTED_PROXIES" in conf, "the config tells operators to trust nginx's network"
    listen = re.search(r"^\s*listen\s+(\d+)", code, re.MULTILINE)
    assert listen is not None
    published = [str(p).rsplit(":", 1)[1] for p in services["nginx"]["ports"]]
    assert listen.group(1) in published


def test_nginx_retries_only_what_is_safe_to_resend() -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    retry = re.search(r"proxy_next_upstream\s+([^;]*);", code)
    assert retry is not None
    conditions = set(retry.group(1).split())
    assert {"error", "timeout"} <= conditions, "a stopped or hung instance is skipped"
    assert not conditions & {"http_500", "http_502", "http_503", "http_504", "non_idempotent"}, (
        "a broker's own 5xx (ESIA down) must not replay a one-time callback on the other instance"
    )
    assert re.search(r"proxy_next_upstream_tries\s+2\s*;", code)


def test_nginx_accepts_the_shipped_config(tmp_path: Path) -> None:
    """``nginx -t`` on deploy/nginx/nginx.conf with loopback addresses for the compose names."""
    from tests.e2e.cluster.processes import NginxProcess, nginx_binary

    if nginx_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: scripts/test.sh installs the Debian package")
        pytest.skip("nginx is not installed (scripts/test.sh installs the Debian package)")
    result = NginxProcess([8001, 8002], tmp_path).check()
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- Dockerfile


def _dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), continuation lines joined."""
    text = (DEPLOY.parent / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(
        r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    )
    stages: list[list[tuple[str, str]]] = []
    for line in logical.splitlines():
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, "the Dockerfile starts with FROM"
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_dockerfile_is_multi_stage_with_a_lean_non_root_final_image() -> None:
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    final = stages[-1]
    runs = " ".join(args for instruction, args in final if instruction == "RUN")
    for tool in ("build-essential", "gcc", "g++", "make ", "pip install", "pip wheel"):
        assert tool not in runs, f"the final image must not install {tool.strip()!r}"
    copies = [args for instruction, args in final if instruction == "COPY"]
    assert copies
    assert all(args.startswith("--from=") for args in copies), "only built artefacts are copied"
    users = [args for instruction, args in final if instruction == "USER"]
    assert users, "the final stage drops root"
    user = users[-1].split(":")[0]
    assert user not in ("0", "root")
    checks = [args for instruction, args in final if instruction == "HEALTHCHECK"]
    assert checks
    assert "/health/" in checks[-1]
    entrypoint = [args for instruction, args in final if instruction == "ENTRYPOINT"]
    assert entrypoint
    assert json.loads(entrypoint[-1]) == ["frmr-sso"]
    cmd = [args for instruction, args in final if instruction == "CMD"]
    assert cmd
    assert json.loads(cmd[-1]) == ["serve"]
    build = " ".join(args for instruction, args in stages[0] if instruction == "RUN")
    assert "build-essential" in build, "compilers live in the build stage only"


def test_dockerfile_image_user_matches_the_pod_security_context(
    k8s: list[tuple[str, dict[str, Any]]],
) -> None:
    user = [args for instruction, args in _dockerfile_stages()[-1] if instruction == "USER"][-1]
    uid = int(user.split(":")[0])
    for _, workload in _workloads(k8s):
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((DEPLOY.parent / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "var", ".env", "tests"} <= ignored


# --------------------------------------------------------------------------- kubernetes


def test_every_manifest_is_a_namespaced_object(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    for name, doc in k8s:
        assert doc.get("apiVersion"), name
        assert doc.get("kind"), name
        if doc["kind"] in {"Namespace", "Kustomization"}:
            continue
        assert doc["metadata"]["name"], name
        assert doc["metadata"].get("namespace") == NAMESPACE, f"{name}: {doc['kind']} outside {NAMESPACE}"
    assert _one(k8s, "Namespace")["metadata"]["name"] == NAMESPACE


def test_expected_manifests_exist() -> None:
    for name in (
        "namespace",
        "configmap",
        "secret.example",
        "deployment",
        "service",
        "hpa",
        "pdb",
        "migrate-job",
        "ingress",
        "kustomization",
    ):
        assert (K8S / f"{name}.yaml").is_file(), name


def test_kustomization_lists_existing_files_but_no_example_secret() -> None:
    kustomization = _yaml(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    assert all((K8S / r).is_file() for r in resources)
    assert "secret.example.yaml" not in resources
    assert {"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "configmap.yaml"} <= set(resources)


def _workloads(k8s: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for doc in _kind(k8s, kind):
            yield f"{kind}/{doc['metadata']['name']}", doc


def test_pods_run_non_root_read_only_without_escalation(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    workloads = list(_workloads(k8s))
    assert {w.split("/")[0] for w, _ in workloads} == {"Deployment", "Job"}
    for where, workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"].get("runAsUser") not in (0, None), where
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where
            requests = container["resources"]["requests"]
            assert requests.get("cpu"), f"{where}: resources.requests.cpu"
            assert requests.get("memory"), f"{where}: resources.requests.memory"


def test_deployments_probe_health_endpoints(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    deployments = _kind(k8s, "Deployment")
    assert deployments
    for deployment in deployments:
        for container in _containers(deployment):
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in container:
                    port = container[probe]["httpGet"]["port"]
                    assert port in ports or port in ports.values(), f"{probe} port {port}"


def _shutdown_seconds(env: dict[str, str]) -> float:
    """The broker's drain plus its in-flight timeout after SIGTERM, under these settings."""
    defaults = Settings.model_fields
    drain = float(env.get("FRMR_SSO_SHUTDOWN_DRAIN_SECONDS", defaults["shutdown_drain_seconds"].default))
    timeout = float(env.get("FRMR_SSO_SHUTDOWN_TIMEOUT", defaults["shutdown_timeout"].default))
    return drain + timeout


def test_deployments_shut_down_gracefully(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    maps = {c["metadata"]["name"]: c["data"] for c in _kind(k8s, "ConfigMap")}
    for deployment in _kind(k8s, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        grace = pod["terminationGracePeriodSeconds"]
        assert grace >= 30
        for container in pod["containers"]:
            pre_stop = container["lifecycle"]["preStop"]
            if "sleep" in pre_stop:
                pause = int(pre_stop["sleep"]["seconds"])
            else:
                command = pre_stop["exec"]["command"]
                assert command[0] == "sleep", "preStop sleeps so readiness fails before SIGTERM"
                pause = int(command[1])
            env: dict[str, str] = {}
            for source in container.get("envFrom", []):
                env.update(maps.get(source.get("configMapRef", {}).get("name"), {}))
            # after the pause: the broker's drain, then up to FRMR_SSO_SHUTDOWN_TIMEOUT for in-flight requests
            assert pause > 0
            assert pause + _shutdown_seconds(env) < grace
        strategy = deployment["spec"]["strategy"]
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0


def test_compose_brokers_get_time_to_drain(services: dict[str, dict[str, Any]]) -> None:
    for broker in BROKERS:
        grace = services[broker]["stop_grace_period"]
        assert grace.endswith("s")
        assert _shutdown_seconds(_environment(services[broker])) < int(grace[:-1])


def test_deployment_selector_matches_its_pods(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    for deployment in _kind(k8s, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _matches(deployment["spec"]["selector"]["matchLabels"], labels)
        assert deployment["spec"]["replicas"] >= 2


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_secret_key_comes_from_a_secret(k8s: list[tuple[str, dict[str, Any]]], kind: str) -> None:
    for workload in _kind(k8s, kind):
        for container in _containers(workload):
            env = _env_refs(container)
            for name in ("FRMR_SSO_SECRET_KEY", "FRMR_SSO_DATABASE_URL"):
                assert "value" not in env[name], f"{name} must not be inline"
                assert env[name]["valueFrom"]["secretKeyRef"]["key"]


def test_env_and_volume_references_resolve(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    secrets = {
        s["metadata"]["name"]: s.get("stringData") or s.get("data") or {} for s in _kind(k8s, "Secret")
    }
    maps = {c["metadata"]["name"]: c["data"] for c in _kind(k8s, "ConfigMap")}
    for where, workload in _workloads(k8s):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]], f"{where}: {ref}"
                if SECRET_NAME.search(entry["name"]) or "URL" in entry["name"]:
                    assert "value" not in entry, f"{where}: {entry['name']} inline"
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in maps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, where
            if "configMap" in volume:
                assert volume["configMap"]["name"] in maps, where


def test_configmap_settings_start_a_production_broker(
    k8s: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    (deployment,) = _kind(k8s, "Deployment")
    (container,) = _containers(deployment)
    maps = {c["metadata"]["name"]: c["data"] for c in _kind(k8s, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        env.update(maps[source["configMapRef"]["name"]])
    fields = {f"FRMR_SSO_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, f"unknown settings {sorted(set(env) - fields)}"
    assert not [k for k in env if SECRET_NAME.search(k)], "secrets belong in a Secret, not a ConfigMap"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(secret_key="x" * MIN_SECRET_LENGTH)
    assert settings.mode == "production"
    assert settings.issuer.startswith("https://")
    assert settings.trusted_proxies, "the ingress controller must be a trusted proxy"

    # the upstreams file: mounted where FRMR_SSO_UPSTREAMS_FILE points, its key file in a Secret
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    upstreams_path = Path(env["FRMR_SSO_UPSTREAMS_FILE"])
    upstreams_volume = volumes[mounts[str(upstreams_path.parent)]]["configMap"]["name"]
    config = parse_upstreams(yaml.safe_load(maps[upstreams_volume][upstreams_path.name]))
    secrets = {s["metadata"]["name"]: s["stringData"] for s in _kind(k8s, "Secret")}
    for upstream in config.upstreams:
        if upstream.type != "esia":
            continue
        key_file = upstream.signer.key_file
        assert key_file is not None
        secret = volumes[mounts[str(key_file.parent)]]["secret"]["secretName"]
        assert key_file.name in secrets[secret]


def test_example_secret_holds_placeholders_only(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    docs = [doc for name, doc in k8s if name == "secret.example.yaml"]
    assert docs
    assert all(doc["kind"] == "Secret" for doc in docs)
    for doc in docs:
        assert "data" not in doc, "stringData placeholders only"
        for key, value in doc["stringData"].items():
            assert PLACEHOLDER in value, f"{key} is not an obvious placeholder"
    (holder,) = [d["stringData"] for d in docs if "FRMR_SSO_SECRET_KEY" in d["stringData"]]
    key = holder["FRMR_SSO_SECRET_KEY"]
    assert len(key) < MIN_SECRET_LENGTH, "a broker started with the placeholder must refuse to run"
    others = [name for name, doc in k8s if doc["kind"] == "Secret" and name != "secret.example.yaml"]
    assert not others, f"real Secrets do not belong in the repository: {others}"


def test_service_hpa_and_pdb_point_at_the_deployment(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    deployment = _one(k8s, "Deployment")
    name = deployment["metadata"]["name"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    port_names = {p["name"] for c in _containers(deployment) for p in c["ports"]}

    service = _one(k8s, "Service")
    assert _matches(service["spec"]["selector"], labels)
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])

    hpa = _one(k8s, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", name)
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["metrics"]

    pdb = _one(k8s, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert _matches(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"].get("minAvailable", 0) < hpa["spec"]["minReplicas"] or "maxUnavailable" in pdb["spec"]

    ingress = _one(k8s, "Ingress")
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    assert backends
    for backend in backends:
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in service_ports
    assert ingress["spec"]["tls"]


def test_migrate_job_runs_frmr_sso_migrate(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    job = _one(k8s, "Job")
    (container,) = _containers(job)
    argv = [*container.get("command", ["frmr-sso"]), *container.get("args", [])]
    assert argv == ["frmr-sso", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert job["spec"].get("backoffLimit", 6) <= 6
    (deployment,) = _kind(k8s, "Deployment")
    assert container["image"] == _containers(deployment)[0]["image"], "migrate with the image it serves"


# --------------------------------------------------------------------------- grafana


def _exported_metrics() -> dict[str, set[str]]:
    """Series names the registry exposes (counter ``x`` as ``x_total``) -> their label names."""
    metrics = Metrics()
    labels = {
        wrapper._name: set(wrapper._labelnames)
        for wrapper in vars(metrics).values()
        if isinstance(wrapper, MetricWrapperBase)
    }
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
    }
    exported: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        for suffix in suffixes.get(family.type, ("",)):
            bucket = {"le"} if suffix == "_bucket" else set()  # a histogram's bucket bound
            exported[family.name + suffix] = labels.get(family.name, set()) | bucket
    assert exported
    return exported


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            found.append((f"${variable['name']}", query["query"] if isinstance(query, dict) else query))
    return found


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data = json.loads((DEPLOY / "grafana" / "frmr-sso.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_dashboard_panels_query_existing_metrics_and_labels(dashboard: dict[str, Any]) -> None:
    exported = _exported_metrics()
    queries = _queries(dashboard)
    assert queries
    for where, expr in queries:
        names = set(re.findall(r"\bfrmr_sso_\w+", expr))
        assert names, f"{where}: {expr!r} queries no frmr-sso metric"
        unknown = names - set(exported)
        assert not unknown, f"{where}: {sorted(unknown)} not in the registry ({sorted(exported)})"
        allowed = {"instance", "job"}.union(*(exported[n] for n in names))
        used = set()
        for matchers in re.findall(r"\bfrmr_sso_\w+\{([^}]*)\}", expr):
            used |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
        for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            used |= {label.strip() for label in grouping.split(",") if label.strip()}
        assert used <= allowed, f"{where}: unknown labels {sorted(used - allowed)}"


def test_dashboard_covers_logins_failures_and_audit(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    exprs = " ".join(expr for _, expr in _queries(dashboard))
    assert re.search(r"by \(outcome\) \(rate\(frmr_sso_logins_total", exprs), "login rate by outcome"
    assert re.search(r"by \(reason\) \(rate\(frmr_sso_logins_total\{outcome=\"failure\"", exprs)
    assert re.search(r"rate\(frmr_sso_audit_events_total", exprs), "audit events rate"
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", f"{panel['title']}: hard-coded data source"


def test_metric_check_fails_for_a_renamed_metric(dashboard: dict[str, Any]) -> None:
    text = json.dumps(dashboard).replace("frmr_sso_logins_total", "frmr_sso_login_attempts_total")
    renamed = json.loads(text)
    with pytest.raises(AssertionError, match="not in the registry"):
        test_dashboard_panels_query_existing_metrics_and_labels(renamed)
