"""openapi.yaml is generated from the app (scripts/openapi.py) and must not drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[3]
BROKER_PATHS = {
    "/health/live": {"get"},
    "/health/ready": {"get"},
    "/.well-known/openid-configuration": {"get"},
    "/jwks": {"get"},
    "/token": {"post"},
    "/introspect": {"post"},
    "/revoke": {"post"},
    "/userinfo": {"get", "post"},
    "/authorize": {"get", "post"},
    "/callback/{connector}": {"get"},
    "/logout": {"get", "post"},
}


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_script", ROOT / "scripts" / "openapi.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_openapi_yaml_matches_the_app() -> None:
    script = generator()
    checked_in = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    generated = script.render(script.openapi_document())
    assert yaml.safe_load(checked_in) == yaml.safe_load(generated), (
        "openapi.yaml drifted: run scripts/openapi.py"
    )
    assert checked_in == generated, "openapi.yaml is not in the generator's format: run scripts/openapi.py"
    assert "&id" not in checked_in  # no YAML anchors: every node is printed where it is used


def test_operation_ids_are_unique() -> None:
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    ids = [operation["operationId"] for item in paths.values() for operation in item.values()]
    assert len(ids) == len(set(ids))


def test_every_broker_endpoint_is_documented() -> None:
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    for path, methods in BROKER_PATHS.items():
        assert methods <= set(paths.get(path, {})), path


def test_protocol_endpoints_document_their_form_bodies_and_client_auth() -> None:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    for path in ("/token", "/introspect", "/revoke"):
        operation = document["paths"][path]["post"]
        assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"], path
        assert operation["security"] == [{"clientSecretBasic": []}], path
    assert document["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"


def test_every_bearer_operation_documents_the_bearer_refusals() -> None:
    """The bearer check answers 400 invalid_request (malformed token) and 401 before any route's work."""
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    bearer = [
        (f"{method.upper()} {path}", operation["responses"])
        for path, item in paths.items()
        for method, operation in item.items()
        if {"accessToken": []} in operation.get("security", [])
    ]
    assert len(bearer) > 40
    for label, responses in bearer:
        assert {"400", "401", "403"} <= set(responses), label
        assert "invalid_request" in responses["400"]["description"], label
        assert responses["400"]["content"] == responses["401"]["content"], label


def test_browser_endpoints_document_their_error_pages() -> None:
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    for path, method in (("/authorize", "get"), ("/authorize", "post"), ("/callback/{connector}", "get"),
                         ("/logout", "get"), ("/logout", "post")):
        responses = paths[path][method]["responses"]
        assert "400" in responses, (method, path)
        assert "text/html" in responses["400"]["content"], (method, path)


def test_rate_limited_endpoints_document_429() -> None:
    from frmr_sso.web.rate_limit import endpoint_group

    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    limited = [(method, path) for path, item in paths.items() if endpoint_group(path) for method in item]
    assert {("post", "/token"), ("get", "/authorize"), ("get", "/callback/{connector}")} <= set(limited)
    for method, path in limited:
        assert "429" in paths[path][method]["responses"], (method, path)
