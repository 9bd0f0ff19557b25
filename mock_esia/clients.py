"""Client systems registered at the mock ESIA: mnemonic, redirect URIs, scopes, grants and key.

Loaded from YAML (``data/clients.yaml``); ``register`` adds or replaces a client
at run time (tests, and the broker's demo registering the key it generated). A
client without ``public_key`` exists but cannot authenticate (ESIA-007053)
until a key is registered.

The key is PEM (``signature: rsa``) or, for ``signature: gost``, the hex of the
64-byte GOST public key ``X || Y`` (big-endian halves) on ``gost_curve``. In
YAML, ``public_key`` may also be a path to a file holding it (relative to the
YAML file), and a missing file means "no key yet".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

ESIA_SCOPES = frozenset(
    {
        "openid", "fullname", "birthdate", "gender", "snils", "inn", "id_doc", "birthplace",
        "email", "mobile", "contacts", "addresses", "usr_org",
    }
)
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
DEFAULT_GOST_CURVE = "id-tc26-gost-3410-2012-256-paramSetB"
SignatureKind = Literal["rsa", "gost"]

_CERT_HASH = re.compile(r"^[0-9A-F]{64}$")
log = logging.getLogger("mock_esia.clients")


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    redirect_uris: tuple[str, ...]
    certificate_hash: str
    scopes: frozenset[str] = ESIA_SCOPES
    grant_types: frozenset[str] = GRANT_TYPES
    signature: SignatureKind = "rsa"
    public_key: str | None = None
    gost_curve: str = DEFAULT_GOST_CURVE
    require_trusted: bool = True
    active: bool = True
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.client_id or not self.redirect_uris:
            raise ValueError("a client needs a client_id and at least one redirect_uri")
        if not _CERT_HASH.match(self.certificate_hash):
            raise ValueError(f"{self.client_id}: certificate_hash must be 64 upper-case hex characters")
        if self.signature not in ("rsa", "gost"):
            raise ValueError(f"{self.client_id}: signature must be rsa or gost")
        if unknown := set(self.scopes) - ESIA_SCOPES:
            raise ValueError(f"{self.client_id}: unknown scopes {sorted(unknown)}")
        if unknown := set(self.grant_types) - GRANT_TYPES:
            raise ValueError(f"{self.client_id}: unknown grant types {sorted(unknown)}")

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def with_key(self, public_key: str, *, signature: SignatureKind | None = None) -> RegisteredClient:
        return replace(self, public_key=public_key, signature=signature or self.signature)


def _read_key(value: Any, base: Path) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.startswith("-----BEGIN") or re.fullmatch(r"[0-9a-fA-F]{128}", text):
        return text
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        log.warning("client key file not found; no key until one is registered", extra={"path": str(path)})
        return None
    return path.read_text(encoding="ascii").strip()


def _names(value: Any, default: frozenset[str]) -> frozenset[str]:
    if not value:
        return default
    return frozenset(value.split() if isinstance(value, str) else (str(v) for v in value))


def client_from_dict(entry: dict[str, Any], base: Path = Path()) -> RegisteredClient:
    return RegisteredClient(
        client_id=str(entry["client_id"]),
        redirect_uris=tuple(str(u) for u in entry["redirect_uris"]),
        certificate_hash=str(entry["certificate_hash"]),
        scopes=_names(entry.get("scopes"), ESIA_SCOPES),
        grant_types=_names(entry.get("grant_types"), GRANT_TYPES),
        signature=entry.get("signature", "rsa"),
        public_key=_read_key(entry.get("public_key"), base),
        gost_curve=str(entry.get("gost_curve", DEFAULT_GOST_CURVE)),
        require_trusted=bool(entry.get("require_trusted", True)),
        active=bool(entry.get("active", True)),
        name=str(entry.get("name", "")),
    )


class ClientRegistry:
    def __init__(self, clients: Iterable[RegisteredClient] = ()) -> None:
        self._clients: dict[str, RegisteredClient] = {}
        for client in clients:
            self.register(client)

    @classmethod
    def from_yaml(cls, *paths: Path) -> ClientRegistry:
        """Clients of every file in order; a later file replaces a client of the same id."""
        registry = cls()
        for path in paths:
            registry.load(path)
        return registry

    def load(self, path: Path) -> None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for entry in data.get("clients", []):
            self.register(client_from_dict(entry, Path(path).parent))

    def register(self, client: RegisteredClient) -> None:
        self._clients[client.client_id] = client

    def get(self, client_id: str) -> RegisteredClient | None:
        return self._clients.get(client_id)

    def __iter__(self) -> Iterator[RegisteredClient]:
        return iter(list(self._clients.values()))

    def __len__(self) -> int:
        return len(self._clients)
