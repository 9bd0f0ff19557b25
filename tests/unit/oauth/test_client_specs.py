from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from frmr_sso.oauth.client_specs import (
    DEMO_CLIENTS,
    ClientSpec,
    ClientSpecError,
    production_problems,
    read_clients_file,
)
from frmr_sso.security.secrets import hash_secret

WEB = ClientSpec(
    client_id="emr", name="EMR", secret="a-long-enough-secret", redirect_uris=("https://emr.example/cb",)
)


def test_a_valid_spec_has_no_problems() -> None:
    assert WEB.problems() == []
    assert WEB.validated() is WEB


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"client_id": "bad id"}, "client_id"),
        ({"client_id": "x" * 129}, "client_id"),
        ({"name": " "}, "name"),
        ({"redirect_uris": ()}, "redirect_uris"),
        ({"redirect_uris": ("/relative",)}, "redirect_uris"),
        ({"redirect_uris": ("https://emr.example/cb#frag",)}, "redirect_uris"),
        ({"redirect_uris": ("https:///no-host",)}, "redirect_uris"),
        ({"post_logout_redirect_uris": ("relative",)}, "post_logout_redirect_uris"),
        ({"backchannel_logout_uri": "com.example.app:/bc"}, "backchannel_logout_uri"),
        ({"grant_types": ("password",)}, "grant_types"),
        ({"grant_types": ()}, "grant_types"),
        ({"grant_types": ("refresh_token",)}, "grant_types"),
        ({"scopes": ()}, "scopes"),
        ({"scopes": ('bad"scope',)}, "scopes"),
        ({"id_token_alg": "HS256"}, "id_token_alg"),
        ({"secret": None}, "secret"),
        ({"secret": "short"}, "secret"),
        ({"secret_hash": "scrypt$…"}, "secret"),
        ({"secret": None, "secret_hash": "md5$abc"}, "secret_hash"),
        ({"public": True}, "secret"),
        ({"public": True, "secret": None, "grant_types": ("client_credentials",)}, "grant_types"),
        ({"refresh_grace": 61}, "refresh_grace"),
        ({"refresh_grace": -1}, "refresh_grace"),
        ({"public": True, "secret": None, "refresh_rotation": False}, "refresh_rotation"),
        ({"access_token_format": "reference"}, "access_token_format"),
    ],
)
def test_each_problem_names_the_client_and_the_field(changes: dict[str, object], field: str) -> None:
    spec = ClientSpec(**{**_fields(WEB), **changes})  # type: ignore[arg-type]
    problems = spec.problems()
    assert any(p.startswith(f"client {spec.client_id!r}: {field}: ") for p in problems), problems
    with pytest.raises(ClientSpecError):
        spec.validated()


def test_native_app_custom_scheme_redirect_is_allowed() -> None:
    spec = ClientSpec(client_id="app", name="App", public=True, redirect_uris=("ru.example.app:/cb",))
    assert spec.problems() == []


def test_record_never_keeps_the_plain_secret() -> None:
    record = WEB.to_record("scrypt$hash")
    assert record.secret_hash == "scrypt$hash"
    assert "a-long-enough-secret" not in repr(record)
    assert "a-long-enough-secret" not in repr(WEB)


