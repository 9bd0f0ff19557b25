"""The ``command`` client_secret signer: OpenSSL's GOST engine as the command, files, failures, logs."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from frmr_sso.config import ConfigurationError
from frmr_sso.jose import b64url_decode
from frmr_sso.jose.gost import gost_curve, gost_verify_digest, streebog256
from frmr_sso.upstream.command_signer import CommandSecretSigner, SignerFailed, stderr_summary
from frmr_sso.upstream.config import parse_upstreams
from frmr_sso.upstream.esia_signer import GostSecretSigner, RsaSecretSigner
from frmr_sso.upstream.signers import CommandSignerConfig, load_signer
from mock_esia.signature import verify_gost, verify_rsa
from tests.support.gost_keys import gost_engine_or_skip, openssl_sign_argv, write_engine_key

MESSAGE = b"FRMR01openid snils2026.12.07 13:00:00 +0300c0ffee00-0000-4000-8000-000000000000http://rp/cb"


def test_openssl_gost_engine_signs_what_the_mock_esia_and_our_verifier_accept(tmp_path: Path) -> None:
    gost_engine_or_skip()
    key = GostSecretSigner.generate()
    signer = CommandSecretSigner(openssl_sign_argv(write_engine_key(key, tmp_path)))
    secret = signer.sign(MESSAGE)
    signature = b64url_decode(secret)
    assert len(signature) == 64
    assert verify_gost(key.public_key_hex(), MESSAGE, signature, key.curve)
    point = bytes.fromhex(key.public_key_hex())
    assert gost_verify_digest(point, streebog256(MESSAGE), signature, gost_curve(key.curve))
    assert not verify_gost(key.public_key_hex(), MESSAGE + b"x", signature, key.curve)


def test_files_in_and_out_and_a_reversed_signature(tmp_path: Path) -> None:
    signer = CommandSecretSigner(["cp", "{in}", "{out}"], reverse=True)
    assert signer.signature(b"\x01\x02\x03") == b"\x03\x02\x01"  # the data went to the file and back


def test_a_tool_that_names_its_output_itself(tmp_path: Path) -> None:
    """Like ``cryptcp -signf -dir {dir} … {in}``, which writes ``{in}.sgn``."""
    signer = CommandSecretSigner(["cp", "{in}", "{dir}/data.bin.sgn"], signature_file="{in}.sgn")
    assert signer.signature(b"\x05\x06") == b"\x05\x06"
    outside = CommandSecretSigner(["true", "{in}"], signature_file="{dir}/../elsewhere")
    with pytest.raises(SignerFailed, match="outside"):
        outside.sign(b"x")


def test_base64_output() -> None:
    signer = CommandSecretSigner(["base64"], output="base64")
    assert signer.signature(b"signature bytes") == b"signature bytes"


def _self_signed(tmp_path: Path) -> tuple[RsaSecretSigner, Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "esia client")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = RsaSecretSigner(key)
    (tmp_path / "key.pem").write_bytes(signer.private_key_pem())
    return signer, tmp_path / "cert.pem", tmp_path / "key.pem"


def test_a_detached_cms_like_cryptcp_writes_gives_its_signature(tmp_path: Path) -> None:
    """``openssl cms -sign -noattr``: a SignedData whose signature is over the data itself."""
    rsa_signer, cert, key = _self_signed(tmp_path)
    argv = ["openssl", "cms", "-sign", "-binary", "-noattr", "-md", "sha256", "-outform", "DER",
            "-signer", str(cert), "-inkey", str(key), "-in", "{in}", "-out", "{out}"]
    signature = CommandSecretSigner(argv, output="cms").signature(MESSAGE)
    assert verify_rsa(rsa_signer.public_key_pem(), MESSAGE, signature)
    pem_argv = [*argv[:8], "PEM", *argv[9:]]
    assert CommandSecretSigner(pem_argv, output="cms").signature(MESSAGE) == signature  # deterministic
    with_attributes = [arg for arg in argv if arg != "-noattr"]  # signed over the attributes, not the data
    with pytest.raises(SignerFailed, match="not cms"):
        CommandSecretSigner(with_attributes, output="cms").sign(MESSAGE)


def test_a_failing_command_is_a_signer_failure_and_its_stderr_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stderr = "bad PIN 12345678 for key 0123456789abcdef0123\nsecond line"
    script = f"import sys; sys.stderr.write({stderr!r}); sys.exit(3)"
    signer = CommandSecretSigner([sys.executable, "-c", script], connector="esia")
    with caplog.at_level(logging.ERROR), pytest.raises(SignerFailed) as failed:
        signer.sign(MESSAGE)
    assert failed.value.reason == "signer_failed"
    assert str(failed.value) == "esia: the signer command exited with 3 [signer_failed]"
    (record,) = [r for r in caplog.records if r.name.endswith("command_signer")]
    text = repr(record.__dict__)
    assert "12345678" not in text
    assert "0123456789abcdef0123" not in text
    assert "second line" not in text
    assert record.stderr_bytes == len(stderr.encode())  # type: ignore[attr-defined]
    assert record.stderr_first_line.startswith("bad ")  # type: ignore[attr-defined]


def test_stderr_summary_keeps_the_words_and_drops_the_secrets() -> None:
    line = stderr_summary(b"Error: cannot open container 'esia' password=Sekret-2026 0xdeadbeefcafe1234\n")
    assert line.startswith("Error: cannot open container")
    assert "Sekret" not in line
    assert "deadbeefcafe" not in line


def test_a_timeout_is_a_signer_failure() -> None:
    signer = CommandSecretSigner(["sleep", "5"], timeout=0.3)
    with pytest.raises(SignerFailed) as failed:
        signer.sign(MESSAGE)
    assert failed.value.reason == "signer_timeout"


def test_empty_or_wrong_output_is_a_signer_failure() -> None:
    with pytest.raises(SignerFailed, match="no signature"):
        CommandSecretSigner(["true"]).sign(MESSAGE)
    with pytest.raises(SignerFailed, match="not cms"):
        CommandSecretSigner(["cat"], output="cms").sign(MESSAGE)


def test_the_child_does_not_see_the_brokers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRMR_SSO_SECRET_KEY", "never-for-the-child")
    monkeypatch.setenv("SIGNER_VISIBLE", "yes")
    out = CommandSecretSigner(["env"], env={"PROVIDER_OPTION": "1"}).signature(b"").decode()
    assert "FRMR_SSO_" not in out
    assert "SIGNER_VISIBLE=yes" in out
    assert "PROVIDER_OPTION=1" in out


def _entry(signer: dict[str, object]) -> dict[str, object]:
    return {
        "name": "esia", "type": "esia", "base_url": "https://esia.test", "issuer": "https://esia.test/",
        "client_id": "FRMR01", "certificate_hash": "A" * 64, "signer": signer,
    }


def test_the_upstreams_file_names_the_setting_that_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"upstreams\[0\] 'esia': signer\.argv"):
        parse_upstreams([_entry({"kind": "command", "argv": []})])
    with pytest.raises(ConfigurationError, match=r"upstreams\[0\] 'esia': signer\.timeout"):
        parse_upstreams([_entry({"kind": "command", "argv": ["openssl"], "timeout": 0})])
    config = parse_upstreams([_entry({"kind": "command", "argv": ["no-such-signing-tool-here"]})])
    entry = config.upstreams[0]
    assert isinstance(entry.signer, CommandSignerConfig)
    with pytest.raises(ValueError, match=r"signer\.argv: no-such-signing-tool-here is not on PATH"):
        load_signer(entry.signer, tmp_path)
    relative = CommandSignerConfig(kind="command", argv=["bin/sign.sh"])
    with pytest.raises(ValueError, match=r"signer\.argv: .*bin/sign\.sh is not a file"):
        load_signer(relative, tmp_path)


def test_a_relative_program_is_read_from_the_files_directory(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "sign.sh"
    script.write_text("#!/bin/sh\nprintf signed\n")
    script.chmod(0o700)
    signer = load_signer(CommandSignerConfig(kind="command", argv=["bin/sign.sh"]), tmp_path)
    assert b64url_decode(signer.sign(b"x")) == b"signed"
