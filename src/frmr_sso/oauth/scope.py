"""Access token scope (RFC 6749 §3.3): parsing, formatting and the broker's narrowing policy.

Scopes stay in the order the client asked for them, without duplicates, so the
``scope`` a client gets back reads like the one it sent.

Policy: "a client gets only scopes it is registered for" (DESIGN). At the
authorization and client_credentials endpoints scopes the client is not
registered for, and scopes nobody knows, are dropped from the grant (RFC 6749
§3.3 lets the server grant less; the token response then names what was
granted). On refresh a scope beyond the original grant is an error, as
RFC 6749 §6 requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from frmr_sso.oauth.errors import InvalidScope

OPENID = "openid"
OFFLINE_ACCESS = "offline_access"
USER_SCOPES = frozenset({OPENID, OFFLINE_ACCESS})
"""Scopes that only make sense with an end-user: never granted to client_credentials."""

# scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")

Scope = tuple[str, ...]


def parse_scope(value: str | None) -> Scope:
    """Scope tokens in request order without repeats; InvalidScope when malformed."""
    if not value:
        return ()
    tokens: dict[str, None] = {}
    for token in value.split(" "):
        if not token:
            continue  # tolerate doubled spaces, as most servers do
        if _SCOPE_TOKEN.fullmatch(token) is None:
            raise InvalidScope("scope is malformed")
        tokens[token] = None
    return tuple(tokens)


def format_scope(scope: Iterable[str]) -> str:
    return " ".join(scope)


def narrow(requested: Scope, allowed: frozenset[str]) -> Scope:
    """The requested scopes the client is registered for, in request order."""
    return tuple(token for token in requested if token in allowed)


def within(requested: Scope, granted: Scope) -> bool:
    return set(requested) <= set(granted)
