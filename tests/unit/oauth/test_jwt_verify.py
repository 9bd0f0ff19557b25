from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from frmr_sso.oauth.access_tokens import AT_JWT, access_token_claims
from frmr_sso.oauth.jwt_verify import KeyLookupVerifier
from tests.support.oauth import ISSUER, TestSigner


@pytest.fixture(scope="module")
def signer() -> TestSigner:
    return TestSigner()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    built = access_token_claims(
        issuer=ISSUER, audience=ISSUER, subject="s", client_id="c", scope="openid", jti="j", now=now, ttl=60
    )
    built.update(changes)
    return {k: v for k, v in built.items() if v is not None}


async def test_a_valid_token(signer: TestSigner) -> None:
    token = signer.sign(claims(), typ=AT_JWT)
    verified = await signer.verifier().verify(token, typ=AT_JWT)
    assert verified is not None
    assert (verified["sub"], verified["client_id"], verified["jti"], verified["iss"]) == (
        "s",
        "c",
        "j",
        ISSUER,
    )
    assert await signer.verifier().verify(token) is not None
    es = signer.sign(claims(), alg="ES256", typ="application/at+jwt")
    assert await signer.verifier().verify(es, typ=AT_JWT) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"exp": int(time.time()) - 10},
        {"iss": "https://other.test"},
        {"iat": None},
        {"exp": None},
    ],
)
async def test_claims_that_fail(signer: TestSigner, change: dict[str, Any]) -> None:
    assert await signer.verifier().verify(signer.sign(claims(**change), typ=AT_JWT), typ=AT_JWT) is None


async def test_wrong_typ_fails_when_asked(signer: TestSigner) -> None:
    id_token_like = signer.sign(claims())
    assert await signer.verifier().verify(id_token_like, typ=AT_JWT) is None
    assert await signer.verifier().verify(id_token_like) is not None


async def test_foreign_keys_and_forgeries_fail(signer: TestSigner) -> None:
    verifier = signer.verifier()
    unknown_kid = jwt.encode(claims(), signer.keys["RS256"], algorithm="RS256", headers={"kid": "nope"})
    no_kid = jwt.encode(claims(), signer.keys["RS256"], algorithm="RS256")
    hs = jwt.encode(
        claims(), "secret-secret-secret-secret-secret!", algorithm="HS256", headers={"kid": "test-RS256"}
    )
    # an ES256 signature presented under the RSA key's kid (algorithm confusion)
    mixed = jwt.encode(claims(), signer.keys["ES256"], algorithm="ES256", headers={"kid": "test-RS256"})
    valid = signer.sign(claims())
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    for token in (unknown_kid, no_kid, hs, mixed, tampered, "not-a-jwt", "a.b.c"):
        assert await verifier.verify(token) is None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_only_our_own_compact_form_is_read(signer: TestSigner) -> None:
    verifier = signer.verifier()
    key = signer.keys["RS256"]
    crit = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "test-RS256", "crit": ["exp"]})
    jku = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "test-RS256", "jku": "https://x.test"})
    valid = signer.sign(claims(), typ=AT_JWT)
    head, body, sig = valid.split(".")
    padded = f"{head}.{body}=.{sig}"
    std_alphabet = f"{head}.{body}.{sig.replace('-', '+').replace('_', '/')}"
    array_payload = f"{head}.{_b64(b'[1,2]')}.{sig}"
    for token in (crit, jku, padded, array_payload, valid + "." + sig, "x" * 20_000):
        assert await verifier.verify(token) is None
    if std_alphabet != valid:
        assert await verifier.verify(std_alphabet) is None
    assert await verifier.verify(valid, typ=AT_JWT) is not None


@pytest.mark.parametrize(
    "change",
    [
        lambda now: {"nbf": now + 600},  # times taken when the test runs, not when it is collected
        lambda now: {"iat": now + 600},
        lambda now: {"exp": True},
        lambda now: {"exp": "9999999999"},
        lambda now: {"iss": None},
    ],
)
async def test_time_claims_are_numbers_and_not_in_the_future(
    signer: TestSigner, change: Callable[[int], dict[str, Any]]
) -> None:
    token = signer.sign(claims(**change(int(time.time()))), typ=AT_JWT)
    assert await signer.verifier().verify(token, typ=AT_JWT) is None


async def test_an_es256_signature_of_the_wrong_length_fails(signer: TestSigner) -> None:
    es = signer.sign(claims(), alg="ES256")
    head, body, sig = es.split(".")
    raw = base64.urlsafe_b64decode(sig + "==")
    assert len(raw) == 64
    longer = _b64(raw + bytes(1))
    assert await signer.verifier().verify(f"{head}.{body}.{longer}") is None
    assert await signer.verifier().verify(es) is not None


async def test_a_verified_token_is_remembered_while_its_key_and_times_hold(signer: TestSigner) -> None:
    published = {"yes": True}
    now = [time.time()]

    async def lookup(kid: str) -> jwt.PyJWK | None:
        return await signer.key(kid) if published["yes"] else None

    verifier = KeyLookupVerifier(lookup, issuer=ISSUER, clock=lambda: now[0], memo=2)
    token = signer.sign(claims(), typ=AT_JWT)
    first = await verifier.verify(token, typ=AT_JWT)
    assert first is not None
    assert await verifier.verify(token, typ=AT_JWT) is first  # no second parse or signature check
    assert await verifier.verify(token, typ="JWT") is None  # remembered per asked typ
    published["yes"] = False  # the key retired: the remembered token goes with it
    assert await verifier.verify(token, typ=AT_JWT) is None
    published["yes"] = True
    assert await verifier.verify(token, typ=AT_JWT) is not None
    now[0] += 61  # past exp
    assert await verifier.verify(token, typ=AT_JWT) is None
    now[0] -= 61
    for n in range(3):  # the oldest is forgotten beyond ``memo``
        assert await verifier.verify(signer.sign(claims(jti=f"j{n}"), typ=AT_JWT), typ=AT_JWT) is not None
    assert len(verifier._verified) == 2
