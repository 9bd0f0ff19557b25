"""WebAuthn ceremonies (W3C Web Authentication, Level 2) through the ``webauthn`` package. Pure, no I/O.

The relying party is the broker's issuer: its host is the RP id, its scheme,
host and port the one origin a browser may sign for. Every ceremony requires
user verification (the device's fingerprint, face or PIN) and accepts any
authenticator, built into the device (platform) or plugged in (roaming);
attestation is not asked for (``none``): the broker trusts the key it is shown
at enrolment, inside a session that already passed the second factor or at a
login that asks for it.

The signature counter is compared here, after the signature is verified, so
that a refusal names what happened: a counter that does not increase (when
either is non-zero) is a cloned authenticator (§6.1.1), not a wrong credential.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes as b64decode
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

TIMEOUT_MS = 120_000
MAX_CREDENTIAL_JSON = 16_384
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


class CeremonyFailed(Exception):
    """The browser's answer does not verify; ``reason`` is short and holds no data of the answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CloneDetected(CeremonyFailed):
    def __init__(self) -> None:
        super().__init__("counter")


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    origin: str
    name: str = "ФРМР"

    @classmethod
    def from_issuer(cls, issuer: str) -> RelyingParty:
        parts = urlsplit(issuer)
        host = (parts.hostname or "").lower()
        if not host or parts.scheme not in _DEFAULT_PORTS:
            raise ValueError("the issuer has no http(s) host")
        port = parts.port
        shown = host if ":" not in host else f"[{host}]"
        origin = f"{parts.scheme}://{shown}"
        if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
            origin += f":{port}"
        return cls(id=host, origin=origin)


@dataclass(frozen=True, slots=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]


def _descriptors(known: Sequence[tuple[str, Sequence[str]]]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=b64decode(credential_id), transports=[_TRANSPORTS[t] for t in transports if t in _TRANSPORTS]
        )
        for credential_id, transports in known
    ]


def creation_options(
    rp: RelyingParty, *, challenge: bytes, user_id: bytes, user_name: str, display_name: str,
    existing: Sequence[tuple[str, Sequence[str]]] = (),
) -> str:  # fmt: skip
    """``PublicKeyCredentialCreationOptions`` as JSON (bytes in base64url) for ``credentials.create``."""
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user_id, user_name=user_name, user_display_name=display_name,
        challenge=challenge, timeout=TIMEOUT_MS, exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )  # fmt: skip
    return options_to_json(options)


def request_options(
    rp: RelyingParty, *, challenge: bytes, allowed: Sequence[tuple[str, Sequence[str]]]
) -> str:
    """``PublicKeyCredentialRequestOptions`` as JSON for ``navigator.credentials.get``."""
    options = generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=TIMEOUT_MS, allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.REQUIRED,
    )  # fmt: skip
    return options_to_json(options)


def parse(credential_json: str) -> dict[str, Any]:
    """The browser's ``PublicKeyCredential`` as posted (JSON); CeremonyFailed("malformed") otherwise."""
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise CeremonyFailed("malformed")
    try:
        data = json.loads(credential_json)
    except ValueError:
        raise CeremonyFailed("malformed") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise CeremonyFailed("malformed")
    return data


def verify_creation(rp: RelyingParty, credential: dict[str, Any], *, challenge: bytes) -> NewCredential:
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, require_user_verification=True,
        )  # fmt: skip
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise CeremonyFailed("registration") from None
    transports = credential.get("response", {}).get("transports") or []
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=tuple(t for t in transports if isinstance(t, str) and t in _TRANSPORTS),
    )


def verify_assertion(
    rp: RelyingParty, credential: dict[str, Any], *, challenge: bytes, public_key: bytes, sign_count: int
) -> int:
    """The assertion's signature counter once it verifies; CloneDetected when the counter did not move on."""
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=public_key,
            credential_current_sign_count=0,  # compared below, once the signature holds
            require_user_verification=True,
        )  # fmt: skip
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise CeremonyFailed("assertion") from None
    counter = verified.new_sign_count
    if (counter > 0 or sign_count > 0) and counter <= sign_count:
        raise CloneDetected
    return counter
