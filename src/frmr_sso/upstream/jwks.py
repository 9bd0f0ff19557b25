"""The provider's published signing keys, cached per connector.

* fetched lazily on the first token, kept for ``ttl`` seconds;
* a token whose ``kid`` is not in the cache (or, without a ``kid``, whose
  algorithm no cached key has) makes one refetch (key rotation),
  at most once every ``min_refetch_interval`` seconds, so tokens with invented
  ``kid`` values cannot turn us into a load generator against the provider;
* concurrent callers share one fetch (single flight): whoever waits on the lock
  finds the fetch done, or its failure, and does not fetch again;
* when a fetch fails after the TTL ran out, the stale keys stay in use: keys are
  rotated with overlap, and a provider hiccup should not fail every login.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from frmr_sso.upstream.errors import UpstreamProtocolError, UpstreamUnavailable

JwksFetch = Callable[[], Awaitable[Mapping[str, Any]]]
Jwk = dict[str, Any]

KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP", "GO": "GOST3410"}
log = logging.getLogger("frmr_sso.upstream.jwks")


def key_type_for(alg: str) -> str | None:
    return KEY_TYPE.get(alg[:2])


def _fits(jwk: Jwk, kid: str | None, alg: str) -> bool:
    if kid is not None and jwk.get("kid") != kid:
        return False
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
        return False
    return bool(jwk.get("kty") == key_type_for(alg))


def parse_jwks(document: Mapping[str, Any], *, connector: str = "") -> list[Jwk]:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise UpstreamProtocolError("the JWKS has no keys list", connector=connector, reason="bad_jwks")
    return [dict(key) for key in keys if isinstance(key, dict) and isinstance(key.get("kty"), str)]


class JwksCache:
    def __init__(
        self,
        fetch: JwksFetch,
        *,
        connector: str = "",
        ttl: float = 300.0,
        min_refetch_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._connector = connector
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self._clock = clock
        self._lock = asyncio.Lock()
        self._keys: list[Jwk] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._attempts = 0
        self._last_error: BaseException | None = None
        self.fetches = 0  # completed fetch attempts, for tests and metrics

    async def candidates(self, *, kid: str | None, alg: str) -> list[Jwk]:
        """Keys that may have signed a token with this header; refetches once when none fits."""
        keys = await self._current()
        found = [key for key in keys if _fits(key, kid, alg)]
        if found:
            return found
        if not self._lock.locked() and not self._may_refetch():
            return found
        await self._refresh(self._attempts, keep_stale=False)  # or wait for the fetch under way
        return [key for key in self._keys or () if _fits(key, kid, alg)]

    async def reachable(self) -> bool:
        """For readiness probes: did the last fetch succeed? Fetches only when the cache is empty or
        expired and no attempt was made within ``min_refetch_interval``, so probes never hammer the
        provider; an outage is reported until a later attempt succeeds."""
        expired = self._keys is None or self._clock() - self._fetched_at >= self.ttl
        if expired and self._may_refetch() and not self._lock.locked():
            with contextlib.suppress(UpstreamUnavailable, UpstreamProtocolError):
                await self._refresh(self._attempts, keep_stale=True)
        return self._keys is not None and self._last_error is None

    async def _current(self) -> list[Jwk]:
        if self._keys is None or self._clock() - self._fetched_at >= self.ttl:
            await self._refresh(self._attempts, keep_stale=True)
        return self._keys or []

    def _may_refetch(self) -> bool:
        last = self._attempted_at
        return last is None or self._clock() - last >= self.min_refetch_interval

    async def _refresh(self, seen_attempts: int, *, keep_stale: bool) -> None:
        async with self._lock:
            if self._attempts != seen_attempts:  # another caller fetched while this one waited
                if self._keys is None and self._last_error is not None:
                    raise self._last_error
                return
            self._attempted_at = self._clock()
            try:
                keys = parse_jwks(await self._fetch(), connector=self._connector)
            except (UpstreamUnavailable, UpstreamProtocolError) as exc:
                self._attempts += 1
                self.fetches += 1
                self._last_error = exc
                if keep_stale and self._keys is not None:
                    self._fetched_at = self._clock() - self.ttl + self.min_refetch_interval
                    log.warning("JWKS refresh failed; keeping the cached keys", extra={"reason": exc.reason})
                    return
                raise
            self._attempts += 1
            self.fetches += 1
            self._keys, self._fetched_at, self._last_error = keys, self._clock(), None