def test_demo_clients_follow_the_contract() -> None:
    by_id = {spec.client_id: spec for spec in DEMO_CLIENTS}
    assert set(by_id) == {
        "demo-web", "demo-spa", "demo-service", "demo-partner", "demo-service-opaque", "demo-web-opaque",
        "demo-web-opaque-es256",
    }
    assert by_id["demo-web"].secret == "demo-web-secret"
    assert by_id["demo-web"].redirect_uris == ("http://127.0.0.1:9999/callback",)
    assert set(by_id["demo-web"].grant_types) == {"authorization_code", "refresh_token"}
    assert by_id["demo-spa"].public
    assert by_id["demo-spa"].secret is None
    assert by_id["demo-spa"].redirect_uris == ("http://127.0.0.1:9998/callback",)
    assert by_id["demo-service"].grant_types == ("client_credentials",)
    assert by_id["demo-service"].secret == "demo-service-secret"
    assert by_id["demo-service"].access_token_format == "jwt"
    assert by_id["demo-service-opaque"].access_token_format == "opaque"
    # demo-web with opaque access tokens, one with ES256 ID Tokens too
    for client_id in ("demo-web-opaque", "demo-web-opaque-es256"):
        assert by_id[client_id].access_token_format == "opaque"
        assert by_id[client_id].grant_types == by_id["demo-web"].grant_types
        assert by_id[client_id].redirect_uris == by_id["demo-web"].redirect_uris
    algorithms = (by_id["demo-web-opaque"].id_token_alg, by_id["demo-web-opaque-es256"].id_token_alg)
    assert algorithms == ("RS256", "ES256")
    for client_id in ("demo-web", "demo-spa", "demo-partner", "demo-web-opaque", "demo-web-opaque-es256"):
        assert set(by_id[client_id].scopes) == {"openid", "profile", "snils", "frmr", "offline_access"}
    # the demo operator's own hospital apps are first-party; the partner app is asked for consent
    assert [s.client_id for s in DEMO_CLIENTS if s.first_party] == ["demo-web", "demo-spa"]
    assert by_id["demo-partner"].redirect_uris == ("http://127.0.0.1:9997/callback",)
    assert all(spec.problems() == [] for spec in DEMO_CLIENTS)


def test_yaml_file_with_plain_and_hashed_secrets(tmp_path: Path) -> None:
    hashed = hash_secret("pre-hashed-secret")
    path = tmp_path / "clients.yaml"
    path.write_text(
        "clients:\n"
        "  - client_id: emr\n    name: EMR\n    secret: a-long-enough-secret\n"
        "    redirect_uris: [https://emr.example/cb]\n    scopes: openid profile\n"
        f"  - client_id: lab\n    name: Lab\n    secret_hash: '{hashed}'\n"
        "    grant_types: [client_credentials]\n    scopes: [frmr]\n",
        encoding="utf-8",
    )
    emr, lab = read_clients_file(path)
    assert emr.scopes == ("openid", "profile")
    assert lab.secret_hash == hashed
    assert lab.secret is None


