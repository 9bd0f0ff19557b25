"""ESIA accounts of the mock: the person, their contacts and documents, and how they log in.

Loaded from a YAML fixture; passwords are hashed on load (scrypt) and the plain
text never kept. Password changes and recovery replace the hash in place, and
the history of previous hashes backs the "not reused" rule.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml


class Trust(StrEnum):
    SIMPLIFIED = "simplified"
    STANDARD = "standard"
    CONFIRMED = "confirmed"


class SecondFactor(StrEnum):
    NONE = "none"
    SMS = "sms"
    TOTP = "totp"


_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    _, salt_hex, digest_hex = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest_hex)


DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def login_candidates(raw: str) -> list[str]:
    """Keys a typed login may match: e-mail (lower-cased), phone ``+7XXXXXXXXXX``, SNILS digits."""
    value = raw.strip()
    if "@" in value:
        return [value.lower()]
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 10 and not value.startswith("+"):
        return ["+7" + digits]
    if len(digits) != 11:
        return []
    candidates = [digits]
    if digits[0] in "78":
        candidates.insert(0 if value.startswith(("+", "8")) else 1, "+7" + digits[1:])
    return candidates


@dataclass
class Account:
    oid: int
    phone: str
    email: str | None
    snils: str
    password_hash: str
    password_changed_at: datetime
    second_factor: SecondFactor
    trust: Trust
    person: dict[str, Any]
    totp_secret: str | None = None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    blocked: bool = False
    password_history: list[str] = field(default_factory=list)

    @property
    def snils_digits(self) -> str:
        return "".join(ch for ch in self.snils if ch.isdigit())

    @property
    def trusted(self) -> bool:
        return self.trust is Trust.CONFIRMED

    def password_expired(self, max_age_days: int, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return now - self.password_changed_at > timedelta(days=max_age_days)

    def replace_password(self, new_hash: str, now: datetime | None = None) -> None:
        self.password_history.append(self.password_hash)
        self.password_hash = new_hash
        self.password_changed_at = now or datetime.now(UTC)


def _changed_at(entry: dict[str, Any]) -> datetime:
    days_ago = entry.get("password_age_days")
    if days_ago is not None:
        return datetime.now(UTC) - timedelta(days=int(days_ago))
    raw = entry.get("password_changed_at")
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
    return datetime.now(UTC) - timedelta(days=1)


def account_from_dict(entry: dict[str, Any]) -> Account:
    return Account(
        oid=int(entry["oid"]),
        phone=login_candidates(str(entry["phone"]))[0],
        email=str(entry["email"]).lower() if entry.get("email") else None,
        snils=str(entry["snils"]),
        password_hash=hash_password(str(entry["password"])),
        password_changed_at=_changed_at(entry),
        second_factor=SecondFactor(entry.get("second_factor", "none")),
        trust=Trust(entry.get("trust", "confirmed")),
        person=dict(entry.get("person", {})),
        totp_secret=entry.get("totp_secret"),
        contacts=list(entry.get("contacts", [])),
        addresses=list(entry.get("addresses", [])),
        documents=list(entry.get("documents", [])),
        blocked=bool(entry.get("blocked", False)),
    )


class AccountDirectory:
    """Accounts indexed by oid and by every login form (phone, e-mail, SNILS)."""

    def __init__(self, accounts: list[Account]) -> None:
        self._by_oid = {a.oid: a for a in accounts}
        self._by_login: dict[str, Account] = {}
        for account in accounts:
            for key in (account.phone, account.email, account.snils_digits):
                if key:
                    self._by_login[key] = account

    @classmethod
    def from_yaml(cls, path: Path) -> AccountDirectory:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls([account_from_dict(e) for e in data.get("accounts", [])])

    def by_login(self, raw_login: str) -> Account | None:
        for key in login_candidates(raw_login):
            if key in self._by_login:
                return self._by_login[key]
        return None

    def by_oid(self, oid: int) -> Account | None:
        return self._by_oid.get(oid)

    def __iter__(self) -> Any:
        return iter(self._by_oid.values())
