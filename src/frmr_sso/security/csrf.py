"""The one CSRF scheme of every form: a token bound to what the form protects, checked here only.

A token is HMAC-SHA256 (base64url) under the key ``derive_key("csrf")`` of the
deployment secret over the form kind and the binding; for a kind with a lifetime
it is ``<issued>.<mac>``, the Unix time it was made taken into the MAC. The binding is the
session or login transaction the form acts on: the SSO session id
(``/account/sessions``, ``/account/2fa`` and its passkeys, the consent page, the
``/logout`` confirmation), the
pending login's id (``/login/2fa``), the cabinet's own session id (the
cabinet's forms). So a token is unknowable without the server's key, useless
for another session, transaction or kind of form, and nothing is stored to
check it. A kind may also have a lifetime (the logout confirmation: ten
minutes); the others live as long as what they are bound to. ``valid`` is the
only comparison, in constant time; every refusal (missing, malformed, forged,
another binding, expired) is the same ``False``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from enum import StrEnum

from frmr_sso.jose.b64 import b64url_encode
from frmr_sso.security.crypto import SecretKeys

PURPOSE = "csrf"
"""The ``SecretKeys.derive_key`` purpose of the key that makes every form's token."""
MAX_TOKEN = 128
LOGOUT_TTL = 600


class FormKind(StrEnum):
    """A kind of form, and so the kind of binding its token has."""

    ACCOUNT_SESSIONS = "account-sessions"  # the SSO session id
    ACCOUNT_SECOND_FACTOR = "account-2fa"  # the SSO session id
    ACCOUNT_PASSKEYS = "account-passkeys"  # the SSO session id
    CONSENT = "consent"  # the SSO session id
    LOGIN_SECOND_FACTOR = "login-2fa"  # the pending login's id
    LOGOUT = "logout"  # the SSO session id
    CABINET = "cabinet"  # the cabinet's session id


LIFETIMES: Mapping[FormKind, int] = {FormKind.LOGOUT: LOGOUT_TTL}


class CsrfTokens:
    """Makes the forms' tokens with the first key and accepts those of any (after a secret rotation)."""

    __slots__ = ("_clock", "_keys", "_lifetimes")

    def __init__(
        self,
        *keys: bytes,
        lifetimes: Mapping[FormKind, int] = LIFETIMES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not keys or any(len(key) < 32 for key in keys):
            raise ValueError("CSRF keys have at least 32 bytes")
        self._keys, self._lifetimes, self._clock = keys, dict(lifetimes), clock

    @classmethod
    def from_keys(cls, keys: SecretKeys) -> CsrfTokens:
        """Tokens made under the current deployment secret, accepted under the previous ones too."""
        return cls(*keys.opening_keys(PURPOSE))

    def issue(self, kind: FormKind, binding: str) -> str:
        """The token a form of ``kind`` acting on ``binding`` carries."""
        if not binding:
            raise ValueError("a CSRF token needs a binding")
        if kind not in self._lifetimes:
            return self._mac(kind, binding)
        issued = str(int(self._clock()))
        return f"{issued}.{self._mac(kind, binding, issued)}"

    def valid(self, kind: FormKind, binding: str | None, token: object) -> bool:
        """Whether ``token`` (as posted: anything) was issued for ``kind`` and ``binding``, and is live."""
        if not binding or not isinstance(token, str) or len(token) > MAX_TOKEN:
            return False
        lifetime = self._lifetimes.get(kind)
        if lifetime is None:
            return any(_same(self._mac(kind, binding, key=key), token) for key in self._keys)
        issued, _, mac = token.partition(".")
        if not (issued.isascii() and issued.isdigit() and len(issued) <= 12):
            return False
        live = int(self._clock()) - int(issued) < lifetime
        return live and any(_same(self._mac(kind, binding, issued, key=key), mac) for key in self._keys)

    def _mac(self, kind: FormKind, binding: str, *issued: str, key: bytes | None = None) -> str:
        message = "\x00".join((kind.value, binding, *issued)).encode()
        return b64url_encode(hmac.new(key or self._keys[0], message, hashlib.sha256).digest())


def _same(expected: str, posted: str) -> bool:
    """The one comparison of a posted token, in constant time."""
    return hmac.compare_digest(expected.encode(), posted.encode("utf-8", "replace"))
