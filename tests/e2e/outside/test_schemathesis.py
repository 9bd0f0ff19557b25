"""Schemathesis against openapi.yaml and a running broker: every documented operation, authenticated too.

Each generated case is sent twice: as schemathesis made it (its own, usually
invalid, credentials or none) and with a valid credential of the operation's
security scheme, so the operations behind a token are fuzzed past the bearer
check. The person's API gets the demo doctor's access token from a real login
at the mock ESIA; the admin and audit APIs a client-credentials token with
``admin audit.read``; the registry lookup one with ``frmr.registry.read``; the
protocol endpoints the demo service's HTTP Basic credentials. Every answer must
be documented: no 5xx, a documented status and media type, a body that fits the
documented schema.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.login.support import Rig
from tests.e2e.outside.support import Credentials

SPEC = Path(__file__).resolve().parents[3] / "openapi.yaml"
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_path(SPEC)
# One test item per operation, named by it: pytest-xdist sends each worker whole files, and every
# item must have an id of its own for that (schemathesis' own parametrize gives them all one).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def authorization(case: Case, tokens: Credentials) -> str | None:
    """A valid credential for the operation's security scheme (None when it has none)."""
    security = case.operation.definition.raw.get("security", [])
    schemes = {name for requirement in security for name in requirement}
    if "clientSecretBasic" in schemes:
        user, password = tokens.client_basic
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if "accessToken" not in schemes:
        return None
    path = case.operation.path
    if path.startswith(("/api/v1/admin/", "/api/v1/audit/")):
        return f"Bearer {tokens.admin}"
    if path == "/api/v1/registry/lookup":
        return f"Bearer {tokens.registry_reader}"
    return f"Bearer {tokens.worker}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
def test_every_operation_answers_as_documented(operation: Any, rig: Rig, tokens: Credentials) -> None:
    @settings(
        max_examples=10,
        deadline=timedelta(seconds=10),
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def answers_as_documented(case: Case) -> None:
        with requests.Session() as session:
            session.max_redirects = 0
            kwargs = {"base_url": rig.broker, "session": session, "checks": CHECKS, "timeout": 30,
                      "allow_redirects": False}
            case.call_and_validate(**kwargs)
            valid = authorization(case, tokens)
            if valid is not None:
                case.call_and_validate(headers={"Authorization": valid}, **kwargs)

    answers_as_documented()


async def test_admin_apis_refuse_a_subject_longer_than_a_subject_id(rig: Rig, tokens: Credentials) -> None:
    """Found by the fuzzer on PostgreSQL: a 37–128 character subject reached the 36-character column (503)."""
    headers = {"Authorization": f"Bearer {tokens.admin}"}
    for path in ("/api/v1/admin/second-factor/reset", "/api/v1/admin/unlock"):
        response = await rig.browser.post(f"{rig.broker}{path}", json={"subject": "0" * 37}, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        fits = await rig.browser.post(f"{rig.broker}{path}", json={"subject": "0" * 36}, headers=headers)
        assert fits.status_code == 200, (path, fits.text)
