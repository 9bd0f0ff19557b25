"""A SoftHSM2 token for the PKCS#11 signers, in a test session's temporary directory.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the process first loads it, and ``python-pkcs11`` keeps the
module loaded for the process, so one token serves the whole session (``SOFTHSM2_CONF`` is set for
it). Keys are imported with Debian's ``softhsm2-util`` from PKCS#8 files; a certificate is put
beside a key with ``python-pkcs11``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN, SO_PIN = "frmr-test", "4711-0815", "so-4711-0815"


@dataclass(frozen=True)
class SoftHsm:
    directory: Path
    conf: Path
    module: Path = MODULE
    token: str = TOKEN
    pin: str = PIN

    def import_key(self, label: str, key: rsa.RSAPrivateKey, key_id: str) -> None:
        pkcs8 = self.directory / f"{label}.p8"
        pkcs8.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self._util("--import", str(pkcs8), "--token", self.token, "--label", label, "--id", key_id,
                   "--pin", self.pin)
        pkcs8.unlink()

    def put_certificate(self, label: str, certificate: x509.Certificate, key_id: str) -> None:
        import pkcs11
        from pkcs11.util.x509 import decode_x509_certificate

        token = pkcs11.lib(str(self.module)).get_token(token_label=self.token)
        der = certificate.public_bytes(serialization.Encoding.DER)
        try:
            session = token.open(user_pin=self.pin, rw=True)
        except pkcs11.UserAlreadyLoggedIn:  # this process's signers logged in already
            session = token.open(rw=True)
        with session:
            attributes = decode_x509_certificate(der)
            attributes.update({pkcs11.Attribute.TOKEN: True, pkcs11.Attribute.LABEL: label,
                               pkcs11.Attribute.ID: bytes.fromhex(key_id)})
            session.create_object(attributes)

    def pin_file(self) -> Path:
        path = self.directory / "pin"
        path.write_text(self.pin + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    def _util(self, *args: str) -> None:
        env = os.environ | {"SOFTHSM2_CONF": str(self.conf)}
        done = subprocess.run(["softhsm2-util", *args], capture_output=True, env=env, check=False)
        assert done.returncode == 0, (done.stderr + done.stdout).decode(errors="replace")


def softhsm_or_skip() -> None:
    if shutil.which("softhsm2-util") is None or not MODULE.is_file():
        pytest.skip("SoftHSM2 (Debian softhsm2) is not installed")


_PROCESS_TOKEN: list[SoftHsm] = []


def new_softhsm(directory: Path) -> SoftHsm:
    """A token ``frmr-test`` (PIN ``4711-0815``); SOFTHSM2_CONF is set for the rest of the process,
    and later calls get the same token (add keys with labels of their own)."""
    softhsm_or_skip()
    if _PROCESS_TOKEN:
        return _PROCESS_TOKEN[0]
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    hsm = SoftHsm(directory, conf)
    hsm._util("--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN)
    _PROCESS_TOKEN.append(hsm)
    return hsm


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    return new_softhsm(tmp_path_factory.mktemp("softhsm"))
