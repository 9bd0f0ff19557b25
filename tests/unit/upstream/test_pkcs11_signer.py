"""The ``pkcs11`` client_secret signer on a SoftHSM2 token: RSA signatures the mock ESIA accepts,
and every misconfiguration named by its setting."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from frmr_sso.config import ConfigurationError
from frmr_sso.jose import b64url_decode
from frmr_sso.security.pkcs11 import Pkcs11Config
from frmr_sso.upstream.config import parse_upstreams
from frmr_sso.upstream.esia_signer import RsaSecretSigner
from frmr_sso.upstream.signers import load_signer
from mock_esia.signature import verify_rsa
from tests.support.softhsm import SoftHsm, softhsm  # noqa: F401 - the session fixture

MESSAGE = b"FRMR01openid snils2026.12.07 13:00:00 +0300c0ffee00-0000-4000-8000-000000000000http://rp/cb"


@pytest.fixture
def token_key(softhsm: SoftHsm) -> tuple[RsaSecretSigner, Pkcs11Config]:  # noqa: F811
    key, label = RsaSecretSigner.generate(), f"esia-{uuid.uuid4().hex[:8]}"
    softhsm.import_key(label, key._key, uuid.uuid4().hex[:8])
    config = Pkcs11Config(
        kind="pkcs11", module=softhsm.module, token_label=softhsm.token, key_label=label,
        pin_file=softhsm.pin_file(),
    )
    return key, config


def test_the_token_signs_what_the_mock_esia_accepts(token_key: tuple[RsaSecretSigner, Pkcs11Config]) -> None:
    key, config = token_key
    signer = load_signer(config, Path(), connector="esia")
    assert signer.kind == "pkcs11"
    signature = b64url_decode(signer.sign(MESSAGE))
    assert verify_rsa(key.public_key_pem(), MESSAGE, signature)
    assert not verify_rsa(RsaSecretSigner.generate().public_key_pem(), MESSAGE, signature)


def test_the_pin_from_the_environment(
    token_key: tuple[RsaSecretSigner, Pkcs11Config], softhsm: SoftHsm, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    key, config = token_key
    monkeypatch.setenv("ESIA_TOKEN_PIN", softhsm.pin)
    from_env = config.model_copy(update={"pin_file": None, "pin_env": "ESIA_TOKEN_PIN"})
    signature = b64url_decode(load_signer(from_env, Path()).sign(MESSAGE))
    assert verify_rsa(key.public_key_pem(), MESSAGE, signature)


def test_each_wrong_setting_is_named(
    token_key: tuple[RsaSecretSigner, Pkcs11Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, config = token_key
    cases = {
        "signer.key_label: no single private key labelled 'absent'": {"key_label": "absent"},
        "signer.token_label: no single token labelled 'absent'": {"token_label": "absent"},
        "signer.module: ": {"module": tmp_path / "no-such-module.so"},
        "signer.pin_env: PIN_UNSET is not set": {"pin_file": None, "pin_env": "PIN_UNSET"},
        "signer.pin_file: cannot read": {"pin_file": tmp_path / "absent-pin"},
    }
    for message, change in cases.items():
        with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")):
            load_signer(config.model_copy(update=change), Path())


def test_the_upstreams_file_refuses_an_incomplete_entry() -> None:
    entry = {
        "name": "esia", "type": "esia", "base_url": "https://esia.test", "issuer": "https://esia.test/",
        "client_id": "FRMR01", "certificate_hash": "A" * 64,
        "signer": {"kind": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "t"},
    }
    with pytest.raises(ConfigurationError, match=r"upstreams\[0\] 'esia': signer\.key_label: Field required"):
        parse_upstreams([entry])
    both = {**entry, "signer": {**entry["signer"], "key_label": "k", "pin_env": "A", "pin_file": "b"}}  # type: ignore[dict-item]
    with pytest.raises(ConfigurationError, match="at most one of pin_env and pin_file"):
        parse_upstreams([both])
