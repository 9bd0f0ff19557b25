"""Property: what the JOSE module signs, joserfc verifies, and what joserfc signs, the module verifies.

Random claims (any JSON object) and keys drawn from a pool generated per run, for every algorithm
the broker signs or accepts from upstream providers except GOST (which no general library knows;
its known-answer tests are in tests/unit/upstream/test_jose.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

from frmr_sso.jose import parse_compact, sign_compact, signature_valid

_CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


def _private(alg: str) -> Any:
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg])
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


ALGS = ("RS256", "RS384", "PS256", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEYS = {alg: [_private(alg) for _ in range(2)] for alg in ALGS}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
CLAIMS = st.dictionaries(st.text(min_size=1, max_size=12), JSON, max_size=8)


def _theirs(key: Any, alg: str) -> Any:
    if alg in _CURVES:
        return ECKey.import_key(key)
    if alg == "EdDSA":
        return OKPKey.import_key(key)
    return RSAKey.import_key(key)


@pytest.mark.filterwarnings("ignore:.*EdDSA.*:joserfc.errors.SecurityWarning")  # joserfc prefers "Ed25519"
@settings(max_examples=60, deadline=None)
@given(claims=CLAIMS, alg=st.sampled_from(ALGS), index=st.integers(0, 1), kid=st.text(max_size=10))
def test_joserfc_verifies_ours_and_we_verify_theirs(
    claims: dict[str, Any], alg: str, index: int, kid: str
) -> None:
    private = KEYS[alg][index]
    ours = sign_compact(claims, private, alg=alg, header={"kid": kid, "typ": "JWT"})
    checked = jws.deserialize_compact(ours, _theirs(private.public_key(), alg), algorithms=[alg])
    assert json.loads(checked.payload) == claims
    assert checked.protected == {"alg": alg, "kid": kid, "typ": "JWT"}

    payload = json.dumps(claims).encode()
    theirs = jws.serialize_compact({"alg": alg, "kid": kid}, payload, _theirs(private, alg), algorithms=[alg])
    parsed = parse_compact(theirs)
    assert parsed.claims == claims
    assert signature_valid(private.public_key(), alg, parsed.signing_input, parsed.signature)
    other = KEYS[alg][1 - index].public_key()
    assert not signature_valid(other, alg, parsed.signing_input, parsed.signature)
