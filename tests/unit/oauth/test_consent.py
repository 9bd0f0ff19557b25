"""The consent rule: first-party never asked; a subset of what was allowed passes; a wider set, prompt=consent
and prompt=none behave as OIDC Core §3.1.2.4 and §3.1.2.6 say."""

from __future__ import annotations

import pytest

from frmr_sso.oauth.consent import ConsentDecision, decide

GRANTED, ASK, REQUIRED = ConsentDecision.GRANTED, ConsentDecision.ASK, ConsentDecision.REQUIRED
ALLOWED = ("openid", "profile", "frmr")


@pytest.mark.parametrize(
    ("first_party", "scope", "allowed", "prompt", "expected"),
    [
        (True, ("openid", "frmr"), None, (), GRANTED),  # the cabinet: never asked
        (True, ("openid", "frmr"), None, ("consent",), GRANTED),
        (True, ("openid", "frmr"), None, ("none",), GRANTED),
        (False, ("openid", "frmr"), None, (), ASK),  # never asked before
        (False, ("openid", "frmr"), None, ("none",), REQUIRED),
        (False, ("openid", "frmr"), None, ("login",), ASK),
        (False, ALLOWED, ALLOWED, (), GRANTED),  # the same set
        (False, ("openid", "frmr"), ALLOWED, (), GRANTED),  # a subset
        (False, ("openid",), ALLOWED, ("none",), GRANTED),
        (False, ("openid", "frmr", "snils"), ALLOWED, (), ASK),  # a wider set asks again
        (False, ("openid", "frmr", "snils"), ALLOWED, ("none",), REQUIRED),
        (False, ("openid",), ALLOWED, ("consent",), ASK),  # prompt=consent always asks
        (False, ("openid",), ALLOWED, ("consent", "login"), ASK),
        (False, ("openid",), (), (), ASK),  # an empty remembered set allows nothing
    ],
)
def test_the_consent_rule(
    first_party: bool,
    scope: tuple[str, ...],
    allowed: tuple[str, ...] | None,
    prompt: tuple[str, ...],
    expected: ConsentDecision,
) -> None:
    assert decide(first_party=first_party, scope=scope, allowed=allowed, prompt=prompt) is expected
