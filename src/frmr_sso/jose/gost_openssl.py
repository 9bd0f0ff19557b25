"""GOST R 34.10-2012 (256 bit) verification through OpenSSL's GOST engine, run as the ``openssl`` command.

The pure-Python path (``jose.gost``) takes tens of milliseconds per signature; the engine (Debian
``libengine-gost-openssl``) checks one in a few, and the process boundary keeps a third-party C
module out of the broker. Each check writes the public key (a SubjectPublicKeyInfo, RFC 4491 /
RFC 9215) and the signature into a private temporary directory and runs::

    openssl dgst -engine gost -md_gost12_256 -verify key.pem -signature sig.bin   (data on stdin)

The engine reads the digest and the ``s || r`` signature in the byte order ``jose.gost`` documents,
so the two paths accept the same signatures. ``verify`` answers True or False only when OpenSSL
said "Verified OK" or "Verification failure"; anything else (no engine, a timeout, a crash) is None,
and the caller falls back to the pure-Python path. ``probe`` is the known-answer check at start.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from asn1crypto import core

from frmr_sso.jose.gost import GOST_SIZE

GOST2012_256 = "1.2.643.7.1.1.1.1"
STREEBOG256 = "1.2.643.7.1.1.2.2"
# gostcrypto's curve names → the parameter-set OIDs the engine knows (TC26 B, C, D are CryptoPro A, B, C).
CURVE_OIDS = {
    "id-tc26-gost-3410-2012-256-paramSetA": "1.2.643.7.1.2.1.1.1",
    "id-tc26-gost-3410-2012-256-paramSetB": "1.2.643.2.2.35.1",
    "id-tc26-gost-3410-2012-256-paramSetC": "1.2.643.2.2.35.2",
    "id-tc26-gost-3410-2012-256-paramSetD": "1.2.643.2.2.35.3",
}
VERIFIED, FAILED = b"Verified OK", b"Verification failure"
# A known answer (paramSetB): the engine must accept it and refuse it with one bit changed.
_PROBE_POINT = bytes.fromhex(
    "3e3350c3b9c74daa0316bb9b10a9beea18a027cfcf47a70f16fd94a2cc5e661b"
    "2ed5e638512a854183b967edf37f5983fe7ad5869ff3e4f2c4422b45ada78f93"
)
_PROBE_SIGNATURE = bytes.fromhex(
    "3f6000b9c4ab46558ab6c42fc48e99cc3c562b3ab5dcef94d23c6b313327ba6d"
    "fc0da895c4fb62a65729f91e00be3b73ccb037be19ea8bb1ec9e594f81e6e638"
)


def subject_public_key_info(point: bytes, curve_name: str) -> bytes:
    """DER SubjectPublicKeyInfo of ``X || Y`` (big-endian halves) on the named curve.

    RFC 4491 §2.3.2: the key is an OCTET STRING of X then Y, each little-endian.
    """
    if len(point) != 2 * GOST_SIZE or curve_name not in CURVE_OIDS:
        raise ValueError("not a 256-bit GOST key on a curve the engine knows")
    oid = core.ObjectIdentifier
    params = _sequence(oid(CURVE_OIDS[curve_name]).dump(), oid(STREEBOG256).dump())
    algorithm = _sequence(oid(GOST2012_256).dump(), params)
    key = core.OctetString(point[:GOST_SIZE][::-1] + point[GOST_SIZE:][::-1]).dump()
    return _sequence(algorithm, _tlv(0x03, b"\x00" + key))


def pem(der: bytes, label: str = "PUBLIC KEY") -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode(), b""])


class OpenSslGost:
    """GOST checks by the ``openssl`` command with the ``gost`` engine."""

    def __init__(self, binary: str = "openssl", *, timeout: float = 5.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def _argv(self, key: Path, signature: Path) -> list[str]:
        return [
            self.binary, "dgst", "-engine", "gost", "-md_gost12_256",
            "-verify", str(key), "-signature", str(signature),
        ]

    def verify_sync(self, point: bytes, curve_name: str, data: bytes, signature: bytes) -> bool | None:
        try:
            spki = subject_public_key_info(point, curve_name)
        except ValueError:
            return None
        with tempfile.TemporaryDirectory(prefix="frmr-gost-") as tmp:
            key, sig = _write(Path(tmp), spki, signature)
            try:
                done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
                    self._argv(key, sig), input=data, capture_output=True, timeout=self.timeout, check=False
                )
            except (OSError, subprocess.TimeoutExpired):
                return None
            return _answer(done.returncode, done.stdout)

    async def verify(self, point: bytes, curve_name: str, data: bytes, signature: bytes) -> bool | None:
        """True / False as OpenSSL answered; None when it could not answer (fall back)."""
        try:
            spki = subject_public_key_info(point, curve_name)
        except ValueError:
            return None
        with tempfile.TemporaryDirectory(prefix="frmr-gost-") as tmp:
            key, sig = _write(Path(tmp), spki, signature)
            try:
                process = await asyncio.create_subprocess_exec(
                    *self._argv(key, sig),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                )
            except OSError:
                return None
            try:
                stdout, _ = await asyncio.wait_for(process.communicate(data), self.timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
                return None
            return _answer(process.returncode, stdout)

    def probe(self) -> str | None:
        """None when the engine verifies the known answer and refuses a changed one; else why not."""
        curve = "id-tc26-gost-3410-2012-256-paramSetB"
        good = self.verify_sync(_PROBE_POINT, curve, b"hello", _PROBE_SIGNATURE)
        if good is None:
            return f"{self.binary} with the gost engine did not answer (is libengine-gost-openssl installed?)"
        bad = self.verify_sync(_PROBE_POINT, curve, b"hellO", _PROBE_SIGNATURE)
        if good is not True or bad is not False:
            return f"{self.binary} with the gost engine gave a wrong answer to the known-answer test"
        return None


def _write(directory: Path, spki: bytes, signature: bytes) -> tuple[Path, Path]:
    key, sig = directory / "key.pem", directory / "sig.bin"
    key.write_bytes(pem(spki))
    sig.write_bytes(signature)
    os.chmod(directory, 0o700)
    return key, sig


def _answer(returncode: int | None, stdout: bytes) -> bool | None:
    if returncode == 0 and VERIFIED in stdout:
        return True
    if FAILED in stdout:
        return False
    return None


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _length(len(body)) + body


def _sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))
