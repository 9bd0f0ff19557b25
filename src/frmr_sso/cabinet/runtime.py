"""The cabinet's settings and what its lifespan opens: an HTTP client, a KV store, sessions, the RP."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from starlette.requests import Request

from frmr_sso.cabinet.api import BrokerApi
from frmr_sso.cabinet.oidc_client import OidcClient
from frmr_sso.cabinet.session import CabinetSession, CabinetSessions
from frmr_sso.registry.ru_format import DEFAULT_ZONE
from frmr_sso.security.crypto import SecretKeys
from frmr_sso.security.csrf import CsrfTokens
from frmr_sso.storage.kv import open_kv
from frmr_sso.storage.ports import KeyValueStore

COOKIE = "frmr_cabinet_session"
LOGIN_COOKIE = "frmr_cabinet_login"
MOUNT = "/cabinet"
SCOPE = (
    "openid profile frmr offline_access account.sessions frmr.documents account.consents account.logins"
)
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True, slots=True)
class CabinetConfig:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    secret_key: str = field(repr=False)
    previous_secret_keys: tuple[str, ...] = field(default=(), repr=False)  # sessions sealed before a rotation
    redis_url: str | None = None
    internal_url: str | None = None
    scope: str = SCOPE
    idle_ttl: int = 30 * 60
    absolute_ttl: int = 10 * 3600
    time_zone: str = DEFAULT_ZONE

    @property
    def base_url(self) -> str:
        return self.issuer.rstrip("/") + MOUNT

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass
class Runtime:
    config: CabinetConfig
    http: httpx.AsyncClient
    kv: KeyValueStore
    sessions: CabinetSessions
    client: OidcClient
    api: BrokerApi

    @classmethod
    def open(cls, config: CabinetConfig) -> Runtime:
        http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
        kv = open_kv(config.redis_url, prefix="frmr-cabinet:")
        keys = SecretKeys(config.secret_key, config.previous_secret_keys)
        sessions = CabinetSessions(
            kv,
            keys.cipher("cabinet-session"),
            csrf=CsrfTokens.from_keys(keys),
            idle_ttl=config.idle_ttl,
            absolute_ttl=config.absolute_ttl,
        )
        client = OidcClient(
            http,
            issuer=config.issuer,
            client_id=config.client_id,
            client_secret=config.client_secret,
            redirect_uri=f"{config.base_url}/callback",
            scope=config.scope,
            internal_url=config.internal_url,
        )
        return cls(config, http, kv, sessions, client, BrokerApi(client, http, sessions))

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.kv.close()


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


async def current_session(request: Request) -> CabinetSession | None:
    return await runtime(request).sessions.get(request.cookies.get(COOKIE, ""))
