"""The benchmark's clients and the tokens it prepares before loading a server.

frmr-sso's end-user tokens come from authorization codes stored in the broker's KV exactly as
the login flow stores them (``frmr_sso.oauth.codes.issue``), then redeemed over HTTP at
``/token`` as ``demo-web``; service tokens from the ``client_credentials`` grant. node's tokens
come from its own ``/token``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frmr_sso.oauth.codes import CodeGrant

SERVICE_ID, SERVICE_SECRET = "demo-service", "demo-service-secret"
OPAQUE_SERVICE = ("demo-service-opaque", "demo-service-opaque-secret")  # access_token_format: opaque
WEB_ID, WEB_SECRET, WEB_REDIRECT = "demo-web", "demo-web-secret", "http://127.0.0.1:9999/callback"
# demo-web's twins with opaque access tokens; the second signs its ID Tokens ES256
WEB_OPAQUE = ("demo-web-opaque", "demo-web-opaque-secret")
WEB_OPAQUE_ES256 = ("demo-web-opaque-es256", "demo-web-opaque-es256-secret")
NODE_SERVICE = ("bench-service", "bench-service-secret")
NODE_WEB = ("bench-web", "bench-web-secret")
WORKER_FRMR_ID = "FRMR-0000001"  # the demo doctor's record, seeded in demo mode


def basic(client_id: str, secret: str) -> str:
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return base64.b64encode(raw.encode()).decode()


def http(method: str, url: str, data: dict[str, str] | None = None, auth: str | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback http:// only
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        request.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def client_credentials(token_url: str, auth: str, scope: str | None = None) -> str:
    """An access token of the client whose Basic credentials are ``auth``."""
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
    return str(http("POST", token_url, form, auth)["access_token"])


def _grant(scope: tuple[str, ...], subject: str, frmr_person_id: str, client_id: str = WEB_ID) -> CodeGrant:
    from frmr_sso.oauth.codes import CodeGrant

    return CodeGrant(
        client_id=client_id,
        redirect_uri=WEB_REDIRECT,
        scope=scope,
        subject=subject,
        auth_time=int(time.time()),
        claims={
            "family_name": "Иванова",
            "given_name": "Мария",
            "snils": "112-233-445 95",
            "frmr_person_id": frmr_person_id,
        },
        nonce="bench-nonce",
        acr="urn:frmr-sso:acr:esia-confirmed",
        amr=("pwd", "sms"),
        session_id="bench-sid",
    )


def _redeemed(
    broker: str, redis_url: str, grant: CodeGrant, count: int, secret: str = WEB_SECRET
) -> list[dict[str, Any]]:
    """``count`` codes of ``grant`` stored in the broker's KV, each redeemed at ``/token`` by its client."""
    from frmr_sso.oauth import codes
    from frmr_sso.storage.kv import open_kv

    async def mint() -> list[str]:
        kv = open_kv(redis_url)
        try:
            return [await codes.issue(kv, grant, 300) for _ in range(count)]
        finally:
            await kv.close()

    auth = basic(grant.client_id, secret)
    return [
        http(
            "POST",
            f"{broker}/token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_REDIRECT},
            auth,
        )
        for code in asyncio.run(mint())
    ]


def mint_broker_refresh_tokens(
    broker: str, redis_url: str, count: int, client: tuple[str, str] = (WEB_ID, WEB_SECRET)
) -> tuple[list[str], str]:
    """``count`` fresh refresh tokens of ``client`` (demo-web) and one access token (scope openid …)."""
    client_id, secret = client
    grant = _grant(
        ("openid", "profile", "snils", "frmr", "offline_access"), "bench-subject-0001", "FRMR-0001", client_id
    )
    answers = _redeemed(broker, redis_url, grant, count, secret)
    return [a["refresh_token"] for a in answers], str(answers[-1]["access_token"]) if answers else ""


def mint_worker_access_token(broker: str, redis_url: str) -> str:
    """A worker's access token (scope ``openid frmr``) whose login was mapped to ``WORKER_FRMR_ID``."""
    grant = _grant(("openid", "frmr"), "bench-worker-0001", WORKER_FRMR_ID)
    return str(_redeemed(broker, redis_url, grant, 1)[0]["access_token"])