def test_yaml_refresh_policy_per_client(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "- {client_id: emr, name: EMR, secret: a-long-enough-secret, redirect_uris: [https://emr.example/cb],\n"
        "   grant_types: [authorization_code, refresh_token], refresh_rotation: false, refresh_grace: 60}\n"
        "- {client_id: app, name: App, public: true, redirect_uris: [https://app.example/cb]}\n",
        encoding="utf-8",
    )
    emr, app = read_clients_file(path)
    record = emr.to_record("scrypt$hash")
    assert (record.refresh_rotation, record.refresh_grace) == (False, 60)
    assert (app.refresh_rotation, app.refresh_grace) == (True, 5)  # the defaults
    path.write_text(
        "- {client_id: emr, name: EMR, secret: a-long-enough-secret, redirect_uris: [https://emr.example/cb],\n"
        "   refresh_rotation: 'no', refresh_grace: '5'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ClientSpecError) as caught:
        read_clients_file(path)
    assert "refresh_rotation: must be true or false" in str(caught.value)
    assert "refresh_grace: must be a whole number" in str(caught.value)


def test_yaml_access_token_format_per_client(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "- {client_id: rp, name: RP, secret: a-long-enough-secret, grant_types: [client_credentials],\n"
        "   access_token_format: opaque}\n"
        "- {client_id: rs, name: RS, secret: another-long-secret, grant_types: [client_credentials]}\n",
        encoding="utf-8",
    )
    rp, rs = read_clients_file(path)
    assert rp.to_record("scrypt$hash").access_token_format == "opaque"
    assert rs.to_record("scrypt$hash").access_token_format == "jwt"  # the default
    path.write_text("- {client_id: rp, name: RP, public: true, redirect_uris: [https://rp.example/cb],\n"
                    "   access_token_format: JWT}\n", encoding="utf-8")
    with pytest.raises(ClientSpecError) as caught:
        read_clients_file(path)
    assert "client 'rp': access_token_format: must be one of jwt, opaque" in str(caught.value)


def test_yaml_may_be_a_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text("- {client_id: spa, name: SPA, public: true, redirect_uris: [https://spa/cb]}\n")
    (spa,) = read_clients_file(path)
    assert spa.public


def test_yaml_errors_name_every_bad_client_and_field(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "- client_id: emr\n  name: EMR\n  secret: short\n  redirect_uris: [https://emr/cb]\n"
        "- client_id: lab\n  name: Lab\n  public: 'yes'\n  colour: blue\n"
        "- client_id: emr\n  name: Again\n  public: true\n  redirect_uris: [https://emr/cb]\n"
        "- just a string\n"
        "- name: No id\n  public: true\n",
    )
    with pytest.raises(ClientSpecError) as caught:
        read_clients_file(path)
    message = str(caught.value)
    assert message.startswith(f"clients file {path}: ")
    assert "client 'emr': secret: must be at least 12 characters" in message
    assert "client 'lab': public: must be true or false" in message
    assert "client 'lab': colour: unknown field" in message
    assert "client 'emr': client_id: appears more than once" in message
    assert "client #4: must be a mapping of fields" in message
    assert "client '#5': client_id: is required" in message
    assert "short" not in message  # the secret itself is never echoed


@pytest.mark.parametrize("content", ["{clients: 3}", "just text", "a: [unclosed"])
def test_yaml_of_the_wrong_shape_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(content)
    with pytest.raises(ClientSpecError, match="clients file"):
        read_clients_file(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClientSpecError, match="cannot be read"):
        read_clients_file(tmp_path / "absent.yaml")


def _fields(spec: ClientSpec) -> dict[str, object]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


@pytest.mark.parametrize("scope", ["account.sessions", "frmr.documents"])
def test_first_party_scopes_only_for_a_first_party_client(scope: str) -> None:
    asking = replace(WEB, scopes=("openid", scope))
    assert asking.problems() == [f"client 'emr': scopes: {scope} only for a client with first_party: true"]
    assert replace(asking, first_party=True).problems() == []


def test_a_public_first_party_client_never_holds_the_first_party_scopes() -> None:
    spa = ClientSpec(client_id="spa", name="SPA", public=True, redirect_uris=("https://spa.example/cb",))
    assert replace(spa, first_party=True).problems() == []  # no consent page: the operator vouches for it
    assert replace(spa, first_party=True, scopes=("openid", "account.sessions")).problems() == [
        "client 'spa': scopes: account.sessions only for a confidential first-party client"
    ]


def test_first_party_reads_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        "- {client_id: cab, name: Cabinet, secret: a-long-enough-secret, first_party: true,\n"
        "   redirect_uris: [https://cab.example/cb], scopes: [openid, account.sessions]}\n",
        encoding="utf-8",
    )
    [spec] = read_clients_file(path)
    assert spec.first_party
    assert spec.to_record("hash").first_party


@pytest.mark.parametrize(
    "secret", ["demo-web-secret", "demo-service-secret", "demo-partner-secret", "frmr-cabinet-demo-secret"]
)
def test_production_refuses_a_published_demo_secret(tmp_path: Path, secret: str) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(f"- {{client_id: svc, name: Svc, secret: {secret}, grant_types: [client_credentials]}}\n")
    assert read_clients_file(path)[0].secret == secret  # the demo accepts it
    with pytest.raises(ClientSpecError) as caught:
        read_clients_file(path, production=True)
    assert "client 'svc': secret: is a published demo secret" in str(caught.value)
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [("http://evil.example/cb", False), ("http://10.0.0.5/cb", False), ("https://emr.example/cb", True),
     ("http://127.0.0.1:5000/cb", True), ("http://[::1]:5000/cb", True), ("http://localhost/cb", True),
     ("ru.hospital.app:/cb", True)],
)
def test_production_allows_plain_http_redirects_only_to_loopback(uri: str, allowed: bool) -> None:
    for spec in (
        ClientSpec(client_id="spa", name="SPA", public=True, redirect_uris=(uri,)),
        ClientSpec(client_id="web", name="Web", secret="a-long-enough-secret",
                   redirect_uris=("https://web.example/cb",), post_logout_redirect_uris=(uri,)),
    ):
        assert spec.problems() == []
        problems = production_problems(spec)
        assert (problems == []) == allowed, problems
        if not allowed:
            assert "must be https (plain http only to a loopback address)" in problems[0]
