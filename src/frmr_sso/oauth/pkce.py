"""Proof Key for Code Exchange, S256 only (RFC 7636).

``plain`` is refused at the authorization endpoint, so a challenge stored with a
code is always ``BASE64URL(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2).
"""

from __future__ import annotations

import hmac
import re

from frmr_sso.jose.digests import s256_challenge

S256 = "S256"
# RFC 7636 §4.1 and §4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
_UNRESERVED_43_128 = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def is_well_formed(value: str) -> bool:
    """True for a syntactically valid code_verifier or code_challenge."""
    return _UNRESERVED_43_128.fullmatch(value) is not None


def verify(verifier: str, challenge: str, method: str = S256) -> bool:
    """RFC 7636 §4.6: compare the transformed verifier with the stored challenge in constant time."""
    if method != S256 or not is_well_formed(verifier):
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)
