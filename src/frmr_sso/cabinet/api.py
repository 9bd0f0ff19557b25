"""The broker's resource API as the cabinet calls it: bearer tokens, refresh on expiry, ETag revalidation.

``read`` answers a ``Reading``: ``ok`` with the JSON body, ``missing`` when the
broker has no such resource for this person (404), ``forbidden`` when the token
lacks the scope (403), ``absent`` when the broker does not offer the endpoint at
all (a 404 without a ``detail``, or 405/501). Registry sections are kept in the
session with their ``ETag``, and every view revalidates its copy with
``If-None-Match`` (304 keeps it): nothing kept is shown unless the broker still
accepts the session's tokens at that moment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from frmr_sso.cabinet.oidc_client import BrokerError, OidcClient
from frmr_sso.cabinet.session import CabinetSession, CabinetSessions
from frmr_sso.errors import FrmrSsoError

REFRESH_MARGIN = 30
PROBLEM = "application/problem+json"


class SessionExpired(FrmrSsoError):
    """The broker no longer accepts this session's tokens: the person signs in again."""


@dataclass(frozen=True, slots=True)
class Reading:
    state: str  # ok | missing | forbidden | absent
    data: Any = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


class BrokerApi:
    def __init__(self, client: OidcClient, http: httpx.AsyncClient, sessions: CabinetSessions) -> None:
        self._client, self._http, self._sessions = client, http, sessions

    async def access_token(self, session: CabinetSession, *, force: bool = False) -> str:
        if force or session.tokens.expires_at - REFRESH_MARGIN <= time.time():
            if not session.tokens.refresh_token:
                raise SessionExpired("the access token expired and there is no refresh token")
            try:
                session.tokens = await self._client.refresh(session.tokens.refresh_token)
            except BrokerError as exc:
                if exc.status in (400, 401):
                    raise SessionExpired("the broker refused the refresh token") from None
                raise
            await self._sessions.save(session)
        return session.tokens.access_token

    async def call(self, session: CabinetSession, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to ``path`` with the session's access token; a 401 refreshes once and retries."""
        url = self._client.backchannel(self._client.issuer + path)
        headers = dict(kwargs.pop("headers", {}))
        for attempt in (0, 1):
            headers["Authorization"] = f"Bearer {await self.access_token(session, force=bool(attempt))}"
            try:
                response = await self._http.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                raise BrokerError(f"the broker is unreachable ({type(exc).__name__})") from None
            if response.status_code != 401:
                return response
        raise SessionExpired("the broker refused a fresh access token")

    async def read(
        self, session: CabinetSession, path: str, *, cache: bool = False
    ) -> Reading:
        kept = session.cache.get(path) if cache else None  # shown only after the broker confirms it (304)
        headers = {"Accept": "application/json"}
        if kept is not None and kept.get("etag"):
            headers["If-None-Match"] = kept["etag"]
        response = await self.call(session, "GET", path, headers=headers)
        if response.status_code == 304 and kept is not None:
            return Reading("ok", kept["data"])
        reading = self._reading(response)
        if cache and reading.ok:
            session.cache[path] = {"etag": response.headers.get("etag"), "data": reading.data}
            await self._sessions.save(session)
        return reading

    @staticmethod
    def _reading(response: httpx.Response) -> Reading:
        is_problem = response.headers.get("content-type", "").startswith(PROBLEM)
        detail = _detail(response) if is_problem else None
        if response.status_code == 200:
            try:
                return Reading("ok", response.json())
            except ValueError:
                raise BrokerError("the broker's answer is not JSON", status=200) from None
        if response.status_code == 404:
            return Reading("missing" if detail else "absent", detail=detail)  # no detail: no such route
        if response.status_code in (405, 501):
            return Reading("absent")
        if response.status_code == 403:
            return Reading("forbidden", detail=detail)
        raise BrokerError(f"the broker answered {response.status_code}", status=response.status_code)


def _detail(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("detail") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
