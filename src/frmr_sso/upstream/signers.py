"""The ``client_secret`` signer an ESIA entry names, loaded from its key material.

``rsa``: a PEM private key file (PKCS#1 or PKCS#8), optionally encrypted with
the password in the environment variable ``password_env``. ``gost``: the
32-byte private scalar as 64 hex characters, in a file or inline (``key_hex``),
on the named curve. Errors are ``ValueError`` naming the field, never the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from frmr_sso.jose.gost import DEFAULT_GOST_CURVE, gost_curve
from frmr_sso.upstream.esia_signer import ClientSecretSigner, GostSecretSigner, RsaSecretSigner


class RsaSignerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rsa"]
    key_file: Path
    password_env: str | None = None


class GostSignerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["gost"]
    key_file: Path | None = None
    key_hex: SecretStr | None = None
    curve: str = DEFAULT_GOST_CURVE

    @model_validator(mode="after")
    def _one_key(self) -> GostSignerConfig:
        if (self.key_file is None) == (self.key_hex is None):
            raise ValueError("give exactly one of key_file and key_hex")
        gost_curve(self.curve)
        return self


def _read(path: Path, base_dir: Path) -> bytes:
    full = path if path.is_absolute() else base_dir / path
    try:
        return full.read_bytes()
    except OSError as exc:
        raise ValueError(f"signer.key_file: cannot read {full} ({exc.strerror or exc})") from None


def load_rsa_signer(config: RsaSignerConfig, base_dir: Path) -> RsaSecretSigner:
    password: bytes | None = None
    if config.password_env is not None:
        value = os.environ.get(config.password_env)
        if not value:
            raise ValueError(f"signer.password_env: {config.password_env} is not set")
        password = value.encode()
    pem = _read(config.key_file, base_dir)
    try:
        return RsaSecretSigner.from_pem(pem, password=password)
    except (ValueError, TypeError):
        raise ValueError("signer.key_file: not an RSA private key in PEM (or a wrong password)") from None


def load_gost_signer(config: GostSignerConfig, base_dir: Path) -> GostSecretSigner:
    if config.key_hex is not None:
        field, text = "signer.key_hex", config.key_hex.get_secret_value()
    else:
        assert config.key_file is not None  # the config model requires one of the two
        field, text = "signer.key_file", _read(config.key_file, base_dir).decode("ascii", "replace")
    try:
        key = bytes.fromhex(text.strip())
        return GostSecretSigner(key, curve=config.curve)
    except ValueError:
        raise ValueError(f"{field}: a GOST private key is 64 hex characters, between 1 and q - 1") from None


def load_signer(config: RsaSignerConfig | GostSignerConfig, base_dir: Path) -> ClientSecretSigner:
    if config.kind == "rsa":
        return load_rsa_signer(config, base_dir)
    return load_gost_signer(config, base_dir)
