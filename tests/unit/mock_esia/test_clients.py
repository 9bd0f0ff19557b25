"""The client registry: YAML loading, key files, validation and run-time registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from frmr_sso.upstream.esia_signer import GostSecretSigner, RsaSecretSigner
from mock_esia.clients import ESIA_SCOPES, ClientRegistry, RegisteredClient, client_from_dict
from mock_esia.config import DATA_DIR

CERT = "0123456789ABCDEF" * 4


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clients.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_demo_client_has_no_key_until_registered() -> None:
    registry = ClientRegistry.from_yaml(DATA_DIR / "clients.yaml")
    client = registry.get("FRMR01")
    assert client is not None
    assert client.public_key is None
    assert client.signature == "rsa"
    assert client.require_trusted
    assert client.active
    assert "http://127.0.0.1:8000/callback/esia" in client.redirect_uris
    assert {"openid", "fullname", "snils", "id_doc"} <= client.scopes
    assert client.grant_types == {"authorization_code", "refresh_token"}
    pem = RsaSecretSigner.generate().public_key_pem()
    registry.register(client.with_key(pem))
    registered = registry.get("FRMR01")
    assert registered is not None
    assert registered.public_key == pem
    assert registered.redirect_uris == client.redirect_uris
    assert len(registry) == 1


def test_unknown_client_is_none() -> None:
    assert ClientRegistry().get("NOPE") is None


def test_key_from_a_file_relative_to_the_yaml(tmp_path: Path) -> None:
    pem = RsaSecretSigner.generate().public_key_pem()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "a.pem").write_text(pem, encoding="ascii")
    path = _write(
        tmp_path,
        f"""
clients:
  - client_id: A
    redirect_uris: [http://a/cb]
    certificate_hash: {CERT}
    public_key: keys/a.pem
  - client_id: B
    redirect_uris: [http://b/cb]
    certificate_hash: {CERT}
    public_key: keys/missing.pem
""",
    )
    registry = ClientRegistry.from_yaml(path)
    a, b = registry.get("A"), registry.get("B")
    assert a is not None
    assert a.public_key == pem.strip()
    assert b is not None
    assert b.public_key is None


def test_inline_gost_key_and_fields(tmp_path: Path) -> None:
    gost_key = GostSecretSigner.generate().public_key_hex()
    path = _write(
        tmp_path,
        f"""
clients:
  - client_id: G
    redirect_uris: [http://g/cb]
    certificate_hash: {CERT}
    signature: gost
    public_key: "{gost_key}"
    scopes: openid fullname
    grant_types: [authorization_code]
    require_trusted: false
    active: false
""",
    )
    client = ClientRegistry.from_yaml(path).get("G")
    assert client is not None
    assert client.signature == "gost"
    assert client.public_key == gost_key
    assert client.scopes == {"openid", "fullname"}
    assert not client.allows_grant("refresh_token")
    assert client.allows_grant("authorization_code")
    assert not client.require_trusted
    assert not client.active


def test_later_files_replace_earlier_clients(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        f"clients:\n  - {{client_id: FRMR01, redirect_uris: ['http://x/cb'], certificate_hash: {CERT}}}\n",
        encoding="utf-8",
    )
    registry = ClientRegistry.from_yaml(DATA_DIR / "clients.yaml", extra)
    client = registry.get("FRMR01")
    assert client is not None
    assert client.redirect_uris == ("http://x/cb",)


def test_defaults() -> None:
    client = client_from_dict({"client_id": "D", "redirect_uris": ["http://d/cb"], "certificate_hash": CERT})
    assert client.scopes == ESIA_SCOPES
    assert client.require_trusted
    assert client.active
    assert client.public_key is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"certificate_hash": CERT.lower()}, "certificate_hash"),
        ({"certificate_hash": "AB"}, "certificate_hash"),
        ({"scopes": frozenset({"openid", "everything"})}, "unknown scopes"),
        ({"grant_types": frozenset({"password"})}, "unknown grant types"),
        ({"signature": "dsa"}, "rsa or gost"),
        ({"redirect_uris": ()}, "redirect_uri"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_invalid_clients_are_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"client_id": "C", "redirect_uris": ("http://c/",), "certificate_hash": CERT}
    fields.update(changes)
    with pytest.raises(ValueError, match=message):
        RegisteredClient(**fields)  # type: ignore[arg-type]
