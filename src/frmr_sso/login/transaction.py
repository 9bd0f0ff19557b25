"""The login transaction: what the broker must remember across the upstream round trip.

Opened at ``/authorize`` and kept in the KV store under the upstream ``state``
(a UUID) for ``login_transaction_ttl`` seconds. It is one-time (read with
``get_and_delete``) and bound to the browser: the browser holds a random value
in the cookie ``frmr_sso_tx`` and the transaction stores only its SHA-256, so a
callback replayed from another browser (login CSRF, a leaked callback URL)
finds no transaction of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from frmr_sso.records import field_values
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.upstream.base import is_uuid, new_code_verifier, new_nonce, new_state

BROWSER_COOKIE = "frmr_sso_tx"
BROWSER_BYTES = 32
_BROWSER_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PREFIX = "login:tx:"


def new_browser_binding() -> str:
    return secrets.token_urlsafe(BROWSER_BYTES)


def is_browser_binding(value: str | None) -> bool:
    return value is not None and _BROWSER_SHAPE.match(value) is not None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginTransaction:
    connector: str
    state: str
    nonce: str
    code_verifier: str | None
    request: dict[str, Any]
    """``AuthorizationRequest.to_dict()`` of the request that started the login."""
    browser_hash: str
    created_at: int

    def to_json(self) -> str:
        return json.dumps(field_values(self), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> LoginTransaction:
        return cls(**json.loads(raw))

    def bound_to(self, browser: str) -> bool:
        return hmac.compare_digest(self.browser_hash, _digest(browser))


class LoginTransactions:
    def __init__(self, kv: KeyValueStore, *, ttl: int, clock: Callable[[], float] = time.time) -> None:
        self._kv, self.ttl, self._clock = kv, ttl, clock

    async def open(
        self, *, connector: str, request: Mapping[str, Any], browser: str, pkce: bool
    ) -> LoginTransaction:
        """A new transaction for ``browser`` (the ``frmr_sso_tx`` cookie value)."""
        if not is_browser_binding(browser):
            raise ValueError("the browser binding must come from new_browser_binding()")
        transaction = LoginTransaction(
            connector=connector,
            state=new_state(),
            nonce=new_nonce(),
            code_verifier=new_code_verifier() if pkce else None,
            request=dict(request),
            browser_hash=_digest(browser),
            created_at=int(self._clock()),
        )
        await self._kv.set(_PREFIX + transaction.state, transaction.to_json(), ttl=self.ttl)
        return transaction

    async def consume(
        self, state: str | None, browser: str | None, *, connector: str
    ) -> LoginTransaction | None:
        """The transaction of ``state``, removed in the same step; None when unknown, expired,
        used, opened by another browser or for another connector."""
        if state is None or not is_uuid(state) or not is_browser_binding(browser):
            return None
        # Check the binding before spending: a forged callback carrying someone else's state
        # must not use up their login. Then one atomic read-and-delete decides who wins.
        raw = await self._kv.get(_PREFIX + state)
        if raw is None or not self._fits(LoginTransaction.from_json(raw), browser, connector):
            return None
        raw = await self._kv.get_and_delete(_PREFIX + state)
        if raw is None:
            return None
        transaction = LoginTransaction.from_json(raw)
        return transaction if self._fits(transaction, browser, connector) else None

    @staticmethod
    def _fits(transaction: LoginTransaction, browser: str | None, connector: str) -> bool:
        return browser is not None and transaction.bound_to(browser) and transaction.connector == connector
