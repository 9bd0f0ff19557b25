"""The client registry: cached ``Client`` look-ups and client authentication (RFC 6749 §2.3.1).

Clients come from the database, which the CLI, the YAML file
(``FRMR_SSO_CLIENTS_FILE``, see ``oauth/client_specs.py``) and the demo seed
fill. Look-ups are served from a bounded in-process cache whose entries live
``refresh_interval`` seconds, so the token endpoint reaches the database about
once per client per interval, and a client removed on another instance stops
working within that time. Unknown ids are remembered briefly too, so a flood of
made-up ids cannot turn into a flood of queries.

``authenticate`` answers every failure with the same ``InvalidClient`` after the
same amount of work: an unknown client is checked against a dummy hash.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote_plus

from frmr_sso.oauth.client_specs import DEMO_CLIENTS, ClientSpec, read_clients_file
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidClient, InvalidRequest
from frmr_sso.security.secrets import SecretVerifier, hash_secret, verify_secret
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import ClientRecord, ClientRepository

log = logging.getLogger(__name__)

AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post", "none"})
_FAILED = "client authentication failed"


def parse_basic_credentials(authorization: str) -> tuple[str, str]:
    """``Authorization: Basic …`` → (client_id, secret), each form-urlencoded per RFC 6749 §2.3.1."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise InvalidClient("client authentication must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def client_credentials(
    authorization: str | None, form_client_id: str | None, form_secret: str | None
) -> tuple[str, str | None, str]:
    """(client_id, secret, method) from a token-endpoint request; one method only (RFC 6749 §2.3)."""
    if authorization:
        if form_secret is not None:
            raise InvalidRequest("use one client authentication method, not both")
        client_id, secret = parse_basic_credentials(authorization)
        if form_client_id is not None and form_client_id != client_id:
            raise InvalidClient(_FAILED)
        return client_id, secret, "client_secret_basic"
    if not form_client_id:
        raise InvalidClient("client authentication is required")
    if form_secret is not None:
        return form_client_id, form_secret, "client_secret_post"
    return form_client_id, None, "none"


class ClientService:
    def __init__(
        self,
        repository: ClientRepository,
        *,
        verifier: SecretVerifier | None = None,
        refresh_interval: float = 60.0,
        unknown_ttl: float = 5.0,
        max_cached: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repo = repository
        self.verifier = verifier or SecretVerifier()
        self.refresh_interval, self.unknown_ttl, self.max_cached = refresh_interval, unknown_ttl, max_cached
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Client | None]] = OrderedDict()

    async def get(self, client_id: str) -> Client | None:
        now = self._clock()
        entry = self._cache.get(client_id)
        if entry is not None and entry[0] > now:
            self._cache.move_to_end(client_id)
            return entry[1]
        try:
            record = await self._repo.get(client_id)
        except StorageError:
            if entry is None or entry[1] is None:
                raise
            log.warning("client store unreachable; serving the cached client", extra={"client_id": client_id})
            return entry[1]
        client = None if record is None else Client.from_record(record)
        self._remember(client_id, client, now)
        return client

    def _remember(self, client_id: str, client: Client | None, now: float) -> None:
        ttl = self.refresh_interval if client is not None else self.unknown_ttl
        self._cache[client_id] = (now + ttl, client)
        self._cache.move_to_end(client_id)
        while len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)

    def forget(self, client_id: str | None = None) -> None:
        """Drop one cached client, or all of them."""
        if client_id is None:
            self._cache.clear()
        else:
            self._cache.pop(client_id, None)

    async def authenticate(self, client_id: str, *, secret: str | None, method: str) -> Client:
        if method not in AUTH_METHODS:
            raise InvalidClient(f"unsupported client authentication method {method!r}")
        client = await self.get(client_id)
        if method == "none":
            if client is None or not client.public or secret is not None:
                raise InvalidClient(_FAILED)
            return client
        if secret is None:
            raise InvalidClient(_FAILED)
        secret_hash = None if client is None or client.public else client.secret_hash
        ok = await self.verifier.averify(client_id, secret, secret_hash)  # dummy hash when None
        if not ok or client is None:
            raise InvalidClient(_FAILED)
        return client

    # -- administration -------------------------------------------------------------------

    async def list(self) -> Sequence[ClientRecord]:
        return await self._repo.list()

    async def add(self, spec: ClientSpec) -> Client:
        """Register a new client; StorageConflict when the id is taken."""
        record = await self._record(spec.validated(), None)
        await self._repo.add(record)
        self.forget(spec.client_id)
        return Client.from_record(record)

    async def save(self, spec: ClientSpec) -> Client:
        """Insert or replace; a plain secret that still matches the stored hash keeps that hash."""
        record = await self._record(spec.validated(), await self._repo.get(spec.client_id))
        await self._repo.upsert(record)
        self.forget(spec.client_id)
        return Client.from_record(record)

    async def remove(self, client_id: str) -> bool:
        removed = await self._repo.remove(client_id)
        self.forget(client_id)
        return removed

    async def load_yaml(self, path: Path, *, production: bool = False) -> Sequence[Client]:
        """Upsert every client of the file; clients not in the file are left alone."""
        saved = [await self.save(spec) for spec in read_clients_file(path, production=production)]
        log.info("clients loaded from file", extra={"path": str(path), "count": len(saved)})
        return saved

    async def seed_demo_clients(self) -> Sequence[Client]:
        return [await self.save(spec) for spec in DEMO_CLIENTS]

    async def _record(self, spec: ClientSpec, existing: ClientRecord | None) -> ClientRecord:
        secret_hash = spec.secret_hash
        if spec.secret is not None:
            old = existing.secret_hash if existing is not None else None
            if old is not None and await asyncio.to_thread(verify_secret, spec.secret, old):
                secret_hash = old
            else:
                secret_hash = await asyncio.to_thread(hash_secret, spec.secret)
        return spec.to_record(secret_hash)
