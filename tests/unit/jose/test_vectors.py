"""The JOSE module against the published examples: RFC 7515 Appendix A.2–A.4 and RFC 7520 §4.1–4.3."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from frmr_sso.jose import b64url_decode, parse_compact, sign_compact, signature_of, signature_valid

A_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
A2_KEY = {
    "kty": "RSA",
    "e": "AQAB",
    "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-"
    "yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-K"
    "XBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9"
    "iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
}
A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9." + A_PAYLOAD + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7A"
    "AuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xB"
    "ArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvW"
    "h6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
A3_KEY = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
}
A3_TOKEN = (
    "eyJhbGciOiJFUzI1NiJ9." + A_PAYLOAD + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q"
)
A4_KEY = {
    "kty": "EC",
    "crv": "P-521",
    "x": "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
    "y": "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2",
}
A4_TOKEN = (
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-K"
    "GDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"
)
# RFC 7520 §3.3/§3.4: the keys of bilbo.baggins@hobbiton.example; §4.1–4.3: the payload (text, not JSON)
R_PAYLOAD = (
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9h"
    "ZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3"
    "ZXB0IG9mZiB0by4"
)
R_RSA = {
    "kty": "RSA",
    "e": "AQAB",
    "n": (
        "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMa"
        "JMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6c"
        "S6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwd"
        "q_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"
    ),
}
R_EC = {
    "kty": "EC",
    "crv": "P-521",
    "x": "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",
    "y": "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1",
}
R_HEADERS = {
    "RS256": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9",
    "PS384": "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9",
    "ES512": "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9",
}
R_SIGNATURES = {
    "RS256": (
        "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7P"
        "NDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9e"
        "Ro4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4"
        "uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg"
    ),
    "PS384": (
        "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dD"
        "DItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ij"
        "Q7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAj"
        "VKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw"
    ),
    "ES512": (
        "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPB"
        "u_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2"
    ),
}


def key(jwk: dict[str, str], alg: str) -> Any:
    return jwt.PyJWK({k: v for k, v in jwk.items() if k != "d"}, alg).key


def private(jwk: dict[str, str], alg: str) -> Any:
    return jwt.PyJWK(jwk, alg).key


@pytest.mark.parametrize(
    ("token", "jwk", "alg"),
    [(A2_TOKEN, A2_KEY, "RS256"), (A3_TOKEN, A3_KEY, "ES256")],
    ids=["RFC7515-A.2", "RFC7515-A.3"],
)
def test_rfc7515_examples_verify_and_tampering_does_not(token: str, jwk: dict[str, str], alg: str) -> None:
    jws = parse_compact(token)
    assert jws.header == {"alg": alg}
    assert jws.claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    assert signature_valid(key(jwk, alg), alg, jws.signing_input, jws.signature)
    tampered = jws.signing_input.replace(b"eyJpc3Mi", b"eyJpc3Mj")
    assert not signature_valid(key(jwk, alg), alg, tampered, jws.signature)
    other = "ES256" if alg == "RS256" else "RS256"
    assert not signature_valid(key(jwk, alg), other, jws.signing_input, jws.signature)


def test_rfc7515_a4_es512_verifies() -> None:
    signing_input, _, encoded = A4_TOKEN.rpartition(".")
    signature, public = b64url_decode(encoded), key(A4_KEY, "ES512")
    assert signature_valid(public, "ES512", signing_input.encode(), signature)
    assert not signature_valid(public, "ES256", signing_input.encode(), signature)


def test_an_rfc7515_a3_key_signs_what_the_example_key_verifies() -> None:
    """ECDSA signatures are randomised: ours differs from the RFC's, and verifies under its public key."""
    token = sign_compact({"iss": "joe"}, private(A3_KEY, "ES256"), alg="ES256", header={})
    jws = parse_compact(token)
    assert len(jws.signature) == 64
    assert signature_valid(key(A3_KEY, "ES256"), "ES256", jws.signing_input, jws.signature)
    assert jwt.decode(token, key(A3_KEY, "ES256"), algorithms=["ES256"]) == {"iss": "joe"}


@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES512"])
def test_rfc7520_signatures_verify(alg: str) -> None:
    jwk = R_EC if alg == "ES512" else R_RSA
    signing_input = f"{R_HEADERS[alg]}.{R_PAYLOAD}".encode()
    signature = b64url_decode(R_SIGNATURES[alg])
    assert signature_valid(key(jwk, alg), alg, signing_input, signature)
    assert not signature_valid(key(jwk, alg), alg, signing_input + b"x", signature)
    assert b64url_decode(R_PAYLOAD).decode().startswith("It\u2019s a dangerous business, Frodo")


def test_rs256_signing_is_deterministic_and_matches_pyjwt() -> None:
    """RSASSA-PKCS1-v1_5 has no randomness: our signature of an input equals pyjwt's."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    secret = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    theirs = jwt.encode({"iss": "joe"}, secret, algorithm="RS256", headers={"kid": "k"})
    head, payload, signature = theirs.split(".")
    assert b64url_decode(signature) == signature_of(secret, "RS256", f"{head}.{payload}".encode())
