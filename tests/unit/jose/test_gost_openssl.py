"""GOST verification through OpenSSL's GOST engine agrees with the pure-Python path, and falls back to it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from frmr_sso.config import ConfigurationError
from frmr_sso.jose.gost import gost_curve, gost_sign_digest, streebog256
from frmr_sso.jose.gost_openssl import CURVE_OIDS, OpenSslGost, subject_public_key_info
from frmr_sso.upstream.config import UpstreamsConfig, gost_engine, parse_upstreams
from frmr_sso.upstream.errors import UpstreamProtocolError
from frmr_sso.upstream.esia_signer import GostSecretSigner
from frmr_sso.upstream.jose import GOST256, verify_jws
from frmr_sso.upstream.jwks import JwksCache
from tests.support.gost_keys import gost_engine_or_skip


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _token(signer: GostSecretSigner, claims: dict[str, str]) -> tuple[str, dict[str, str]]:
    header = b64(json.dumps({"alg": GOST256, "kid": "k1"}).encode())
    payload = b64(json.dumps(claims).encode())
    raw = gost_sign_digest(
        bytes.fromhex(signer.private_key_hex()), streebog256(f"{header}.{payload}".encode()),
        gost_curve(signer.curve),
    )
    public = bytes.fromhex(signer.public_key_hex())
    jwk = {"kty": "GOST3410", "kid": "k1", "crv": signer.curve, "x": b64(public[:32]), "y": b64(public[32:])}
    return f"{header}.{payload}.{b64(raw)}", jwk


def _keys(jwk: dict[str, str]) -> JwksCache:
    async def fetch() -> dict[str, object]:
        return {"keys": [jwk]}

    return JwksCache(fetch, connector="esia", min_refetch_interval=0)


@pytest.fixture
def engine() -> OpenSslGost:
    gost_engine_or_skip()
    return OpenSslGost()


def test_the_engine_passes_its_known_answer_test(engine: OpenSslGost) -> None:
    assert engine.probe() is None


def test_a_missing_or_wrong_program_fails_the_probe(tmp_path: Path) -> None:
    assert "did not answer" in str(OpenSslGost(str(tmp_path / "no-openssl")).probe())
    assert "did not answer" in str(OpenSslGost("false").probe())


@pytest.mark.parametrize("curve", sorted(CURVE_OIDS))
async def test_the_engine_accepts_what_the_python_path_signs_on_every_curve(
    engine: OpenSslGost, curve: str
) -> None:
    signer = GostSecretSigner.generate(curve=curve)
    point = bytes.fromhex(signer.public_key_hex())
    data = b"header.payload"
    scalar = bytes.fromhex(signer.private_key_hex())
    signature = gost_sign_digest(scalar, streebog256(data), gost_curve(curve))
    assert await engine.verify(point, curve, data, signature) is True
    assert await engine.verify(point, curve, data + b"!", signature) is False
    assert await engine.verify(point, curve, data, signature[32:] + signature[:32]) is False  # r || s
    assert engine.verify_sync(point, curve, data, signature) is True


def test_an_unknown_curve_is_not_the_engines_to_answer() -> None:
    assert OpenSslGost().verify_sync(b"\x01" * 64, "id-tc26-gost-3410-12-512-paramSetA", b"", b"") is None
    with pytest.raises(ValueError, match="curve the engine knows"):
        subject_public_key_info(b"\x01" * 64, "nonsense")


async def test_verify_jws_through_the_engine(engine: OpenSslGost) -> None:
    signer = GostSecretSigner.generate()
    token, jwk = _token(signer, {"sub": "1000299654"})
    jws = await verify_jws(token, _keys(jwk), algorithms={GOST256}, connector="esia", gost_engine=engine)
    assert jws.claims == {"sub": "1000299654"}
    header, _, signature = token.split(".")
    forged = f"{header}.{b64(json.dumps({'sub': '1000000001'}).encode())}.{signature}"
    with pytest.raises(UpstreamProtocolError) as refused:
        await verify_jws(forged, _keys(jwk), algorithms={GOST256}, connector="esia", gost_engine=engine)
    assert refused.value.reason == "bad_signature"


async def test_a_broken_engine_falls_back_to_the_python_path() -> None:
    signer = GostSecretSigner.generate()
    token, jwk = _token(signer, {"sub": "1"})
    broken = OpenSslGost("false")  # answers neither "Verified OK" nor "Verification failure"
    jws = await verify_jws(token, _keys(jwk), algorithms={GOST256}, gost_engine=broken)
    assert jws.claims == {"sub": "1"}
    header, _, signature = token.split(".")
    forged = f"{header}.{b64(json.dumps({'sub': '2'}).encode())}.{signature}"
    with pytest.raises(UpstreamProtocolError):
        await verify_jws(forged, _keys(jwk), algorithms={GOST256}, gost_engine=broken)


async def test_a_point_off_the_curve_is_refused(engine: OpenSslGost) -> None:
    signer = GostSecretSigner.generate()
    token, jwk = _token(signer, {"sub": "1"})
    y = base64.urlsafe_b64decode(jwk["y"] + "==")
    off = {**jwk, "y": b64(y[:-1] + bytes([y[-1] ^ 1]))}
    with pytest.raises(UpstreamProtocolError) as refused:
        await verify_jws(token, _keys(off), algorithms={GOST256}, gost_engine=engine)
    assert refused.value.reason == "bad_signature"


def _upstreams(algorithms: list[str]) -> UpstreamsConfig:
    entry = {
        "name": "esia", "type": "esia", "base_url": "https://esia.test", "issuer": "https://esia.test/",
        "client_id": "FRMR01", "certificate_hash": "A" * 64, "algorithms": algorithms,
        "signer": {"kind": "gost", "key_hex": GostSecretSigner.generate().private_key_hex()},
    }
    return parse_upstreams([entry])


def test_the_setting_chooses_the_path(tmp_path: Path) -> None:
    gost_engine_or_skip()
    config = _upstreams(["GOST3410_2012_256"])
    assert isinstance(gost_engine("auto", "openssl", config), OpenSslGost)
    assert isinstance(gost_engine("openssl", "openssl", config), OpenSslGost)
    assert gost_engine("off", "openssl", config) is None
    assert gost_engine("auto", "openssl", _upstreams(["RS256"])) is None  # nothing to verify in GOST
    missing = str(tmp_path / "openssl")
    assert gost_engine("auto", missing, config) is None  # falls back to pure Python
    with pytest.raises(ConfigurationError, match=r"FRMR_SSO_GOST_ENGINE=openssl: .* did not answer"):
        gost_engine("openssl", missing, config)
