"""``GET /_dev/outbox?login=…``: the SMS messages the mock "sent", newest first (dev mode only).

The app includes this router unconditionally; outside dev mode the endpoint
answers 404 as if it did not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mock_esia.state import MockState

router = APIRouter()

MAX_LOGIN_LENGTH = 256


@router.get("/_dev/outbox", include_in_schema=False)
async def read_outbox(request: Request) -> JSONResponse:
    state: MockState = request.app.state.mock
    if not state.settings.dev:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    logins = request.query_params.getlist("login")
    if len(logins) != 1 or not logins[0].strip() or len(logins[0]) > MAX_LOGIN_LENGTH:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "укажите один параметр login"}, status_code=400
        )
    messages = state.outbox.messages(logins[0])
    return JSONResponse([m.as_json() for m in messages], headers={"Cache-Control": "no-store"})
