"""Shared constants and parsers of the deployment checks (deploy/, Dockerfile): plain functions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
NAMESPACE = "frmr-sso"
BROKERS = ("broker-1", "broker-2")
DEV_MARKER = "dev-only"
PLACEHOLDER = "CHANGE-ME"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|(^|_)KEY$|CREDENTIAL", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def literal(value: object) -> str:
    """A compose value as used when no variable is set: ``${X:-default}`` becomes ``default``."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def plain_secrets(env: dict[str, str]) -> list[str]:
    """Names of variables that carry a credential which is not visibly a dev-only value."""
    found = []
    for name, raw in env.items():
        value = literal(raw)
        if SECRET_NAME.search(name) and value and DEV_MARKER not in value:
            found.append(name)
            continue
        if "://" in value:
            password = urlsplit(value).password
            if password and DEV_MARKER not in password:
                found.append(name)
    return found


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def of_kind(docs: list[tuple[str, dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in docs if doc.get("kind") == kind]


def one_of_kind(docs: list[tuple[str, dict[str, Any]]], kind: str) -> dict[str, Any]:
    found = of_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def containers_of(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def env_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def workloads_of(k8s: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for doc in of_kind(k8s, kind):
            yield f"{kind}/{doc['metadata']['name']}", doc


def size_in_bytes(value: str) -> int:
    """An nginx size (``64k``, ``26m``, ``1024``) in bytes."""
    units = {"k": 1024, "m": 1024 * 1024, "g": 1024 ** 3}
    unit = value[-1].lower()
    return int(value[:-1]) * units[unit] if unit in units else int(value)
