"""The one JOSE module of the broker: base64url, the PKCE and ``at_hash`` digests, compact JWS.

- ``b64``: base64url without padding, strict everywhere (RFC 7515 §2, Appendix C): a character
  outside ``A-Z a-z 0-9 - _``, a ``=`` or an impossible length is an error.
- ``digests``: the PKCE S256 challenge (RFC 7636 §4.2) and ``at_hash`` / ``c_hash`` (OIDC Core
  §3.1.3.6).
- ``jws``: parse a compact JWS (RFC 7515 §7.1; an unknown ``crit`` header is refused, §4.1.11), and
  sign and verify RS256/384/512, PS256/384/512, ES256/384/512, EdDSA and ESIA's GOST3410_2012_256.
- ``gost``: the GOST R 34.10-2012 (256 bit) and Streebog-256 primitives behind the last one.

Everything that signs or checks a token, an ``at_hash`` or a PKCE challenge comes through here: the
provider's own tokens (``oidc.keys``, ``oauth.jwt_verify``), upstream tokens (``upstream.jose``), the
``id_token_hint`` of RP-initiated logout and the cabinet's and upstream connectors' PKCE.
"""

from __future__ import annotations

from frmr_sso.jose.b64 import b64url_decode, b64url_encode, json_segment
from frmr_sso.jose.digests import s256_challenge, token_hash
from frmr_sso.jose.jws import (
    Jws,
    JwsError,
    parse_compact,
    sign_compact,
    signature_of,
    signature_valid,
    unverified_header,
)

__all__ = [
    "Jws",
    "JwsError",
    "b64url_decode",
    "b64url_encode",
    "json_segment",
    "parse_compact",
    "s256_challenge",
    "sign_compact",
    "signature_of",
    "signature_valid",
    "token_hash",
    "unverified_header",
]
