"""Client secrets: scrypt hashes in a self-describing format, verified in constant time.

A stored hash reads ``scrypt$ln=14,r=8,p=1$<salt>$<digest>`` (base64url, no
padding), so its parameters can grow without a migration. An unknown client is
checked against ``DUMMY_HASH`` with the same parameters: a wrong client id costs
as much time as a wrong secret (full-stack-fastapi-template does the same).

The token endpoint must not run a 40 ms KDF on every request, so
``SecretVerifier`` remembers successful checks in a bounded LRU. Its key is an
HMAC, under a per-process random key, of the client id, the secret *and the
stored hash*: a new secret_hash can never match an old entry, and the cache
holds nothing an attacker could test guesses against offline. Only successes
are kept, so failed guesses neither fill it nor get cheaper.
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from collections import OrderedDict

from frmr_sso.jose.b64 import b64url_decode, b64url_encode

SCHEME = "scrypt"
LOG2_N, BLOCK_SIZE, PARALLELISM = 14, 8, 1
SALT_BYTES, DIGEST_BYTES = 16, 32
_MAX_LOG2_N = 20
DUMMY_HASH = f"{SCHEME}$ln={LOG2_N},r={BLOCK_SIZE},p={PARALLELISM}$" + "A" * 22 + "$" + "A" * 43


class MalformedSecretHash(ValueError):
    """A stored secret hash is not in the ``scrypt$…`` format or has unsafe parameters."""


def generate_client_secret(nbytes: int = 32) -> str:
    """A random secret for a confidential client: 256 bits, URL-safe, shown to the operator once."""
    return secrets.token_urlsafe(nbytes)


def _scrypt(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p + (1 << 20), dklen=DIGEST_BYTES
    )


def hash_secret(secret: str) -> str:
    if not secret:
        raise ValueError("a client secret must not be empty")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(secret, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    params = f"ln={LOG2_N},r={BLOCK_SIZE},p={PARALLELISM}"
    return f"{SCHEME}${params}${b64url_encode(salt)}${b64url_encode(digest)}"


def parse_secret_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    """``(log2_n, r, p, salt, digest)``; MalformedSecretHash when it is not ours or unsafe to run."""
    try:
        scheme, params, salt_text, digest_text = encoded.split("$")
        values = dict(item.split("=", 1) for item in params.split(","))
        log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        salt, digest = b64url_decode(salt_text), b64url_decode(digest_text)
    except (ValueError, KeyError, binascii.Error):
        raise MalformedSecretHash("a secret hash must read scrypt$ln=…,r=…,p=…$salt$digest") from None
    if scheme != SCHEME or set(values) != {"ln", "r", "p"}:
        raise MalformedSecretHash(f"unsupported secret hash scheme {scheme!r}")
    if not (10 <= log2_n <= _MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16) or len(salt) < 8 or not digest:
        raise MalformedSecretHash("secret hash parameters are out of the accepted range")
    return log2_n, r, p, salt, digest


def verify_secret(secret: str, encoded: str | None) -> bool:
    """True when ``secret`` matches ``encoded``; ``None`` (unknown client) costs the same and fails."""
    known = encoded is not None
    try:
        log2_n, r, p, salt, digest = parse_secret_hash(encoded if encoded is not None else DUMMY_HASH)
    except MalformedSecretHash:
        known = False
        log2_n, r, p, salt, digest = parse_secret_hash(DUMMY_HASH)
    candidate = _scrypt(secret, salt, log2_n, r, p)
    matches = hmac.compare_digest(candidate, digest)
    return matches and known


class SecretVerifier:
    """``verify_secret`` with a bounded memory of recent successes (see the module docstring)."""

    def __init__(self, *, cache_size: int = 4096) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self.cache_size = cache_size
        self._key = os.urandom(32)
        self._hits: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._hits)

    def _cache_key(self, client_id: str, secret: str, secret_hash: str | None) -> bytes:
        # lengths in characters make the split unambiguous; the hash is last, so needs none
        message = f"{len(client_id)}:{client_id}{len(secret)}:{secret}{secret_hash or ''}"
        return hmac.digest(self._key, message.encode("utf-8", "surrogatepass"), "sha256")

    def remembered(self, client_id: str, secret: str, secret_hash: str | None) -> bool:
        if secret_hash is None:
            return False
        key = self._cache_key(client_id, secret, secret_hash)
        with self._lock:
            if key not in self._hits:
                return False
            self._hits.move_to_end(key)
            return True

    def _remember(self, client_id: str, secret: str, secret_hash: str) -> None:
        if self.cache_size == 0:
            return
        key = self._cache_key(client_id, secret, secret_hash)
        with self._lock:
            self._hits[key] = None
            self._hits.move_to_end(key)
            while len(self._hits) > self.cache_size:
                self._hits.popitem(last=False)

    def verify(self, client_id: str, secret: str, secret_hash: str | None) -> bool:
        if self.remembered(client_id, secret, secret_hash):
            return True
        ok = verify_secret(secret, secret_hash)
        if ok and secret_hash is not None:
            self._remember(client_id, secret, secret_hash)
        return ok

    async def averify(self, client_id: str, secret: str, secret_hash: str | None) -> bool:
        """``verify`` that runs the KDF in a worker thread, keeping the event loop free."""
        if self.remembered(client_id, secret, secret_hash):
            return True
        return await asyncio.to_thread(self.verify, client_id, secret, secret_hash)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
