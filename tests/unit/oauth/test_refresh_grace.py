"""The sealed copy of a rotated refresh token's child: only its parent token opens it, only in its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frmr_sso.oauth.refresh import hash_token, open_for_grace, seal_for_grace

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PARENT, CHILD = "parent-token-" + "p" * 30, "child-token-" + "c" * 31


def test_the_parent_token_opens_the_child_within_the_window() -> None:
    sealed = seal_for_grace(PARENT, CHILD, NOW, 5)
    assert sealed is not None
    assert CHILD not in sealed
    assert open_for_grace(PARENT, sealed, NOW) == CHILD
    assert open_for_grace(PARENT, sealed, NOW + timedelta(seconds=4.9)) == CHILD


def test_after_the_window_nothing_opens() -> None:
    sealed = seal_for_grace(PARENT, CHILD, NOW, 5)
    assert open_for_grace(PARENT, sealed, NOW + timedelta(seconds=5)) is None


def test_another_token_or_a_tampered_copy_opens_nothing() -> None:
    sealed = seal_for_grace(PARENT, CHILD, NOW, 5)
    assert sealed is not None
    assert open_for_grace(CHILD, sealed, NOW) is None
    assert open_for_grace(hash_token(PARENT), sealed, NOW) is None  # the stored hash is not the key
    tampered = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    assert open_for_grace(PARENT, tampered, NOW) is None
    assert open_for_grace(PARENT, "not base64 !", NOW) is None
    assert open_for_grace(PARENT, None, NOW) is None


def test_without_a_window_nothing_is_sealed() -> None:
    assert seal_for_grace(PARENT, CHILD, NOW, 0) is None
    assert seal_for_grace(PARENT, CHILD, NOW, 5) != seal_for_grace(PARENT, CHILD, NOW, 5)  # fresh nonce
