"""A software WebAuthn authenticator (ES256, attestation ``none``): what a browser posts, built by hand.

It answers ``navigator.credentials.create``/``get`` options (the JSON the broker issues) with the
``PublicKeyCredential`` JSON the broker's script posts: the client data, the authenticator data with
its flags and signature counter, and an ECDSA P-256 signature over them (W3C WebAuthn §6.1, §6.3.3).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


@dataclass
class SoftAuthenticator:
    origin: str
    counter: int = 0
    counting: bool = True
    """False: an authenticator that keeps no counter (always 0)."""
    verify_user: bool = True
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _flags(self) -> int:
        return UP | (UV if self.verify_user else 0)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def create(self, options_json: str, *, origin: str | None = None) -> str:
        options = json.loads(options_json)
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = (
            b"\0" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        )
        auth_data = rp_hash + bytes([self._flags() | AT]) + struct.pack(">I", self.counter) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps(
            {
                "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["internal"],
                },
            }
        )  # fmt: skip

    def get(self, options_json: str, *, origin: str | None = None, rp_id: str | None = None) -> str:
        """An assertion for the options; the counter moves on first (when the authenticator keeps one)."""
        options: dict[str, Any] = json.loads(options_json)
        if self.counting:
            self.counter += 1
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags()]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                },
            }
        )  # fmt: skip

    def clone(self) -> SoftAuthenticator:
        """A copy of the key with the counter as it is now: the original and the copy then diverge."""
        return SoftAuthenticator(
            self.origin, self.counter, self.counting, self.verify_user, self.key, self.credential_id
        )


def challenge_of(options_json: str) -> bytes:
    return base64url_to_bytes(json.loads(options_json)["challenge"])
