"""Registered downstream clients as the protocol core sees them (RFC 6749 §2, RFC 8252).

A client is public (no secret; PKCE S256 required) or confidential (a hashed
secret). ``service`` clients use only ``client_credentials``. Redirect URIs
match exactly, except that a public native client registered with an
``http://127.0.0.1`` or ``http://[::1]`` loopback URI *without a port* may use
any port (RFC 8252 §7.3). A loopback URI registered with its port (a browser
application served there) matches only exactly: another local program on
another port must not receive its codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from frmr_sso.storage.ports import ClientRecord

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "::1"})


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    public: bool
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: frozenset[str]
    id_token_alg: str
    backchannel_logout_uri: str | None
    require_second_factor: bool = False
    refresh_rotation: bool = True
    refresh_grace: int = 5
    first_party: bool = False
    """The operator's own application (the cabinet, systems the operator vouches for): no consent page."""
    access_token_format: str = "jwt"  # noqa: S105 - or "opaque": a handle introspected at the broker

    @classmethod
    def from_record(cls, record: ClientRecord) -> Client:
        return cls(
            client_id=record.client_id,
            name=record.name,
            public=record.public,
            secret_hash=record.secret_hash,
            redirect_uris=tuple(record.redirect_uris),
            post_logout_redirect_uris=tuple(record.post_logout_redirect_uris),
            grant_types=frozenset(record.grant_types),
            scopes=frozenset(record.scopes),
            id_token_alg=record.id_token_alg,
            backchannel_logout_uri=record.backchannel_logout_uri,
            require_second_factor=record.require_second_factor,
            refresh_rotation=record.refresh_rotation,
            refresh_grace=record.refresh_grace,
            first_party=record.first_party,
            access_token_format=record.access_token_format,
        )

    @property
    def requires_pkce(self) -> bool:
        return self.public

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def allowed_scopes(self, requested: frozenset[str]) -> frozenset[str]:
        return requested & self.scopes

    def redirect_uri_allowed(self, uri: str) -> bool:
        if uri in self.redirect_uris:
            return True
        return self.public and _loopback_match(uri, self.redirect_uris)


def _loopback_match(uri: str, registered: tuple[str, ...]) -> bool:
    try:
        asked = urlsplit(uri)
        asked_port = asked.port
    except ValueError:
        return False
    if asked.scheme != "http" or asked.hostname is None or asked_port is None:
        return False
    if f"[{asked.hostname}]" not in LOOPBACK_HOSTS and asked.hostname not in LOOPBACK_HOSTS:
        return False
    for candidate in registered:
        known = urlsplit(candidate)
        if known.port is not None:
            continue
        if (known.scheme, known.hostname, known.path, known.query) == (
            asked.scheme, asked.hostname, asked.path, asked.query
        ) and known.hostname is not None and asked.fragment == "":
            return True
    return False
