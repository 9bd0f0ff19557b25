"""The one CSRF scheme: a token is valid for its form kind and binding only, compared in constant time."""

from __future__ import annotations

import pytest

from frmr_sso.security.crypto import SecretKeys
from frmr_sso.security.csrf import LOGOUT_TTL, PURPOSE, CsrfTokens, FormKind

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("kind", list(FormKind))
def test_the_right_token_is_valid(kind: FormKind) -> None:
    tokens = CsrfTokens(KEY)
    assert tokens.valid(kind, "session-1", tokens.issue(kind, "session-1"))


@pytest.mark.parametrize("kind", list(FormKind))
def test_a_token_of_another_session_or_transaction_is_refused(kind: FormKind) -> None:
    tokens = CsrfTokens(KEY)
    assert not tokens.valid(kind, "session-2", tokens.issue(kind, "session-1"))


@pytest.mark.parametrize("kind", list(FormKind))
def test_a_token_of_another_kind_of_form_is_refused(kind: FormKind) -> None:
    tokens = CsrfTokens(KEY)
    for other in FormKind:
        if other is not kind:
            assert not tokens.valid(kind, "session-1", tokens.issue(other, "session-1"))


@pytest.mark.parametrize("kind", list(FormKind))
def test_a_token_under_another_key_is_refused(kind: FormKind) -> None:
    foreign = CsrfTokens(b"f" * 32).issue(kind, "session-1")
    assert not CsrfTokens(KEY).valid(kind, "session-1", foreign)


@pytest.mark.parametrize(
    "posted", [None, "", "x", "forged", "0" * 64, 12345, ["a"], "é" * 10, "1." + "A" * 43, "a" * 129]
)
def test_missing_empty_malformed_or_forged_tokens_are_refused(posted: object) -> None:
    tokens = CsrfTokens(KEY)
    for kind in FormKind:
        assert not tokens.valid(kind, "session-1", posted)


def test_a_token_with_a_changed_character_is_refused() -> None:
    tokens = CsrfTokens(KEY)
    for kind in FormKind:
        token = tokens.issue(kind, "session-1")
        changed = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert not tokens.valid(kind, "session-1", changed)


def test_no_binding_no_token() -> None:
    tokens = CsrfTokens(KEY)
    with pytest.raises(ValueError, match="binding"):
        tokens.issue(FormKind.ACCOUNT_SESSIONS, "")
    token = tokens.issue(FormKind.ACCOUNT_SESSIONS, "session-1")
    assert not tokens.valid(FormKind.ACCOUNT_SESSIONS, None, token)
    assert not tokens.valid(FormKind.ACCOUNT_SESSIONS, "", token)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CsrfTokens(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        CsrfTokens()


def test_the_logout_confirmation_lives_ten_minutes_and_its_time_cannot_be_moved() -> None:
    clock = Clock()
    tokens = CsrfTokens(KEY, clock=clock)
    token = tokens.issue(FormKind.LOGOUT, "session-1")
    issued, _, mac = token.partition(".")
    assert not tokens.valid(FormKind.LOGOUT, "session-1", f"{int(issued) + 500}.{mac}")
    clock.now += LOGOUT_TTL - 1
    assert tokens.valid(FormKind.LOGOUT, "session-1", token)
    clock.now += 1
    assert not tokens.valid(FormKind.LOGOUT, "session-1", token)


def test_tokens_without_a_lifetime_stay_the_same_for_their_binding() -> None:
    clock = Clock()
    tokens = CsrfTokens(KEY, clock=clock)
    first = tokens.issue(FormKind.CABINET, "session-1")
    clock.now += 86_400
    assert tokens.issue(FormKind.CABINET, "session-1") == first
    assert tokens.valid(FormKind.CABINET, "session-1", first)


def test_the_key_is_derived_from_the_deployment_secret_and_previous_secrets_still_count() -> None:
    old, new = "old-secret-key-0123456789abcdef0123", "new-secret-key-fedcba9876543210fedc"
    before = CsrfTokens.from_keys(SecretKeys(old))
    after = CsrfTokens.from_keys(SecretKeys(new, [old]))
    token = before.issue(FormKind.ACCOUNT_SESSIONS, "session-1")
    assert after.valid(FormKind.ACCOUNT_SESSIONS, "session-1", token)
    assert after.issue(FormKind.ACCOUNT_SESSIONS, "session-1") == CsrfTokens(
        SecretKeys(new).derive_key(PURPOSE)
    ).issue(FormKind.ACCOUNT_SESSIONS, "session-1")
    assert not CsrfTokens.from_keys(SecretKeys(new)).valid(FormKind.ACCOUNT_SESSIONS, "session-1", token)
