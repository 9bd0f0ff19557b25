"""How the broker process hosts the cabinet: its settings from the broker's, its client registration.

The cabinet is mounted under ``/cabinet`` when it has a client secret: in the
demo the published ``frmr-cabinet-demo-secret`` (the demo seeds the client
``frmr-cabinet``), in production ``FRMR_SSO_CABINET_CLIENT_SECRET`` with the
client registered in ``FRMR_SSO_CLIENTS_FILE`` (redirect ``{issuer}/cabinet/callback``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from frmr_sso.cabinet.app import create_cabinet
from frmr_sso.cabinet.runtime import MOUNT, SCOPE, CabinetConfig
from frmr_sso.config import DEMO_CABINET_SECRET, Settings
from frmr_sso.oauth.client_specs import ClientSpec


def cabinet_config(settings: Settings) -> CabinetConfig | None:
    secret = settings.cabinet_client_secret.get_secret_value() or (
        DEMO_CABINET_SECRET if settings.is_demo else ""
    )
    if not secret:
        return None
    return CabinetConfig(
        issuer=settings.issuer,
        client_id=settings.cabinet_client_id,
        client_secret=secret,
        secret_key=settings.secret_key.get_secret_value(),
        previous_secret_keys=tuple(s.get_secret_value() for s in settings.previous_secret_keys),
        redis_url=settings.redis_url,
        internal_url=settings.cabinet_internal_url,
        idle_ttl=settings.session_idle_ttl,
        absolute_ttl=settings.session_absolute_ttl,
        time_zone=settings.time_zone,
    )


def demo_cabinet_client(settings: Settings) -> ClientSpec:
    base = settings.issuer.rstrip("/") + MOUNT
    return ClientSpec(
        client_id=settings.cabinet_client_id,
        name="Личный кабинет медицинского работника",
        secret=DEMO_CABINET_SECRET,
        redirect_uris=(f"{base}/callback",),
        post_logout_redirect_uris=(f"{base}/logged-out",),
        backchannel_logout_uri=f"{base}/backchannel-logout",
        grant_types=("authorization_code", "refresh_token"),
        scopes=tuple(SCOPE.split()),
        first_party=True,
    )


def mount_cabinet(app: FastAPI, settings: Settings) -> FastAPI | None:
    config = cabinet_config(settings)
    if config is None:
        return None
    cabinet = create_cabinet(config)
    app.mount(MOUNT, cabinet, name="cabinet")
    return cabinet


@asynccontextmanager
async def cabinet_running(cabinet: FastAPI | None) -> AsyncIterator[None]:
    """The mounted app's lifespan (Starlette runs only the outer app's)."""
    if cabinet is None:
        yield
        return
    async with cabinet.router.lifespan_context(cabinet):
        yield
