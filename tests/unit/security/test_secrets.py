from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frmr_sso.security import secrets as module
from frmr_sso.security.secrets import (
    DUMMY_HASH,
    MalformedSecretHash,
    SecretVerifier,
    generate_client_secret,
    hash_secret,
    parse_secret_hash,
    verify_secret,
)


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes at the smallest accepted cost, so cache tests stay quick."""
    monkeypatch.setattr(module, "LOG2_N", 10)


class Spy:
    def __init__(self, wrapped: Callable[..., Any]) -> None:
        self.wrapped, self.calls = wrapped, []  # type: ignore[var-annotated]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(args)
        return self.wrapped(*args, **kwargs)


@pytest.fixture
def kdf(monkeypatch: pytest.MonkeyPatch) -> Spy:
    spy = Spy(module._scrypt)
    monkeypatch.setattr(module, "_scrypt", spy)
    return spy


@settings(max_examples=15, deadline=None)
@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_hash_round_trip(secret: str, other: str) -> None:
    encoded = hash_secret(secret)
    assert verify_secret(secret, encoded)
    assert verify_secret(other, encoded) is (other == secret)


def test_hash_is_self_describing_and_salted() -> None:
    first, second = hash_secret("demo-web-secret"), hash_secret("demo-web-secret")
    assert first.startswith("scrypt$ln=14,r=8,p=1$")
    assert first != second
    log2_n, r, p, salt, digest = parse_secret_hash(first)
    assert (log2_n, r, p, len(salt), len(digest)) == (14, 8, 1, 16, 32)
    assert "demo-web-secret" not in first
    assert len(first) <= 255  # the clients.secret_hash column


def test_empty_secret_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_secret("")


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch, fast_kdf: None) -> None:
    compare = Spy(hmac.compare_digest)
    monkeypatch.setattr(hmac, "compare_digest", compare)
    encoded = hash_secret("right-secret-value")
    assert not verify_secret("wrong-secret-value", encoded)
    assert verify_secret("right-secret-value", encoded)
    assert len(compare.calls) == 2


def test_unknown_client_costs_a_full_kdf_with_the_same_parameters(kdf: Spy) -> None:
    encoded = hash_secret("right-secret-value")
    kdf.calls.clear()
    assert not verify_secret("guess", encoded)
    assert not verify_secret("guess", None)
    (_, _, *known_params), (_, _, *dummy_params) = kdf.calls
    assert known_params == dummy_params  # log2_n, r, p: the same work for both answers


def test_the_dummy_hash_matches_no_secret() -> None:
    parse_secret_hash(DUMMY_HASH)
    assert not verify_secret("", None)
    assert not verify_secret("anything", DUMMY_HASH)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain-text",
        "bcrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        "scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,  # would take minutes and gigabytes
        "scrypt$ln=14,r=8$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        "scrypt$ln=14,r=8,p=1,x=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        "scrypt$ln=14,r=8,p=1$!!$" + "A" * 43,
        "scrypt$ln=14,r=8,p=1$AAAA$" + "A" * 43,
    ],
)
def test_malformed_or_unsafe_hashes_are_refused(encoded: str, kdf: Spy) -> None:
    with pytest.raises(MalformedSecretHash):
        parse_secret_hash(encoded)
    assert not verify_secret("secret", encoded)
    assert len(kdf.calls) == 1  # the dummy check still runs: no timing shortcut


def test_generated_secrets_are_long_random_and_url_safe() -> None:
    secrets = {generate_client_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) >= 43
        assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_verifier_remembers_successes_only(kdf: Spy, fast_kdf: None) -> None:
    verifier = SecretVerifier()
    encoded = hash_secret("right-secret-value")
    kdf.calls.clear()
    assert verifier.verify("app", "right-secret-value", encoded)
    assert verifier.verify("app", "right-secret-value", encoded)
    assert len(kdf.calls) == 1
    assert not verifier.verify("app", "wrong", encoded)
    assert not verifier.verify("app", "wrong", encoded)
    assert len(kdf.calls) == 3  # failures are never cached, nor made cheaper
    assert not verifier.verify("app", "x", None)
    assert len(verifier) == 1


def test_cache_entry_is_bound_to_client_and_stored_hash(kdf: Spy, fast_kdf: None) -> None:
    verifier = SecretVerifier()
    old = hash_secret("right-secret-value")
    assert verifier.verify("app", "right-secret-value", old)
    assert not verifier.remembered("other-app", "right-secret-value", old)
    new = hash_secret("a-new-secret-value")  # the operator changed the secret
    assert not verifier.remembered("app", "right-secret-value", new)
    assert not verifier.verify("app", "right-secret-value", new)


def test_cache_is_bounded_least_recently_used(fast_kdf: None) -> None:
    verifier = SecretVerifier(cache_size=3)
    hashes = {f"c{i}": hash_secret(f"secret-number-{i}") for i in range(5)}
    for client_id, encoded in list(hashes.items())[:3]:
        assert verifier.verify(client_id, f"secret-number-{client_id[1]}", encoded)
    assert verifier.remembered("c0", "secret-number-0", hashes["c0"])  # c0 is now the most recent
    for client_id in ("c3", "c4"):
        assert verifier.verify(client_id, f"secret-number-{client_id[1]}", hashes[client_id])
    assert len(verifier) == 3
    assert verifier.remembered("c0", "secret-number-0", hashes["c0"])
    assert not verifier.remembered("c1", "secret-number-1", hashes["c1"])
    assert not verifier.remembered("c2", "secret-number-2", hashes["c2"])
    verifier.clear()
    assert len(verifier) == 0


def test_cache_can_be_switched_off(fast_kdf: None) -> None:
    verifier = SecretVerifier(cache_size=0)
    encoded = hash_secret("right-secret-value")
    assert verifier.verify("app", "right-secret-value", encoded)
    assert len(verifier) == 0
    with pytest.raises(ValueError, match="negative"):
        SecretVerifier(cache_size=-1)


async def test_async_verification_runs_and_caches(kdf: Spy, fast_kdf: None) -> None:
    verifier = SecretVerifier()
    encoded = hash_secret("right-secret-value")
    kdf.calls.clear()
    assert await verifier.averify("app", "right-secret-value", encoded)
    assert await verifier.averify("app", "right-secret-value", encoded)
    assert not await verifier.averify("app", "nope", None)
    assert len(kdf.calls) == 2
