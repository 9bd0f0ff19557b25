"""FRMR_SSO_UPSTREAMS_FILE: validation messages that name the entry and field, and the built connectors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from frmr_sso.config import ConfigurationError
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.upstream.base import Connector
from frmr_sso.upstream.config import OidcEntry, build_connectors, load_upstreams, parse_upstreams
from frmr_sso.upstream.esia import EsiaConnector
from frmr_sso.upstream.esia_signer import GostSecretSigner, RsaSecretSigner
from frmr_sso.upstream.oidc import OidcConnector

GOST_KEY = GostSecretSigner.generate().private_key_hex()


def esia(**overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "esia",
        "type": "esia",
        "base_url": "https://esia-portal1.test.gosuslugi.ru",
        "issuer": "http://esia-portal1.test.gosuslugi.ru/",
        "client_id": "FRMR01",
        "certificate_hash": "ab" * 32,
        "signer": {"kind": "rsa", "key_file": "keys/esia.pem"},
    }
    return {k: v for k, v in (entry | overrides).items() if v is not None}


def oidc(**overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "partner",
        "type": "oidc",
        "issuer": "https://idp.example",
        "client_id": "frmr",
        "client_secret": "s3cret",
        "claims": {"snils": "snils", "trusted": "verified"},
    }
    return {k: v for k, v in (entry | overrides).items() if v is not None}


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "esia.pem").write_bytes(RsaSecretSigner.generate().private_key_pem())
    (tmp_path / "keys" / "gost.hex").write_text(GOST_KEY + "\n")
    return tmp_path


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def write(directory: Path, data: Any) -> Path:
    path = directory / "upstreams.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def problem(data: Any, base_dir: Path = Path()) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse_upstreams(data, base_dir=base_dir)
    return str(caught.value)


async def test_builds_connectors_esia_first(keys_dir: Path, http: httpx.AsyncClient) -> None:
    path = write(
        keys_dir,
        [
            oidc(),
            esia(access_type="offline", scopes="openid fullname snils", timeout={"connect": 1, "read": 3}),
            esia(
                name="esia-gost",
                signer={"kind": "gost", "key_file": "keys/gost.hex"},
                breaker={"failures": 2},
            ),
        ],
    )
    config = load_upstreams(path)
    cipher = FieldCipher("x" * 40, purpose="upstream-tokens")
    connectors = build_connectors(config, http, cipher)
    assert list(connectors) == ["esia", "esia-gost", "partner"]
    assert all(isinstance(c, Connector) for c in connectors.values())
    first, gost, partner = connectors.values()
    assert isinstance(first, EsiaConnector)
    assert isinstance(gost, EsiaConnector)
    assert isinstance(partner, OidcConnector)
    assert first.options.scopes == ("openid", "fullname", "snils")
    assert first.options.certificate_hash == "AB" * 32
    assert first.options.access_type == "offline"
    assert (first.display_name, partner.display_name) == ("Госуслуги", "partner")
    assert gost.breaker.failure_threshold == 2
    assert partner.options.claims.trusted == "verified"
    assert "s3cret" not in repr(partner.options)


def test_mapping_form_and_empty_file(keys_dir: Path) -> None:
    assert parse_upstreams({"upstreams": [esia()]}, base_dir=keys_dir).upstreams[0].name == "esia"
    assert parse_upstreams(None).upstreams == []
    assert parse_upstreams({"upstreams": None}).upstreams == []


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([esia(certificate_hash="XYZ")], "upstreams[0] 'esia': certificate_hash"),
        ([esia(client_id=None)], "upstreams[0] 'esia': client_id: Field required"),
        ([esia(signer={"kind": "dsa"})], "upstreams[0] 'esia': signer"),
        (
            [esia(signer={"kind": "gost", "key_hex": GOST_KEY, "key_file": "k"})],
            "exactly one of key_file and key_hex",
        ),
        ([esia(signer={"kind": "gost", "key_hex": GOST_KEY, "curve": "nope"})], "unknown GOST curve"),
        (
            [esia(scopes="openid fullname")],
            "upstreams[0] 'esia': scopes: Value error, ESIA scopes must include",
        ),
        ([esia(access_type="forever")], "upstreams[0] 'esia': access_type"),
        ([esia(skew=3600)], "upstreams[0] 'esia': skew"),
        ([esia(algorithms=["HS256"])], "upstreams[0] 'esia': algorithms.0"),
        ([esia(bogus=1)], "upstreams[0] 'esia': bogus: Extra inputs are not permitted"),
        ([esia(name="Bad Name")], "upstreams[0] 'Bad Name': name"),
        ([esia(), oidc(type="saml")], "upstreams[1] 'partner'"),
        ([esia(), oidc(scopes=["profile"])], "upstreams[1] 'partner': scopes"),
        ([esia(), oidc(client_secret=None)], "exactly one of client_secret and client_secret_env"),
        ([esia(), oidc(issuer="idp.example")], "upstreams[1] 'partner': issuer"),
        ([oidc(trusted=True)], "either trusted: true or claims.trusted"),
        ([oidc(trusted="yes please")], "upstreams[0] 'partner': trusted"),
        ([esia(), esia()], "connector names must be unique: esia"),
        ([{"type": "esia"}], "upstreams[0]: name: Field required"),
        (["text"], "upstreams[0]"),
    ],
)
def test_validation_names_entry_and_field(entries: list[Any], expected: str) -> None:
    message = problem(entries)
    assert expected in message, message
    assert "s3cret" not in message
    assert GOST_KEY not in message


def test_an_oidc_provider_is_trusted_only_when_the_operator_says_so() -> None:
    def mapping(**overrides: Any) -> Any:
        [entry] = parse_upstreams([oidc(**overrides)]).upstreams
        assert isinstance(entry, OidcEntry)
        return entry.options().claims

    assert mapping(claims={"snils": "snils"}).provider_trusted is False
    assert mapping(claims={"snils": "snils"}, trusted=True).provider_trusted is True
    assert (mapping().trusted, mapping().provider_trusted) == ("verified", False)


def test_not_a_list() -> None:
    assert "expected a list" in problem({"upstreams": "esia"})


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_upstreams(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("- [unclosed")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_upstreams(tmp_path / "bad.yaml")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            esia(signer={"kind": "rsa", "key_file": "keys/missing.pem"}),
            "upstreams[0] 'esia': signer.key_file: cannot read",
        ),
        (
            esia(signer={"kind": "rsa", "key_file": "keys/gost.hex"}),
            "signer.key_file: not an RSA private key",
        ),
        (
            esia(signer={"kind": "rsa", "key_file": "keys/esia.pem", "password_env": "FRMR_TEST_UNSET_PW"}),
            "signer.password_env: FRMR_TEST_UNSET_PW is not set",
        ),
        (esia(signer={"kind": "gost", "key_hex": "00" * 32}), "signer.key_hex: a GOST private key"),
        (esia(signer={"kind": "gost", "key_hex": "zz"}), "signer.key_hex"),
        (esia(access_type="offline"), "access_type: offline needs the upstream-token cipher"),
        (
            oidc(client_secret=None, client_secret_env="FRMR_TEST_UNSET_SECRET"),
            "FRMR_TEST_UNSET_SECRET is not set",
        ),
    ],
)
async def test_build_errors_name_entry_and_field(
    keys_dir: Path, http: httpx.AsyncClient, entry: dict[str, Any], expected: str
) -> None:
    config = load_upstreams(write(keys_dir, [entry]))
    with pytest.raises(ConfigurationError) as caught:
        build_connectors(config, http, None)
    assert expected in str(caught.value), str(caught.value)


async def test_secret_from_the_environment(
    keys_dir: Path, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRMR_TEST_PARTNER_SECRET", "from-env")
    config = load_upstreams(
        write(keys_dir, [oidc(client_secret=None, client_secret_env="FRMR_TEST_PARTNER_SECRET")])
    )
    partner = build_connectors(config, http, None)["partner"]
    assert isinstance(partner, OidcConnector)
    assert partner.options.client_secret == "from-env"
