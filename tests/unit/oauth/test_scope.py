from __future__ import annotations

import pytest

from frmr_sso.oauth.errors import InvalidScope
from frmr_sso.oauth.scope import format_scope, narrow, parse_scope, within


def test_parse_keeps_order_and_drops_repeats() -> None:
    assert parse_scope("openid profile  openid frmr") == ("openid", "profile", "frmr")
    assert parse_scope(None) == ()
    assert parse_scope("") == ()


@pytest.mark.parametrize("bad", ['openid "x"', "openid back\\slash", "openid\tprofile", "профиль"])
def test_malformed_scope_tokens(bad: str) -> None:
    with pytest.raises(InvalidScope):
        parse_scope(bad)


def test_narrow_and_within() -> None:
    assert narrow(("openid", "unknown", "profile"), frozenset({"profile", "openid"})) == ("openid", "profile")
    assert within(("openid",), ("openid", "profile"))
    assert within((), ("openid",))
    assert not within(("openid", "frmr"), ("openid",))
    assert format_scope(("openid", "profile")) == "openid profile"
