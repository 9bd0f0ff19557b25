"""Opaque (reference) access tokens: a short random handle for claims kept in the key-value store.

A client registered with ``access_token_format: opaque`` gets, instead of an
RFC 9068 JWT, ``frmr_at_`` followed by 32 random bytes in base64url (51
characters). The broker keeps only an HMAC-SHA256 of the token under a key
derived from the deployment secret, as the key of a record holding the same
claims a JWT would carry (and, hidden, the refresh family it came from), for
exactly the token's lifetime. Resource servers cannot read it: they introspect
it (RFC 7662) or call UserInfo. It is checked by the one bearer validator
(``oauth.bearer``), revoked by the same denylist as a JWT (``oauth.access_tokens``)
and, being short, can be a cache key at a relying party (mod_auth_openidc caches
introspection per token).

After a change of the deployment secret, tokens keyed under a previous secret
are still found (each accepted secret's key is tried in one read).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Literal

AccessTokenFormat = Literal["jwt", "opaque"]
JWT: AccessTokenFormat = "jwt"
OPAQUE: AccessTokenFormat = "opaque"
FORMATS: tuple[AccessTokenFormat, ...] = (JWT, OPAQUE)
KEY_PURPOSE = "opaque-access-tokens"
TOKEN_PREFIX = "frmr_at_"  # noqa: S105 - the marker of the format, not a secret
TOKEN_BYTES = 32
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # 32 bytes in base64url without padding
RECORD_PREFIX = "oauth:at:"
_FAMILY = "family_id"


def is_opaque(token: str) -> bool:
    """The shape of our opaque access tokens (refresh tokens are 43 characters with no prefix)."""
    return len(token) == TOKEN_LENGTH and token.startswith(TOKEN_PREFIX)


class OpaqueTokens:
    """Mints opaque access tokens and finds their records' keys; ``keys``: the current key first."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        self._keys = tuple(keys)

    def mint(self, claims: Mapping[str, Any], family_id: str | None = None) -> tuple[str, str, str]:
        """A new token, the key of its record and the record (claims plus the hidden family id)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        record = dict(claims)
        if family_id is not None:
            record[_FAMILY] = family_id
        return token, self._record_key(self._keys[0], token), json.dumps(record, separators=(",", ":"))

    def record_keys(self, token: str) -> list[str]:
        """Where the record of ``token`` may be, under each accepted key, the current one first."""
        return [self._record_key(key, token) for key in self._keys]

    @staticmethod
    def _record_key(key: bytes, token: str) -> str:
        return RECORD_PREFIX + hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def read_record(raw: str | None) -> tuple[dict[str, Any], str | None] | None:
    """The claims of a stored record and its refresh family id; None when absent or unreadable."""
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    family = record.pop(_FAMILY, None)
    return record, family if isinstance(family, str) else None
