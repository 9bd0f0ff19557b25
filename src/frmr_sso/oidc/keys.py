"""``KeyRing``: the provider's token signing keys, rotated without downtime.

Per algorithm one key is *active* (it signs) and earlier ones are *previous*
(still in the JWKS, so tokens they signed keep verifying) until ``not_after``,
after which the next refresh retires them. Private keys are stored encrypted
(``security.crypto``, bound to their kid); the published set lives in memory
with its JSON ready, so signing and ``/jwks`` never touch the database.

Several instances share the database. Each reloads when ``refresh_if_stale``
finds the last load older than ``refresh_interval`` and when asked for an
unknown kid. With ``activation_delay`` a freshly rotated key is published at
once but signs only after the delay, by which time every instance serves it in
its JWKS; until then the previous key keeps signing. A rotation given an
``Auditor`` writes one ``keys.rotated`` record per new key (kid, alg).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from frmr_sso.audit.events import INFO, AuditContext, Auditor, Event
from frmr_sso.errors import FrmrSsoError
from frmr_sso.oidc.jwks import (
    SUPPORTED_ALGORITHMS,
    PrivateKey,
    check_algorithm,
    generate_private_key,
    load_private_key,
    private_key_pem,
    public_jwk,
)
from frmr_sso.security.crypto import DecryptionError, FieldCipher
from frmr_sso.storage.errors import StorageError
from frmr_sso.storage.ports import SigningKeyRecord, SigningKeyRepository, utcnow

log = logging.getLogger(__name__)
UNKNOWN_KID_REFRESH_INTERVAL = 5.0  # seconds; bounds reloads forced by tokens with made-up kids


class SigningKeyUnavailable(FrmrSsoError):
    """No usable signing key for the algorithm: ``ensure_keys`` was not run, or it was removed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(key: PrivateKey, signing_input: bytes) -> bytes:
    """RS256: PKCS#1 v1.5 over SHA-256. ES256: the raw r || s of RFC 7518 §3.4, not DER."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True, slots=True)
class _Signer:
    kid: str
    key: PrivateKey
    activates_at: datetime


@dataclass(frozen=True, slots=True)
class _State:
    published: dict[str, jwt.PyJWK] = field(default_factory=dict)
    signers: dict[str, tuple[_Signer, ...]] = field(default_factory=dict)
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    jwks_json: bytes = b'{"keys":[]}'


class KeyRing:
    def __init__(
        self,
        repository: SigningKeyRepository,
        cipher: FieldCipher,
        *,
        retention: timedelta,
        activation_delay: timedelta = timedelta(0),
        refresh_interval: float = 30.0,
        rsa_bits: int = 2048,
        algorithms: Sequence[str] = SUPPORTED_ALGORITHMS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._repo, self._cipher, self._clock = repository, cipher, clock
        self.retention, self.activation_delay = retention, activation_delay
        self.refresh_interval, self.rsa_bits = refresh_interval, rsa_bits
        self.algorithms = tuple(check_algorithm(alg) for alg in algorithms)
        self._state = _State()
        self._headers: dict[tuple[str, str, str], str] = {}
        self._private: dict[str, PrivateKey] = {}
        self._loaded_at = float("-inf")
        self._ensured = False
        self._unknown_kid_at = float("-inf")
        self._lock = asyncio.Lock()

    # -- hot path: memory only ------------------------------------------------------------

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", typ: str = "JWT") -> str:
        """The compact JWS; the header segment of each (key, typ) is encoded once."""
        signer = self._signer(alg)
        header = self._headers.get((signer.kid, alg, typ))
        if header is None:
            header = _b64(
                json.dumps({"alg": alg, "kid": signer.kid, "typ": typ}, separators=(",", ":")).encode()
            )
            self._headers = {**self._headers, (signer.kid, alg, typ): header}
        signing_input = header + "." + _b64(json.dumps(claims, separators=(",", ":")).encode())
        return signing_input + "." + _b64(_signature(signer.key, signing_input.encode("ascii")))

    def signing_kid(self, alg: str = "RS256") -> str:
        return self._signer(alg).kid

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(jwk) for jwk in self._state.jwks["keys"]]}

    def jwks_json(self) -> bytes:
        return self._state.jwks_json

    def _signer(self, alg: str) -> _Signer:
        candidates = self._state.signers.get(alg)
        if not candidates:
            raise SigningKeyUnavailable(f"no active {alg} signing key is loaded")
        if len(candidates) > 1:
            now = self._clock()
            for candidate in candidates:
                if candidate.activates_at <= now:
                    return candidate
        return candidates[-1]

    # -- verification of our own tokens (introspection, id_token_hint) --------------------

    async def verification_key(self, kid: str) -> jwt.PyJWK | None:
        """The published key ``kid``; an unknown kid reloads at most every few seconds."""
        found = self._state.published.get(kid)
        if found is None and time.monotonic() - self._unknown_kid_at >= UNKNOWN_KID_REFRESH_INTERVAL:
            self._unknown_kid_at = time.monotonic()
            await self.refresh()
            found = self._state.published.get(kid)
        return found

    # -- lifecycle ------------------------------------------------------------------------

    async def ensure_keys(self) -> list[SigningKeyRecord]:
        """Create an active key for each algorithm that has none; returns the created keys."""
        async with self._lock:
            created = await self._create_missing()
            await self._reload()
            self._ensured = True
        return created

    async def rotate(
        self, alg: str | None = None, *, auditor: Auditor | None = None, context: AuditContext | None = None
    ) -> list[SigningKeyRecord]:
        """A new active key for ``alg`` (or every algorithm); the old one stays published until
        ``not_after`` = now + activation delay + retention, the longest life of a token it signed."""
        names = (check_algorithm(alg),) if alg else self.algorithms
        await self.refresh()  # fails first when this secret key cannot open the keys in use
        created = []
        for name in names:
            record = await self._new_record(name)
            not_after = record.created_at + self.activation_delay + self.retention
            await self._repo.rotate(record, previous_not_after=not_after)
            created.append(record)
            if auditor is not None:
                await auditor.record(
                    Event.KEYS_ROTATED,
                    context or AuditContext(),
                    outcome=INFO,
                    details={
                        "kid": record.kid,
                        "alg": record.alg,
                        "previous_not_after": not_after.isoformat(),
                    },
                )
        await self.refresh()
        return created

    async def list_keys(self) -> Sequence[SigningKeyRecord]:
        return await self._repo.list_all()

    async def refresh_if_stale(self) -> None:
        """Reload when the interval has passed; a failed reload keeps the keys in memory."""
        if not self._stale():
            return
        async with self._lock:
            if not self._stale():
                return  # another task reloaded while this one waited
            try:
                if not self._ensured:
                    await self._create_missing()
                await self._reload()
                self._ensured = True
            except (StorageError, SigningKeyUnavailable) as exc:
                self._loaded_at = time.monotonic()  # try again after the interval, not on every request
                log.warning("signing keys not reloaded; keeping those in memory", extra={"error": str(exc)})

    async def refresh(self) -> None:
        """Reload the published keys; previous keys past ``not_after`` are retired on the way."""
        async with self._lock:
            await self._reload()

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.refresh_interval

    async def _create_missing(self) -> list[SigningKeyRecord]:
        created = []
        for alg in self.algorithms:
            if await self._repo.get_active(alg) is None:
                record = await self._new_record(alg)
                await self._repo.add(record)
                created.append(record)
        return created

    async def _reload(self) -> None:
        now = self._clock()
        live = []
        for record in await self._repo.list_published():
            if record.status == "previous" and record.not_after is not None and record.not_after <= now:
                await self._repo.retire(record.kid)
            else:
                live.append(record)
        self._state = await self._build_state(live, now)
        self._headers = {}
        self._loaded_at = time.monotonic()

    async def _build_state(self, records: list[SigningKeyRecord], now: datetime) -> _State:
        signers: dict[str, tuple[_Signer, ...]] = {}
        for alg in {record.alg for record in records}:
            chosen = self._choose_signers([r for r in records if r.alg == alg], now)
            if chosen:
                signers[alg] = tuple([_Signer(r.kid, await self._private_key(r), at) for r, at in chosen])
        kept = {record.kid for record in records}
        self._private = {kid: key for kid, key in self._private.items() if kid in kept}
        jwks = {"keys": [dict(record.public_jwk) for record in records]}
        return _State(
            published={r.kid: jwt.PyJWK(dict(r.public_jwk), r.alg) for r in records},
            signers=signers,
            jwks=jwks,
            jwks_json=json.dumps(jwks, separators=(",", ":")).encode(),
        )

    def _choose_signers(
        self, records: Iterable[SigningKeyRecord], now: datetime
    ) -> list[tuple[SigningKeyRecord, datetime]]:
        """Newest active key first; while it waits for its activation, the newest older key after it."""
        ordered = sorted(records, key=lambda r: r.created_at, reverse=True)
        active = [r for r in ordered if r.status == "active"]
        if not active:
            return []
        newest = active[0]
        activates = newest.created_at + self.activation_delay
        fallback = next((r for r in ordered if r.kid != newest.kid), None)
        if activates <= now or fallback is None:
            return [(newest, newest.created_at)]
        return [(newest, activates), (fallback, fallback.created_at)]

    async def _private_key(self, record: SigningKeyRecord) -> PrivateKey:
        key = self._private.get(record.kid)
        if key is None:
            try:
                pem = self._cipher.decrypt(record.private_key_encrypted, associated_data=record.kid)
            except DecryptionError as exc:
                raise SigningKeyUnavailable(
                    f"signing key {record.kid} cannot be decrypted: it was sealed under neither "
                    "FRMR_SSO_SECRET_KEY nor FRMR_SSO_PREVIOUS_SECRET_KEYS, or the stored value was changed"
                ) from exc
            key = await asyncio.to_thread(load_private_key, pem, record.alg)
            self._private[record.kid] = key
        return key

    async def _new_record(self, alg: str) -> SigningKeyRecord:
        key = await asyncio.to_thread(generate_private_key, alg, rsa_bits=self.rsa_bits)
        jwk = public_jwk(key, alg)
        sealed = self._cipher.encrypt(private_key_pem(key), associated_data=jwk["kid"])
        return SigningKeyRecord(
            kid=jwk["kid"],
            alg=alg,
            private_key_encrypted=sealed,
            public_jwk=jwk,
            status="active",
            created_at=self._clock(),
        )
