"""A private key on a PKCS#11 token or HSM (``python-pkcs11``): where it is and how to log in.

One shape serves both signers that can use a token: the ESIA ``client_secret`` (an upstreams
entry's ``signer: {kind: pkcs11, …}``) and the statements (``FRMR_SSO_STATEMENT_SIGNER``).

    {kind: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token_label: frmr, key_label: esia,
     pin_file: /run/secrets/token-pin}          # or pin_env: NAME of an environment variable

The PIN never sits in the file itself: ``pin_env`` names the environment variable that holds it,
``pin_file`` a file whose first line it is. Errors are ``ValueError`` naming the field, never the PIN.
A process loads one PKCS#11 module (``python-pkcs11`` keeps it initialised for the process).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Pkcs11Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pkcs11"]
    module: Path
    token_label: str = Field(min_length=1, max_length=32)
    key_label: str = Field(min_length=1)
    pin_env: str | None = None
    pin_file: Path | None = None
    # CKM_SHA256_RSA_PKCS; python-pkcs11 has no GOST R 34.10-2012 mechanism (a GOST token signs
    # through the ``command`` signer and its vendor's tool)
    mechanism: Literal["rsa-sha256"] = "rsa-sha256"
    # statements only: the certificate of the key, on the token (its label) or in a PEM/DER file
    cert_label: str | None = None
    certificate_file: Path | None = None

    @model_validator(mode="after")
    def _one_pin(self) -> Pkcs11Config:
        if self.pin_env is not None and self.pin_file is not None:
            raise ValueError("give at most one of pin_env and pin_file")
        return self

    def path(self, value: Path, base_dir: Path) -> Path:
        return value if value.is_absolute() else base_dir / value

    def pin(self, base_dir: Path = Path()) -> str | None:
        """The user PIN (None: the token needs none, or asks for it on its own)."""
        if self.pin_env is not None:
            value = os.environ.get(self.pin_env)
            if not value:
                raise ValueError(f"pin_env: {self.pin_env} is not set")
            return value
        if self.pin_file is not None:
            full = self.path(self.pin_file, base_dir)
            try:
                lines = full.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                raise ValueError(f"pin_file: cannot read {full}") from None
            if not lines or not lines[0].strip():
                raise ValueError(f"pin_file: {full} is empty")
            return lines[0].strip()
        return None


def load_module(config: Pkcs11Config, base_dir: Path) -> Any:
    """The initialised PKCS#11 library of ``module``; ValueError naming the field when it fails."""
    import pkcs11

    full = config.path(config.module, base_dir)
    if not full.is_file():
        raise ValueError(f"module: {full} is not a file (the token's PKCS#11 library)")
    try:
        return pkcs11.lib(str(full))
    except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
        raise ValueError(f"module: {full} cannot be loaded ({type(exc).__name__})") from None


class TokenKey:
    """One logged-in session and the private key in it; signs under a lock (one call at a time)."""

    def __init__(self, config: Pkcs11Config, base_dir: Path = Path()) -> None:
        import pkcs11

        self.config = config
        lib = load_module(config, base_dir)
        pin = config.pin(base_dir)
        try:
            token = lib.get_token(token_label=config.token_label)
        except (pkcs11.NoSuchToken, pkcs11.MultipleTokensReturned):
            raise ValueError(f"token_label: no single token labelled {config.token_label!r}") from None
        try:
            self._session = token.open(user_pin=pin)
        except pkcs11.UserAlreadyLoggedIn:  # the login is the process's: another session of ours made it
            self._session = token.open()
        except pkcs11.PKCS11Error as exc:
            raise ValueError(f"pin: the token refused the login ({type(exc).__name__})") from None
        try:
            self._key = self._session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=config.key_label
            )
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned):
            self._session.close()
            raise ValueError(f"key_label: no single private key labelled {config.key_label!r}") from None
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        return self._session

    def sign(self, data: bytes) -> bytes:
        import pkcs11

        with self._lock:
            return bytes(self._key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS))

    def close(self) -> None:
        self._session.close()
