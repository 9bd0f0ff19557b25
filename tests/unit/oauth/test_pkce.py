from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from frmr_sso.oauth import pkce

# RFC 7636 Appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def test_rfc7636_appendix_b_vector() -> None:
    assert pkce.s256_challenge(VERIFIER) == CHALLENGE
    assert pkce.verify(VERIFIER, CHALLENGE) is True


def test_wrong_verifier_fails() -> None:
    assert pkce.verify(VERIFIER[:-1] + "l", CHALLENGE) is False
    assert pkce.verify(CHALLENGE, CHALLENGE) is False


def test_plain_and_unknown_methods_are_refused() -> None:
    assert pkce.verify(CHALLENGE, CHALLENGE, "plain") is False
    assert pkce.verify(VERIFIER, CHALLENGE, "S512") is False


def test_malformed_verifiers_fail_before_hashing() -> None:
    for verifier in ("a" * 42, "a" * 129, VERIFIER[:-1] + "+", VERIFIER + " "):
        assert pkce.is_well_formed(verifier) is False
        assert pkce.verify(verifier, pkce.s256_challenge("b" * 43)) is False


def test_length_bounds() -> None:
    assert pkce.is_well_formed("a" * 43)
    assert pkce.is_well_formed("~" * 128)
    assert not pkce.is_well_formed("")


@given(st.text(alphabet=UNRESERVED, min_size=43, max_size=128))
def test_any_valid_verifier_matches_its_own_challenge(verifier: str) -> None:
    challenge = pkce.s256_challenge(verifier)
    assert len(challenge) == 43
    assert pkce.is_well_formed(challenge)
    assert pkce.verify(verifier, challenge)
