"""Fixtures of the deployment checks: the parsed compose file and Kubernetes manifests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.support import DEPLOY, k8s_documents, load_yaml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(DEPLOY / "docker-compose.yml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


@pytest.fixture(scope="module")
def k8s() -> list[tuple[str, dict[str, Any]]]:
    docs = k8s_documents()
    assert docs
    return docs
