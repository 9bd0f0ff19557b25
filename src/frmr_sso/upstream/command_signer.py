"""A ``client_secret`` signer that runs a command: a certified provider's tool, or OpenSSL's GOST engine.

The command is an argv list, run without a shell. The signed request string goes to its standard
input, the signature comes from its standard output, unless the argv names files:

* ``{in}``: the data is written to a file in a private temporary directory and its path is put there;
* ``{out}``: the tool writes the signature into that file (КриптоПро ``csptest`` works so);
* ``{dir}``: that directory, for a tool that names its output itself: ``signature_file`` then says
  which file holds the signature (``cryptcp -signf -dir {dir} … {in}`` writes ``{in}.sgn``).

``output`` says what the tool writes: ``raw`` (the bare signature, as ``openssl dgst -sign`` and
``csptest -keys -sign``), ``base64`` (text), or ``cms`` (a detached CMS/PKCS#7 SignedData in DER or
PEM: the signature value of its one SignerInfo is used; it must have no signed attributes, since their
signature is not one over the data). ``reverse``
turns a little-endian signature (CryptoAPI's, so CryptoPro's) into the ``s || r`` ESIA expects.

The child gets the broker's environment without any ``FRMR_SSO_*`` variable (the broker's secrets),
plus ``env``. A non-zero exit, a timeout or an empty answer is ``SignerFailed``: an upstream
configuration error the login page reports as a failure of the provider. The child's standard error
is never logged as it is: only its length and its first line, shortened, with anything that looks
like a number, a key or a password replaced by ``…``.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from asn1crypto import cms

from frmr_sso.upstream.errors import UpstreamFailure
from frmr_sso.upstream.esia_signer import b64url

log = logging.getLogger(__name__)
IN, OUT, DIR = "{in}", "{out}", "{dir}"
MAX_SIGNATURE_BYTES = 64 * 1024
_HIDDEN_ENV_PREFIX = "FRMR_SSO_"
_SECRETISH = re.compile(r"[A-Za-z0-9+/=_:\\.-]{12,}|\d{4,}|(?i:(?:pin|pass\w*|password)\S*\s*[:=]?\s*\S+)")


class SignerFailed(UpstreamFailure):
    """The configured signer did not sign: a configuration fault of the broker, not of the person."""

    default_reason = "signer_failed"


def stderr_summary(stderr: bytes, *, limit: int = 120) -> str:
    """The first line of a tool's standard error, safe for a log: long tokens, numbers and anything
    after a PIN or password word replaced by ``…``, at most ``limit`` characters."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    first = _SECRETISH.sub("…", lines[0]) if lines else ""
    return first[:limit]


def signature_from_cms(data: bytes) -> bytes:
    """The signature value of a detached CMS SignedData's one SignerInfo (DER or PEM)."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        text = base64.b64decode(b"".join(line for line in text.splitlines() if not line.startswith(b"-----")))
    try:
        info = cms.ContentInfo.load(text)
        signer_infos = info["content"]["signer_infos"]
        if len(signer_infos) != 1:
            raise ValueError("not one SignerInfo")
        signer_info = signer_infos[0]
        if signer_info["signed_attrs"].native:
            raise ValueError("signed attributes: the signature is over them, not over the data")
        return bytes(signer_info["signature"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError("the output is not a CMS SignedData with one signer") from exc


class CommandSecretSigner:
    kind = "command"

    def __init__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 10.0,
        output: str = "raw",
        reverse: bool = False,
        env: Mapping[str, str] | None = None,
        signature_file: str | None = None,
        padded: bool = False,
        connector: str = "",
    ) -> None:
        if not argv:
            raise ValueError("argv is empty")
        if output not in ("raw", "base64", "cms"):
            raise ValueError("output must be raw, base64 or cms")
        self._argv, self._timeout, self._output = list(argv), timeout, output
        self._reverse, self._padded, self._connector = reverse, padded, connector
        self._env = dict(env or {})
        self._signature_file = signature_file

    def sign(self, message: bytes) -> str:
        return b64url(self.signature(message), padded=self._padded)

    def signature(self, message: bytes) -> bytes:
        with tempfile.TemporaryDirectory(prefix="frmr-signer-") as tmp:
            directory = Path(tmp)
            os.chmod(directory, 0o700)
            argv = [self._fill(arg, directory) for arg in self._argv]
            joined = " ".join(self._argv)
            uses_in = IN in joined or (self._signature_file is not None and IN in self._signature_file)
            if uses_in:
                (directory / "data.bin").write_bytes(message)
            started = time.monotonic()
            try:
                done = subprocess.run(  # noqa: S603 - argv from the operator's configuration, no shell
                    argv,
                    input=b"" if uses_in else message,
                    capture_output=True,
                    timeout=self._timeout,
                    env=self._child_env(),
                    check=False,
                )
            except subprocess.TimeoutExpired:
                text = f"the signer command did not finish in {self._timeout:g} s"
                raise self._failed(text, "signer_timeout") from None
            except OSError as exc:
                text = f"the signer command cannot be started ({exc.strerror or 'error'})"
                raise self._failed(text) from None
            elapsed = time.monotonic() - started
            if done.returncode != 0:
                log.error(
                    "the signer command failed",
                    extra={
                        "connector": self._connector, "exit_code": done.returncode,
                        "stderr_bytes": len(done.stderr), "stderr_first_line": stderr_summary(done.stderr),
                        "seconds": round(elapsed, 3),
                    },
                )
                raise self._failed(f"the signer command exited with {done.returncode}")
            raw = self._read_output(directory, joined, done.stdout)
        return self._decode(raw)

    def _read_output(self, directory: Path, joined: str, stdout: bytes) -> bytes:
        if self._signature_file is not None:
            written = Path(self._fill(self._signature_file, directory))
        elif OUT in joined:
            written = directory / "signature.bin"
        else:
            return stdout
        if written.resolve().parent != directory.resolve():
            raise self._failed("the signature file is outside the signer's directory")
        try:
            return written.read_bytes() if written.is_file() else b""
        except OSError:
            raise self._failed("the signature file cannot be read") from None

    def _decode(self, raw: bytes) -> bytes:
        if not raw or len(raw) > MAX_SIGNATURE_BYTES:
            raise self._failed("the signer command wrote no signature")
        try:
            if self._output == "base64":
                signature = base64.b64decode(b"".join(raw.split()), validate=True)
            elif self._output == "cms":
                signature = signature_from_cms(raw)
            else:
                signature = raw
        except ValueError:
            raise self._failed(f"the signer command's output is not {self._output}") from None
        return signature[::-1] if self._reverse else signature

    def _fill(self, arg: str, directory: Path) -> str:
        paths = {IN: directory / "data.bin", OUT: directory / "signature.bin", DIR: directory}
        for placeholder, path in paths.items():
            arg = arg.replace(placeholder, str(path))
        return arg

    def _child_env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_HIDDEN_ENV_PREFIX)}
        return inherited | self._env

    def _failed(self, message: str, reason: str | None = None) -> SignerFailed:
        return SignerFailed(message, connector=self._connector, reason=reason)
