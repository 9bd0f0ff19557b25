"""The broker as an OpenID Provider over real HTTP, for the protocol-endpoint tests.

``running_provider`` serves ``create_app`` in demo mode (demo clients seeded) on
a free port whose URL is also the issuer, with one more client from a clients
file whose secret needs URL-encoding. ``mint_code`` plays the login flow's part:
it stores an authorization code in the SAME key-value store the broker reads —
a second Redis client on the broker's URL and prefix, or the broker's own
in-process store.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jwt
from fastapi import FastAPI

from frmr_sso.app import create_app
from frmr_sso.config import load_settings
from frmr_sso.oauth import codes
from frmr_sso.oauth.codes import CodeGrant
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import AuditRecord
from frmr_sso.storage.sql import SqlAuditRepository
from frmr_sso.storage.sql.engine import create_engine
from tests.support.databases import Databases
from tests.support.servers import free_port, serve

WEB_ID, WEB_SECRET, WEB_REDIRECT = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
SPA_ID, SPA_REDIRECT = "demo-spa", "http://127.0.0.1:9998/callback"
SERVICE_ID, SERVICE_SECRET = "demo-service", "demo-service-secret"
CABINET_ID = "frmr-cabinet"  # first-party; the demo seeds it
SPECIAL_ID, SPECIAL_SECRET = "special-service", "p@ss:w/rd+&=%é ü?#~"
CLIENTS_YAML = f"""
- client_id: {SPECIAL_ID}
  name: Service with a secret that needs URL-encoding
  secret: "{SPECIAL_SECRET}"
  grant_types: [client_credentials]
  scopes: [frmr, registry.read]
"""
SNAPSHOT: dict[str, Any] = {
    "family_name": "Иванова",
    "given_name": "Мария",
    "middle_name": "Петровна",
    "birthdate": "1985-03-14",
    "snils": "112-233-445 95",
    "frmr_person_id": "FRMR-0001",
    "frmr_organizations": [{"oid": "1.2.643.5.1.13", "name": "ГБУЗ ГКБ №1"}],
    "esia_oid": "1000299353",
}


@dataclass
class Provider:
    base: str
    app: FastAPI
    redis_url: str | None

    @property
    def issuer(self) -> str:
        return self.base

    async def mint_code(self, grant: CodeGrant, ttl: float = 60) -> str:
        if self.redis_url is None:
            return await codes.issue(self.app.state.container.kv, grant, ttl)
        kv = open_kv(self.redis_url)  # the broker's prefix: bootstrap opens its KV with the default
        try:
            return await codes.issue(kv, grant, ttl)
        finally:
            await kv.close()

    def verify(self, token: str, *, audience: str, typ: str | None = None) -> dict[str, Any]:
        """Claims of ``token`` checked by pyjwt against the published /jwks alone."""
        keys = jwt.PyJWKClient(f"{self.base}/jwks", cache_jwk_set=False)
        header = jwt.get_unverified_header(token)
        if typ is not None:
            assert header["typ"] == typ
        key = keys.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=[header["alg"]], audience=audience, issuer=self.issuer
        )
        return claims


@contextmanager
def running_provider(
    database_url: str, redis_url: str | None, tmp: Path, *, extra_clients: str = "", **overrides: object
) -> Iterator[Provider]:
    """``extra_clients``: more YAML entries; ``overrides``: settings (small limits for a test)."""
    clients_file = tmp / "clients.yaml"
    clients_file.write_text(CLIENTS_YAML + extra_clients, encoding="utf-8")
    port = free_port()
    settings = load_settings(
        mode="demo",
        database_url=database_url,
        redis_url=redis_url,
        issuer=f"http://127.0.0.1:{port}",
        clients_file=clients_file,
        **overrides,
    )
    app = create_app(settings)
    with serve(app, port=port) as base:
        yield Provider(base, app, redis_url)


@asynccontextmanager
async def provider_on_own_database(
    databases: Databases, redis_url: str | None, tmp: Path, *, extra_clients: str = "", **overrides: object
) -> AsyncIterator[tuple[Provider, str]]:
    """``running_provider`` on a database of its own, dropped afterwards: (provider, database URL)."""
    url = await databases.migrated()
    try:
        with running_provider(url, redis_url, tmp, extra_clients=extra_clients, **overrides) as running:
            yield running, url
    finally:
        await databases.drop(url)


async def audit_records(database_url: str, event: str | None = None) -> list[AuditRecord]:
    """The broker's audit records (of one ``event``), read on the test's own loop (the broker runs in
    another thread)."""
    engine = create_engine(database_url)
    try:
        records = await SqlAuditRepository(engine).list()
    finally:
        await engine.dispose()
    return [r for r in records if event is None or r.event_type == event]


def basic(client_id: str, secret: str) -> dict[str, str]:
    """RFC 6749 §2.3.1: each part form-urlencoded before Base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def grant(
    *,
    scope: tuple[str, ...] = ("openid", "profile", "snils", "frmr", "offline_access"),
    nonce: str | None = "n-0S6_WzA2Mj",
    client_id: str = WEB_ID,
    redirect_uri: str = WEB_REDIRECT,
    subject: str = "subject-0001",
    auth_time: int | None = None,
) -> CodeGrant:
    return CodeGrant(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        subject=subject,
        auth_time=int(time.time()) if auth_time is None else auth_time,
        claims=dict(SNAPSHOT),
        nonce=nonce,
        acr="urn:frmr-sso:acr:esia-confirmed",
        amr=("pwd", "sms"),
        session_id="sid-1",
    )
