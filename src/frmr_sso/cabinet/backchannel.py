"""``POST /cabinet/backchannel-logout``: the broker tells the cabinet that a login session has ended.

OpenID Connect Back-Channel Logout 1.0 as a relying party (§2.6): the form
field ``logout_token`` is a JWT of the broker for this client — signature by
the broker's JWKS, ``iss``, ``aud``, ``iat``, ``exp``, the back-channel
``events`` member, ``sid``, and no ``nonce``. Every cabinet session opened in
that broker session is deleted at once, so its next page asks to sign in again.
A valid token answers 200; anything else 400 ``invalid_request`` (§2.8).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from frmr_sso.cabinet.oidc_client import BrokerError
from frmr_sso.cabinet.runtime import runtime

log = logging.getLogger(__name__)
router = APIRouter()
EVENT = "http://schemas.openid.net/event/backchannel-logout"
PATH = "/backchannel-logout"
_MAX_TOKEN = 8192
_HEADERS = {"Cache-Control": "no-store"}


def _refused(description: str) -> Response:
    body = {"error": "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=400, headers=_HEADERS)


@router.post(PATH, include_in_schema=False)
async def backchannel_logout(request: Request) -> Response:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _refused("the logout token comes as application/x-www-form-urlencoded")
    form = await request.form(max_files=0, max_fields=4)
    token = form.get("logout_token")
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
        return _refused("logout_token is missing")
    rt = runtime(request)
    try:
        claims = await rt.client.verified_claims(token, ("iat", "exp", "sid", "events"), what="logout token")
    except BrokerError as exc:
        return _refused(str(exc))
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        return _refused("the logout token has no back-channel logout event")
    if "nonce" in claims:
        return _refused("a logout token carries no nonce")
    ended = await rt.sessions.end_broker_session(str(claims["sid"]))
    log.info("cabinet: back-channel logout", extra={"sessions_ended": ended})
    return Response(status_code=200, headers=_HEADERS)
