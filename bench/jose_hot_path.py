"""CPU per access token of the JOSE module on the hot path, next to pyjwt (which the broker used before).

``python bench/jose_hot_path.py [-n 2000]`` prints microseconds per operation for an RS256 access
token of this broker: signing (``jose.sign_compact``, what ``KeyRing.sign`` runs for every token
endpoint answer) against pyjwt's ``encode``, and verification (``KeyLookupVerifier.verify``, what
every API call, introspection and UserInfo runs: ``jose.parse_compact`` + ``jose.signature_valid``
+ the claim checks) against pyjwt's ``decode``. No server, no network; the RSA operation itself is
the same in all of them. No JOSE code is written by hand elsewhere for speed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import jwt

from frmr_sso.jose import sign_compact
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from frmr_sso.oidc.jwks import generate_private_key, public_jwk

ISSUER = "https://sso.bench"
RS256 = "RS256"


def _report(label: str, count: int, start: float) -> None:
    print(f"{label:<52} {(time.perf_counter() - start) / count * 1e6:8.1f} µs")


def _per_op(label: str, count: int, work: Any) -> None:
    start = time.perf_counter()
    for _ in range(count):
        work()
    _report(label, count, start)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="operations per measurement")
    count = parser.parse_args().n
    key = generate_private_key(RS256, rsa_bits=2048)
    jwk = public_jwk(key, RS256)
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "s", "aud": ISSUER, "client_id": "c", "scope": "openid frmr",
              "jti": "j", "iat": now, "exp": now + 300}
    header = {"kid": jwk["kid"], "typ": "at+jwt"}
    _per_op("sign: jose.sign_compact", count, lambda: sign_compact(claims, key, alg=RS256, header=header))
    _per_op("sign: pyjwt encode", count, lambda: jwt.encode(claims, key, algorithm=RS256, headers=header))

    token = sign_compact(claims, key, alg=RS256, header=header)
    published = jwt.PyJWK(dict(jwk), RS256)

    async def lookup(kid: str) -> jwt.PyJWK | None:
        return published if kid == jwk["kid"] else None

    verifier = KeyLookupVerifier(lookup, issuer=ISSUER)

    async def by_hand() -> None:
        start = time.perf_counter()
        for _ in range(count):
            assert await verifier.verify(token, typ="at+jwt") is not None
        _report("verify: KeyLookupVerifier.verify (jose)", count, start)

    asyncio.run(by_hand())
    _per_op(
        "verify: pyjwt decode",
        count,
        lambda: jwt.decode(token, published.key, algorithms=[RS256], audience=ISSUER, issuer=ISSUER),
    )


if __name__ == "__main__":
    main()
