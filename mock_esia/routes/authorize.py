"""``GET /aas/oauth2/v2/ac``: the authorization request, checked in ESIA's order.

Until the client and its redirect_uri are known, errors are HTTP 400 JSON (the
redirect_uri is not trusted yet): malformed, duplicated or oversized parameters
(007003), a missing mandatory parameter (007014), an unknown client_id (007002),
an unregistered redirect_uri (007023). After that every error is a 302 to the
redirect_uri with ``error``, ``error_description`` and ``state``. A valid request
opens a login transaction and goes to ``/login?tx=…``.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mock_esia import flow
from mock_esia.clients import RegisteredClient
from mock_esia.config import MockSettings
from mock_esia.errors import EsiaError
from mock_esia.params import MalformedParameters, is_uuid, missing, parse_parameters
from mock_esia.routes.common import (
    NO_STORE,
    SecretCheck,
    check_certificate_hash,
    check_client_secret,
    check_scope,
    esia_json,
    mock_state,
)
from mock_esia.signature import request_string
from mock_esia.timestamps import check_timestamp

AC_PATH = "/aas/oauth2/v2/ac"
MANDATORY = (
    "client_id", "client_certificate_hash", "client_secret", "redirect_uri", "response_type", "state",
    "timestamp",
)
ACCESS_TYPES = ("online", "offline")

router = APIRouter()


def ac_request_string(params: dict[str, str]) -> bytes:
    names = ("client_id", "scope", "scope_org", "timestamp", "state", "redirect_uri")
    return request_string(*(params.get(name, "") for name in names))


def seen_state_key(client_id: str, state: str) -> str:
    return f"seen_state:{client_id}:{state}"


async def _validate(params: dict[str, str], client: RegisteredClient, settings: MockSettings) -> None:
    check_certificate_hash(client, params["client_certificate_hash"])
    if not client.allows_grant("authorization_code"):
        raise EsiaError("ESIA-007005")
    check_scope(client, params.get("scope"))
    if params["response_type"] != "code" or not is_uuid(params["state"]):
        raise EsiaError("ESIA-007003")
    access_type = params.get("access_type", "online")
    if access_type not in ACCESS_TYPES:
        raise EsiaError("ESIA-007003")
    if access_type == "offline" and not client.allows_grant("refresh_token"):
        raise EsiaError("ESIA-007005")
    check_timestamp(params["timestamp"], drift_seconds=settings.timestamp_drift_seconds)
    verdict = await check_client_secret(client, ac_request_string(params), params["client_secret"])
    if verdict is not SecretCheck.VALID:
        raise EsiaError("ESIA-007053")


@router.get(AC_PATH, include_in_schema=False)
async def authorize(request: Request) -> Response:
    state = mock_state(request)
    settings = state.settings
    try:
        params = parse_parameters(request.url.query, max_length=settings.max_parameter_length)
    except MalformedParameters as exc:
        return esia_json(exc, exc.state)
    sent_state = params.get("state")
    if missing(params, MANDATORY):
        return esia_json(EsiaError("ESIA-007014"), sent_state)
    client = state.clients.get(params["client_id"])
    if client is None:
        return esia_json(EsiaError("ESIA-007002"), sent_state)
    if params["redirect_uri"] not in client.redirect_uris:
        return esia_json(EsiaError("ESIA-007023"), sent_state)

    auth_request = flow.AuthRequest(
        client_id=client.client_id,
        redirect_uri=params["redirect_uri"],
        scope=params.get("scope", ""),
        scope_org=params.get("scope_org", ""),
        state=params["state"],
        access_type=params.get("access_type", "online"),
        created_at=time.time(),
    )
    try:
        await _validate(params, client, settings)
    except EsiaError as exc:
        return RedirectResponse(flow.error_redirect(auth_request, exc), status_code=302, headers=NO_STORE)
    tx = await flow.open_transaction(state.kv, auth_request, settings.transaction_ttl)
    seen_ttl = settings.transaction_ttl + settings.code_ttl
    await state.kv.set(seen_state_key(client.client_id, auth_request.state), "ac", seen_ttl)
    return RedirectResponse(f"/login?tx={tx}", status_code=302, headers=NO_STORE)
