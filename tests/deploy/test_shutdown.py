"""Graceful shutdown: the pods' and the compose brokers' grace periods outlast the broker's drain
plus its in-flight timeout after SIGTERM, and readiness fails before SIGTERM arrives.
"""

from __future__ import annotations

from typing import Any

from frmr_sso.config import Settings
from tests.deploy.support import BROKERS, environment_of, of_kind


def _shutdown_seconds(env: dict[str, str]) -> float:
    """The broker's drain plus its in-flight timeout after SIGTERM, under these settings."""
    defaults = Settings.model_fields
    drain = float(env.get("FRMR_SSO_SHUTDOWN_DRAIN_SECONDS", defaults["shutdown_drain_seconds"].default))
    timeout = float(env.get("FRMR_SSO_SHUTDOWN_TIMEOUT", defaults["shutdown_timeout"].default))
    return drain + timeout


def test_deployments_shut_down_gracefully(k8s: list[tuple[str, dict[str, Any]]]) -> None:
    maps = {c["metadata"]["name"]: c["data"] for c in of_kind(k8s, "ConfigMap")}
    for deployment in of_kind(k8s, "Deployment"):
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
        assert _shutdown_seconds(environment_of(services[broker])) < int(grace[:-1])
