"""Routes of the dev-mode demo portal: ``/``, ``/_demo/start``, ``/_demo/callback``."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.jose import b64url_decode
from mock_esia.pages import error_page, redirect, render, single_query, state_of
from mock_esia.portal import DemoRelyingParty, demo_accounts

router = APIRouter(include_in_schema=False)
TIMEOUT = httpx.Timeout(10.0)


def _relying_party(request: Request) -> DemoRelyingParty:
    party: DemoRelyingParty = request.app.state.demo_party
    return party


@router.get("/")
async def index(request: Request) -> Response:
    return render(request, "portal.html", {"accounts": demo_accounts(state_of(request))})


@router.get("/_demo/start")
async def start(request: Request) -> Response:
    params = _relying_party(request).authorization_params()
    return redirect("/aas/oauth2/v2/ac?" + str(httpx.QueryParams(params)))


@router.get("/_demo/callback")
async def callback(request: Request) -> Response:
    error = single_query(request, "error_description", 512)
    code = single_query(request, "code", 512)
    if error or not code:
        return error_page(request, "Вход не выполнен", error or "ЕСИА не вернула код авторизации.")
    party, base = _relying_party(request), state_of(request).settings.base_url
    try:
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
            token = await client.post("/aas/oauth2/v3/te", data=party.token_form(code))
            tokens = token.json()
            if token.status_code != 200:
                return error_page(request, "Ошибка обмена кода", str(tokens.get("error_description")))
            claims = _claims(tokens["id_token"])
            oid = claims["urn:esia:sbj"]["urn:esia:sbj:oid"]
            person = await client.get(
                f"/rs/prns/{oid}", headers={"Authorization": f"Bearer {tokens['access_token']}"}
            )
            person_body = person.json()
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        message = "ЕСИА ответила не так, как ожидалось."
        return error_page(request, "Ошибка обмена кода", message, status_code=502)
    context = {
        "claims": json.dumps(claims, ensure_ascii=False, indent=2),
        "person": json.dumps(person_body, ensure_ascii=False, indent=2),
        "expires_in": tokens.get("expires_in"),
    }
    return render(request, "portal_result.html", context)


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(b64url_decode(payload))
    return decoded
