"""A ``client_secret`` signer whose key stays on a PKCS#11 token or HSM (``security.pkcs11``).

``rsa-sha256`` is CKM_SHA256_RSA_PKCS (RSASSA-PKCS1-v1_5 over SHA-256, as ``RsaSecretSigner``);
python-pkcs11 knows no GOST R 34.10-2012 mechanism, so a GOST token signs through the ``command``
signer and its vendor's tool. The session is opened once, at start, so a wrong PIN or label stops the
broker there; a token that fails later is ``SignerFailed`` for that login.
"""

from __future__ import annotations

import logging
from pathlib import Path

from frmr_sso.security.pkcs11 import Pkcs11Config, TokenKey
from frmr_sso.upstream.command_signer import SignerFailed
from frmr_sso.upstream.esia_signer import b64url

log = logging.getLogger(__name__)


class Pkcs11SecretSigner:
    kind = "pkcs11"

    def __init__(self, key: TokenKey, *, padded: bool = False, connector: str = "") -> None:
        self._key, self._padded, self._connector = key, padded, connector

    @classmethod
    def open(
        cls, config: Pkcs11Config, base_dir: Path = Path(), *, connector: str = ""
    ) -> Pkcs11SecretSigner:
        return cls(TokenKey(config, base_dir), connector=connector)

    def sign(self, message: bytes) -> str:
        import pkcs11

        try:
            signature = self._key.sign(message)
        except (pkcs11.PKCS11Error, RuntimeError) as exc:
            details = {"connector": self._connector, "error": type(exc).__name__}
            log.error("the token did not sign", extra=details)
            raise SignerFailed(
                f"the PKCS#11 token did not sign ({type(exc).__name__})", connector=self._connector
            ) from None
        return b64url(signature, padded=self._padded)
