"""A GOST private key for OpenSSL's GOST engine, made from a ``GostSecretSigner``'s scalar.

The PKCS#8 ``PrivateKeyInfo`` of RFC 9215: the gost2012_256 algorithm with its parameter set and
Streebog-256, the key an OCTET STRING of the scalar in little-endian. The same scalar in
``GostSecretSigner`` and in the engine gives the same public key, so a mock ESIA client registered
with one accepts the other's signatures.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import core

from frmr_sso.jose.gost_openssl import CURVE_OIDS, GOST2012_256, STREEBOG256, _sequence, pem
from frmr_sso.upstream.esia_signer import GostSecretSigner


def gost_engine_or_skip() -> None:
    """Skip when Debian's libengine-gost-openssl (or the openssl command) is absent."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    done = subprocess.run(["openssl", "engine", "gost", "-t"], capture_output=True, check=False)
    if done.returncode != 0 or b"available" not in done.stdout:
        pytest.skip("OpenSSL's GOST engine (Debian libengine-gost-openssl) is not installed")


def engine_key_pem(signer: GostSecretSigner) -> bytes:
    oid = core.ObjectIdentifier
    params = _sequence(oid(CURVE_OIDS[signer.curve]).dump(), oid(STREEBOG256).dump())
    algorithm = _sequence(oid(GOST2012_256).dump(), params)
    scalar = bytes.fromhex(signer.private_key_hex())[::-1]
    key = core.OctetString(core.OctetString(scalar).dump()).dump()
    return pem(_sequence(core.Integer(0).dump(), algorithm, key), "PRIVATE KEY")


def write_engine_key(signer: GostSecretSigner, directory: Path) -> Path:
    path = directory / "esia-gost.pem"
    path.write_bytes(engine_key_pem(signer))
    path.chmod(0o600)
    return path


def openssl_sign_argv(key: Path) -> list[str]:
    """``openssl dgst`` with the GOST engine: the data on stdin, the raw ``s || r`` on stdout."""
    return ["openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-sign", str(key)]


__all__ = ["engine_key_pem", "gost_engine_or_skip", "openssl_sign_argv", "write_engine_key"]
