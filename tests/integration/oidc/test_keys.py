from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from frmr_sso.oidc.jwks import UnsupportedAlgorithm
from frmr_sso.oidc.keys import KeyRing, SigningKeyUnavailable
from frmr_sso.security.crypto import FieldCipher
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import SigningKeyRecord
from frmr_sso.storage.sql import SqlSigningKeyRepository

SECRET = "integration-secret-key-0123456789abcdef"
RETENTION = timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_ring(engine: AsyncEngine, clock: Clock, *, secret: str = SECRET, **options: object) -> KeyRing:
    return KeyRing(
        SqlSigningKeyRepository(engine),
        FieldCipher(secret, purpose="signing-keys"),
        retention=RETENTION,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def ring(engine: AsyncEngine, clock: Clock) -> KeyRing:
    ring = make_ring(engine, clock)
    await ring.ensure_keys()
    return ring


def verify(token: str, jwks: dict[str, object], **options: object) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    return jwt.decode(token, key, algorithms=[key.algorithm_name], **options)  # type: ignore[arg-type]


def kids(ring: KeyRing) -> set[str]:
    return {key["kid"] for key in ring.jwks()["keys"]}


async def test_ensure_creates_one_active_key_per_algorithm_once(engine: AsyncEngine, ring: KeyRing) -> None:
    records = await SqlSigningKeyRepository(engine).list_all()
    assert sorted((r.alg, r.status) for r in records) == [("ES256", "active"), ("RS256", "active")]
    assert await ring.ensure_keys() == []
    assert len(await SqlSigningKeyRepository(engine).list_all()) == 2


async def test_jwks_publishes_public_keys_only(ring: KeyRing) -> None:
    keys = ring.jwks()["keys"]
    assert {(k["kty"], k["alg"], k["use"]) for k in keys} == {("RSA", "RS256", "sig"), ("EC", "ES256", "sig")}
    for key in keys:
        assert key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert json.loads(ring.jwks_json()) == ring.jwks()
    assert ring.jwks_json() is ring.jwks_json()  # rendered once per reload, not per request


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_signed_tokens_verify_with_the_published_keys(ring: KeyRing, alg: str) -> None:
    token = ring.sign({"sub": "s-1", "aud": "demo-web"}, alg=alg, typ="at+jwt")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": alg, "kid": ring.signing_kid(alg), "typ": "at+jwt"}
    assert verify(token, ring.jwks(), audience="demo-web")["sub"] == "s-1"
    assert jwt.get_unverified_header(ring.sign({}, alg=alg))["typ"] == "JWT"


async def test_rotation_keeps_the_previous_key_published(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    before = ring.sign({"sub": "old"})
    old_kid = ring.signing_kid("RS256")
    es_kid = ring.signing_kid("ES256")
    clock.advance(minutes=1)
    (new,) = await ring.rotate("RS256")
    assert ring.signing_kid("RS256") == new.kid != old_kid
    assert ring.signing_kid("ES256") == es_kid
    assert kids(ring) == {new.kid, old_kid, es_kid}
    assert verify(before, ring.jwks())["sub"] == "old"
    assert jwt.get_unverified_header(ring.sign({}))["kid"] == new.kid
    old = await SqlSigningKeyRepository(engine).get(old_kid)
    assert old is not None
    assert old.status == "previous"
    assert old.not_after == clock.now + RETENTION


async def test_rotating_every_algorithm(ring: KeyRing) -> None:
    before = {alg: ring.signing_kid(alg) for alg in ("RS256", "ES256")}
    created = await ring.rotate()
    assert sorted(r.alg for r in created) == ["ES256", "RS256"]
    for alg in ("RS256", "ES256"):
        assert ring.signing_kid(alg) != before[alg]
    assert len(kids(ring)) == 4


async def test_previous_key_is_retired_after_not_after(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    old_kid = ring.signing_kid("RS256")
    await ring.rotate("RS256")
    clock.advance(seconds=RETENTION.total_seconds() - 1)
    await ring.refresh()
    assert old_kid in kids(ring)
    clock.advance(seconds=1)
    await ring.refresh()
    assert old_kid not in kids(ring)
    retired = await SqlSigningKeyRepository(engine).get(old_kid)
    assert retired is not None
    assert retired.status == "retired"
    assert len(kids(ring)) == 2


async def test_private_keys_are_encrypted_at_rest(engine: AsyncEngine, ring: KeyRing) -> None:
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT kid, private_key_encrypted FROM signing_keys"))).all()
    assert len(rows) == 2
    cipher = FieldCipher(SECRET, purpose="signing-keys")
    for kid, stored in rows:
        assert stored.startswith("v1.")
        assert "PRIVATE KEY" not in stored
        pem = cipher.decrypt(stored, associated_data=kid)
        assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        body = b"".join(pem.splitlines()[1:-1]).decode()
        assert body[:32] not in stored  # no stretch of the key's own base64 survives in the column


async def test_another_instance_sees_a_rotation_after_refresh(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    other = make_ring(engine, clock, refresh_interval=3600)
    await other.ensure_keys()
    assert other.jwks() == ring.jwks()
    (new,) = await ring.rotate("ES256")
    token = ring.sign({"sub": "x"}, alg="ES256")
    await other.refresh_if_stale()  # within the interval: no reload
    assert new.kid not in kids(other)
    assert await other.verification_key(new.kid) is not None  # an unknown kid forces one
    assert new.kid in kids(other)
    assert other.signing_kid("ES256") == new.kid
    assert verify(token, other.jwks())["sub"] == "x"
    assert await other.verification_key("made-up-kid") is None


async def test_stale_interval_triggers_a_reload(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    other = make_ring(engine, clock, refresh_interval=0)
    await other.ensure_keys()
    (new,) = await ring.rotate("RS256")
    await other.refresh_if_stale()
    assert other.signing_kid("RS256") == new.kid


async def test_activation_delay_publishes_before_signing(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    delayed = make_ring(engine, clock, activation_delay=timedelta(seconds=60))
    await delayed.ensure_keys()
    old_kid = delayed.signing_kid("RS256")
    (new,) = await delayed.rotate("RS256")
    assert new.kid in kids(delayed)
    assert delayed.signing_kid("RS256") == old_kid  # other instances may not publish the new key yet
    assert (await SqlSigningKeyRepository(engine).get(old_kid)).not_after == (  # type: ignore[union-attr]
        clock.now + timedelta(seconds=60) + RETENTION
    )
    clock.advance(seconds=60)
    assert delayed.signing_kid("RS256") == new.kid  # switches without a database round trip


async def test_first_key_signs_at_once_despite_the_delay(engine: AsyncEngine, clock: Clock) -> None:
    fresh = make_ring(engine, clock, activation_delay=timedelta(minutes=5))
    await fresh.ensure_keys()
    assert verify(fresh.sign({"sub": "a"}), fresh.jwks())["sub"] == "a"


async def test_wrong_secret_key_fails_loudly_and_changes_nothing(
    engine: AsyncEngine, ring: KeyRing, clock: Clock
) -> None:
    intruder = make_ring(engine, clock, secret="another-secret-key-0123456789abcdefgh")
    with pytest.raises(SigningKeyUnavailable, match="FRMR_SSO_SECRET_KEY"):
        await intruder.ensure_keys()
    with pytest.raises(SigningKeyUnavailable):
        await intruder.rotate()
    assert len(await SqlSigningKeyRepository(engine).list_all()) == 2


async def test_no_key_no_signature(engine: AsyncEngine, clock: Clock) -> None:
    empty = make_ring(engine, clock, algorithms=("RS256",))
    with pytest.raises(SigningKeyUnavailable):
        empty.sign({"sub": "x"})
    await empty.ensure_keys()
    with pytest.raises(SigningKeyUnavailable):
        empty.sign({"sub": "x"}, alg="ES256")
    with pytest.raises(UnsupportedAlgorithm):
        await empty.rotate("HS256")


class FlakyRepository(SqlSigningKeyRepository):
    down = False
    loads = 0

    async def list_published(self) -> Sequence[SigningKeyRecord]:
        self.loads += 1
        if self.down:
            raise StorageError("listing published keys failed: ConnectionRefusedError")
        return await super().list_published()


async def test_keys_in_memory_survive_a_database_outage(engine: AsyncEngine, clock: Clock) -> None:
    repository = FlakyRepository(engine)
    ring = KeyRing(repository, FieldCipher(SECRET, purpose="signing-keys"), retention=RETENTION,
                   refresh_interval=0, clock=clock)
    await ring.ensure_keys()
    jwks = ring.jwks()
    repository.down = True
    await ring.refresh_if_stale()
    assert ring.jwks() == jwks
    assert verify(ring.sign({"sub": "x"}), jwks)["sub"] == "x"


async def test_keys_are_created_on_first_use_when_start_could_not(engine: AsyncEngine, clock: Clock) -> None:
    late = make_ring(engine, clock, refresh_interval=0)
    await late.refresh_if_stale()
    assert len(late.jwks()["keys"]) == 2


async def test_concurrent_stale_checks_reload_once(engine: AsyncEngine, ring: KeyRing, clock: Clock) -> None:
    repository = FlakyRepository(engine)
    other = KeyRing(repository, FieldCipher(SECRET, purpose="signing-keys"), retention=RETENTION,
                    refresh_interval=3600, clock=clock)
    await asyncio.gather(*(other.refresh_if_stale() for _ in range(20)))
    assert repository.loads == 1
    assert other.jwks() == ring.jwks()
