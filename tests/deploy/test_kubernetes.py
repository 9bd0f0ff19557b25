"""deploy/k8s/: probes, resources, security contexts, Secret references, HPA/PDB/Service/Ingress
wiring and the migrate Job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from frmr_sso.config import MIN_SECRET_LENGTH, Settings, load_settings
from frmr_sso.upstream.config import parse_upstreams
from frmr_sso.web.body_limit import UPLOAD_PATHS
from tests.deploy.support import (
    K8S,
    NAMESPACE,
    PLACEHOLDER,
    SECRET_NAME,
    containers_of,
    env_refs,
    load_yaml,
    matches,
    of_kind,
    one_of_kind,
    size_in_bytes,
    workloads_of,
)


def test_every_manifest_is_a_namespaced_object(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    for name, doc in k8s:
        assert doc.get("apiVersion"), name
        assert doc.get("kind"), name
        if doc["kind"] in {"Namespace", "Kustomization"}:
            continue
        assert doc["metadata"]["name"], name
        assert doc["metadata"].get("namespace") == NAMESPACE, f"{name}: {doc['kind']} outside {NAMESPACE}"
    assert one_of_kind(k8s, "Namespace")["metadata"]["name"] == NAMESPACE


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
    kustomization = load_yaml(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    assert all((K8S / r).is_file() for r in resources)
    assert "secret.example.yaml" not in resources
    assert {"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "configmap.yaml"} <= set(resources)


def test_pods_run_non_root_read_only_without_escalation(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    workloads = list(workloads_of(k8s))
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
    deployments = of_kind(k8s, "Deployment")
    assert deployments
    for deployment in deployments:
        for container in containers_of(deployment):
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe in container:
                    port = container[probe]["httpGet"]["port"]
                    assert port in ports or port in ports.values(), f"{probe} port {port}"


def test_deployment_selector_matches_its_pods(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    for deployment in of_kind(k8s, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert matches(deployment["spec"]["selector"]["matchLabels"], labels)
        assert deployment["spec"]["replicas"] >= 2


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_secret_key_comes_from_a_secret(k8s: list[tuple[str, dict[str, Any]]], kind: str) -> None:
    for workload in of_kind(k8s, kind):
        for container in containers_of(workload):
            env = env_refs(container)
            for name in ("FRMR_SSO_SECRET_KEY", "FRMR_SSO_DATABASE_URL"):
                assert "value" not in env[name], f"{name} must not be inline"
                assert env[name]["valueFrom"]["secretKeyRef"]["key"]


def test_env_and_volume_references_resolve(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    secrets = {
        s["metadata"]["name"]: s.get("stringData") or s.get("data") or {} for s in of_kind(k8s, "Secret")
    }
    maps = {c["metadata"]["name"]: c["data"] for c in of_kind(k8s, "ConfigMap")}
    for where, workload in workloads_of(k8s):
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
    (deployment,) = of_kind(k8s, "Deployment")
    (container,) = containers_of(deployment)
    maps = {c["metadata"]["name"]: c["data"] for c in of_kind(k8s, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        env.update(maps[source["configMapRef"]["name"]])
    fields = {f"FRMR_SSO_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, f"unknown settings {sorted(set(env) - fields)}"
    assert not [k for k in env if SECRET_NAME.search(k)], "secrets belong in a Secret, not a ConfigMap"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(secret_key="test-only-secret-key-7d1f3a9c2e5b8046")
    assert settings.mode == "production"
    assert settings.issuer.startswith("https://")
    assert settings.trusted_proxies, "the ingress controller must be a trusted proxy"

    # the upstreams file: mounted where FRMR_SSO_UPSTREAMS_FILE points, its key file in a Secret
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    upstreams_path = Path(env["FRMR_SSO_UPSTREAMS_FILE"])
    upstreams_volume = volumes[mounts[str(upstreams_path.parent)]]["configMap"]["name"]
    config = parse_upstreams(yaml.safe_load(maps[upstreams_volume][upstreams_path.name]))
    secrets = {s["metadata"]["name"]: s["stringData"] for s in of_kind(k8s, "Secret")}
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
    deployment = one_of_kind(k8s, "Deployment")
    name = deployment["metadata"]["name"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    port_names = {p["name"] for c in containers_of(deployment) for p in c["ports"]}

    service = one_of_kind(k8s, "Service")
    assert matches(service["spec"]["selector"], labels)
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])

    hpa = one_of_kind(k8s, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", name)
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["metrics"]

    pdb = one_of_kind(k8s, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert matches(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"].get("minAvailable", 0) < hpa["spec"]["minReplicas"] or "maxUnavailable" in pdb["spec"]

    for ingress in of_kind(k8s, "Ingress"):
        backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
        service_ports = {p["name"] for p in service["spec"]["ports"]}
        assert backends
        for backend in backends:
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"]["name"] in service_ports
        assert ingress["spec"]["tls"]


def test_migrate_job_runs_frmr_sso_migrate(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    job = one_of_kind(k8s, "Job")
    (container,) = containers_of(job)
    argv = [*container.get("command", ["frmr-sso"]), *container.get("args", [])]
    assert argv == ["frmr-sso", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert job["spec"].get("backoffLimit", 6) <= 6
    (deployment,) = of_kind(k8s, "Deployment")
    assert container["image"] == containers_of(deployment)[0]["image"], "migrate with the image it serves"


def test_metrics_have_their_own_port_which_nothing_routes_to(
    k8s: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = one_of_kind(k8s, "Deployment")
    (container,) = containers_of(deployment)
    maps = {c["metadata"]["name"]: c["data"] for c in of_kind(k8s, "ConfigMap")}
    for source in container["envFrom"]:
        for key, value in maps[source["configMapRef"]["name"]].items():
            monkeypatch.setenv(key, value)
    settings = load_settings(secret_key="test-only-secret-key-7d1f3a9c2e5b8046")
    assert settings.metrics_port is not None, "FRMR_SSO_METRICS_PORT is set in the ConfigMap"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["metrics"] == settings.metrics_port
    assert ports["http"] != settings.metrics_port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(settings.metrics_port)
    assert annotations["prometheus.io/path"] == "/metrics"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == "http", f"{probe} checks the public listener"

    service = one_of_kind(k8s, "Service")
    targets = {p["targetPort"] for p in service["spec"]["ports"]}
    assert targets == {"http"}, "the Service (and so the Ingress) never reaches the metrics port"
    service_ports = {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}
    for ingress in of_kind(k8s, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert service_ports[path["backend"]["service"]["port"]["name"]] == "http"


def test_ingress_body_limits_agree_with_the_brokers(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    """One Ingress for every route with the broker's small limit, one for the upload forms with theirs."""
    limits = {}
    for ingress in of_kind(k8s, "Ingress"):
        annotations = ingress["metadata"]["annotations"]
        size = size_in_bytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                limits[path["path"]] = (size, path["pathType"])
    assert limits.pop("/") == (Settings.model_fields["max_body_bytes"].default, "Prefix")
    upload = Settings.model_fields["max_upload_body_bytes"].default
    assert limits == {path: (upload, "Exact") for path in UPLOAD_PATHS}
    assert upload > 5 * 1024 * 1024, "a documented 5 MB file must pass"
