"""The ``client_secret`` signer an ESIA entry names, loaded from its key material.

``rsa``: a PEM private key file (PKCS#1 or PKCS#8), optionally encrypted with
the password in the environment variable ``password_env``. ``gost``: the
32-byte private scalar as 64 hex characters, in a file or inline (``key_hex``),
on the named curve. ``command``: a program signs (``command_signer``: a
certified provider's tool, OpenSSL's GOST engine). ``pkcs11``: a key on a token
or HSM (``security.pkcs11``). Errors are ``ValueError`` naming the field, never
the key.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from frmr_sso.jose.gost import DEFAULT_GOST_CURVE, gost_curve
from frmr_sso.security.pkcs11 import Pkcs11Config
from frmr_sso.upstream.command_signer import IN, OUT, CommandSecretSigner
from frmr_sso.upstream.esia_signer import ClientSecretSigner, GostSecretSigner, RsaSecretSigner
from frmr_sso.upstream.pkcs11_signer import Pkcs11SecretSigner


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


class CommandSignerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["command"]
    argv: list[str] = Field(min_length=1)
    timeout: float = Field(default=10.0, gt=0, le=120)
    output: Literal["raw", "base64", "cms"] = "raw"
    reverse: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    signature_file: str | None = Field(default=None, pattern=r"^\{(in|dir)\}")

    @field_validator("argv")
    @classmethod
    def _program(cls, value: list[str]) -> list[str]:
        if not value[0].strip() or IN in value[0] or OUT in value[0]:
            raise ValueError("the first item is the program to run")
        if any(arg.count(IN) > 1 or arg.count(OUT) > 1 for arg in value):
            raise ValueError("{in} and {out} stand at most once in an item")
        return value


SignerConfig = RsaSignerConfig | GostSignerConfig | CommandSignerConfig | Pkcs11Config


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


def load_command_signer(config: CommandSignerConfig, base_dir: Path, connector: str) -> CommandSecretSigner:
    """A program named with a ``/`` is read from the YAML file's directory when relative; a bare name
    is looked up on PATH now, so a missing tool stops the start instead of every login."""
    program = config.argv[0]
    if "/" in program:
        full = Path(program) if Path(program).is_absolute() else base_dir / program
        if not full.is_file():
            raise ValueError(f"signer.argv: {full} is not a file")
        program = str(full)
    elif shutil.which(program) is None:
        raise ValueError(f"signer.argv: {program} is not on PATH")
    return CommandSecretSigner(
        [program, *config.argv[1:]], timeout=config.timeout, output=config.output, reverse=config.reverse,
        env=config.env, signature_file=config.signature_file, connector=connector,
    )


def load_signer(config: SignerConfig, base_dir: Path, *, connector: str = "") -> ClientSecretSigner:
    if config.kind == "rsa":
        return load_rsa_signer(config, base_dir)
    if config.kind == "gost":
        return load_gost_signer(config, base_dir)
    if config.kind == "command":
        return load_command_signer(config, base_dir, connector)
    try:
        return Pkcs11SecretSigner.open(config, base_dir, connector=connector)
    except ValueError as exc:
        raise ValueError(f"signer.{exc}") from None
