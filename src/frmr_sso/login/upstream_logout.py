"""After a broker logout, the upstream session ends too: a front-channel redirect through the provider.

A shared workstation must not hand the next person the previous one's upstream
session: without this, «Войти» after a broker logout comes straight back from
ESIA logged in as the previous doctor. So when ``/logout`` ends the browser's
own session, the browser goes to the provider's logout (ESIA's
``/idp/ext/Logout``, an OIDC provider's ``end_session_endpoint`` with the
login's ID token as ``id_token_hint``), which returns it to
``{issuer}/logout/upstream?k=…``; that key, kept one-time in the key-value
store, names where the relying party asked to go (the validated
``post_logout_redirect_uri`` with its ``state``), or nothing (the «Вы вышли»
page). The redirect target never travels through the provider, so the return
address cannot be turned into an open redirector.

The OIDC provider's ID token is kept with the session under ``UPSTREAM_ID_TOKEN``
among its sealed claims (no scope releases it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

from frmr_sso.login.session_store import SsoSession
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.upstream.base import Connector, LoggingOutConnector

UPSTREAM_ID_TOKEN = "_upstream_id_token"  # noqa: S105 - a claim name
RETURN_PATH = "/logout/upstream"
RETURN_TTL = 600
MAX_KEY = 64
_PREFIX = "logout:upstream-return:"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class UpstreamLogout:
    def __init__(
        self, *, issuer: str, connectors: Mapping[str, Connector], kv: KeyValueStore, ttl: int = RETURN_TTL
    ) -> None:
        self._issuer, self._connectors, self._kv, self._ttl = issuer, connectors, kv, ttl

    async def redirect(self, session: SsoSession | None, final: str | None) -> str | None:
        """The provider's logout URL for the browser's ended ``session``; None when there is none."""
        connector = self._connectors.get(session.connector) if session is not None else None
        if session is None or not isinstance(connector, LoggingOutConnector):
            return None
        key = secrets.token_urlsafe(32)
        return_to = f"{self._issuer}{RETURN_PATH}?{urlencode({'k': key})}"
        id_token = session.claims.get(UPSTREAM_ID_TOKEN)
        url = await connector.logout_url(
            id_token=id_token if isinstance(id_token, str) else None, return_to=return_to
        )
        if url is not None:
            await self._kv.set(_PREFIX + _digest(key), final or "", ttl=self._ttl)
        return url

    async def back(self, key: str | None) -> str | None:
        """Where to go once the provider is done (once per key); None: the «Вы вышли» page."""
        if not key or len(key) > MAX_KEY:
            return None
        return await self._kv.get_and_delete(_PREFIX + _digest(key)) or None
