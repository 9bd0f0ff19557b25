from __future__ import annotations

import json

import pytest

from frmr_sso.config import load_settings
from frmr_sso.oidc.discovery import ProviderMetadata, discovery_document


@pytest.fixture
def document() -> dict[str, object]:
    return discovery_document(load_settings(mode="demo", issuer="http://127.0.0.1:8123"))


def test_endpoints_follow_the_issuer(document: dict[str, object]) -> None:
    assert document["issuer"] == "http://127.0.0.1:8123"
    assert document["authorization_endpoint"] == "http://127.0.0.1:8123/authorize"
    assert document["token_endpoint"] == "http://127.0.0.1:8123/token"
    assert document["userinfo_endpoint"] == "http://127.0.0.1:8123/userinfo"
    assert document["jwks_uri"] == "http://127.0.0.1:8123/jwks"
    assert document["introspection_endpoint"] == "http://127.0.0.1:8123/introspect"
    assert document["revocation_endpoint"] == "http://127.0.0.1:8123/revoke"
    assert document["end_session_endpoint"] == "http://127.0.0.1:8123/logout"


def test_issuer_is_kept_verbatim_and_paths_do_not_double_slashes() -> None:
    settings = load_settings(
        mode="production", issuer="https://sso.example.test/op/",
        secret_key="test-only-secret-key-7d1f3a9c2e5b8046",
    )
    document = discovery_document(settings)
    assert document["issuer"] == "https://sso.example.test/op/"
    assert document["token_endpoint"] == "https://sso.example.test/op/token"


def test_required_metadata_of_discovery_and_rfc8414(document: dict[str, object]) -> None:
    for name in (
        "issuer",
        "authorization_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ):
        assert name in document
    assert "RS256" in document["id_token_signing_alg_values_supported"]  # type: ignore[operator]


def test_protocol_choices_match_the_design(document: dict[str, object]) -> None:
    assert document["response_types_supported"] == ["code"]
    assert document["response_modes_supported"] == ["query"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert document["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["scopes_supported"] == [
        "openid", "profile", "snils", "frmr", "offline_access", "frmr.registry.read"
    ]
    assert document["prompt_values_supported"] == ["none", "login", "consent"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
    assert document["acr_values_supported"]
    assert {"sub", "iss", "snils", "nonce"} <= set(document["claims_supported"])  # type: ignore[call-overload]


def test_scopes_claims_and_acr_values_are_parameters() -> None:
    settings = load_settings(mode="demo")
    document = discovery_document(settings, scopes=["openid"], claims=["sub"], acr_values=["urn:x"])
    assert document["scopes_supported"] == ["openid"]
    assert document["claims_supported"] == ["sub"]
    assert document["acr_values_supported"] == ["urn:x"]


def test_provider_metadata_renders_the_json_once() -> None:
    metadata = ProviderMetadata.build(load_settings(mode="demo", issuer="http://127.0.0.1:8000"))
    assert json.loads(metadata.json_bytes) == metadata.document
    assert metadata.json_bytes is metadata.json_bytes
