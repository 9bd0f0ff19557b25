"""Test doubles for the OAuth core: an in-test JWT signer over generated keys, and clients."""

from __future__ import annotations

import functools
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from frmr_sso.storage.ports import ClientRecord

ISSUER = "https://sso.test"
WEB_REDIRECT = "http://127.0.0.1:9999/callback"
SPA_REDIRECT = "http://127.0.0.1:9998/callback"
USER_SCOPES = ("openid", "profile", "snils", "frmr", "offline_access")


@functools.cache
def _keys() -> dict[str, Any]:
    return {
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
    }


class TestSigner:
    """A ``JwtSigner`` (pyjwt) with RS256 and ES256 keys, and the matching key lookup."""

    __test__ = False

    def __init__(self) -> None:
        self.keys = _keys()
        self.signed = 0
        self._public: dict[str, jwt.PyJWK] = {}
        for alg, key in self.keys.items():
            algorithm = RSAAlgorithm if alg == "RS256" else ECAlgorithm
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            jwk.update(kid=f"test-{alg}", alg=alg, use="sig")
            self._public[jwk["kid"]] = jwt.PyJWK(jwk)

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", typ: str = "JWT") -> str:
        self.signed += 1
        return jwt.encode(claims, self.keys[alg], algorithm=alg, headers={"kid": f"test-{alg}", "typ": typ})

    async def key(self, kid: str) -> jwt.PyJWK | None:
        return self._public.get(kid)

    def verifier(self, issuer: str = ISSUER) -> KeyLookupVerifier:
        return KeyLookupVerifier(self.key, issuer=issuer)

    def decode(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """Claims of ``token`` checked by pyjwt alone, independent of the code under test."""
        header = jwt.get_unverified_header(token)
        key = self.keys[header["alg"]].public_key()
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[header["alg"]], audience=audience, options={"verify_aud": bool(audience)}
        )
        return claims


def client(
    client_id: str,
    *,
    public: bool = False,
    redirect_uris: tuple[str, ...] = (),
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token"),
    scopes: tuple[str, ...] = USER_SCOPES,
    id_token_alg: str = "RS256",  # noqa: S107 - an algorithm name
) -> Client:
    return Client.from_record(
        ClientRecord(
            client_id=client_id,
            name=client_id,
            public=public,
            secret_hash=None if public else "hash",
            redirect_uris=redirect_uris,
            grant_types=grant_types,
            scopes=scopes,
            id_token_alg=id_token_alg,
        )
    )


WEB = client("demo-web", redirect_uris=(WEB_REDIRECT, "https://app.test/cb?tenant=7"))
SPA = client("demo-spa", public=True, redirect_uris=(SPA_REDIRECT,), grant_types=("authorization_code",))
NATIVE = client("native", public=True, redirect_uris=("http://127.0.0.1/native",))
SERVICE = client(
    "demo-service", grant_types=("client_credentials",), scopes=("registry.read", "registry.write", "openid")
)
NO_CODE_FLOW = client("no-code-flow", redirect_uris=(WEB_REDIRECT,), grant_types=("client_credentials",))
NO_OPENID = client("no-openid", redirect_uris=(WEB_REDIRECT,), scopes=("profile",))
ES256_WEB = client("es-web", redirect_uris=(WEB_REDIRECT,), id_token_alg="ES256")
BASIC = client("basic", redirect_uris=(WEB_REDIRECT,), scopes=("openid", "profile"))
CLIENTS = {c.client_id: c for c in (WEB, SPA, NATIVE, SERVICE, NO_CODE_FLOW, NO_OPENID, ES256_WEB, BASIC)}


async def lookup(client_id: str) -> Client | None:
    return CLIENTS.get(client_id)


class CountingKV:
    """Wraps a KeyValueStore and counts the operations made through it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await method(*args, **kwargs)

        return counted
