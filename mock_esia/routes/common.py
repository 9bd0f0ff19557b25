"""Pieces both protocol endpoints share: state lookup, JSON errors, scope and client checks."""

from __future__ import annotations

import asyncio
from enum import Enum

from fastapi import Request
from fastapi.responses import JSONResponse

from mock_esia.clients import ESIA_SCOPES, RegisteredClient
from mock_esia.errors import EsiaError
from mock_esia.signature import decode_client_secret, signature_kind_is_slow, verify_client_secret
from mock_esia.state import MockState

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def mock_state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def esia_json(error: EsiaError, state: str | None = None) -> JSONResponse:
    return JSONResponse(error.body(state), status_code=error.status_code, headers=NO_STORE)


def check_certificate_hash(client: RegisteredClient, sent: str) -> None:
    if sent.upper() != client.certificate_hash:
        raise EsiaError("ESIA-007002")


def check_scope(client: RegisteredClient, scope: str | None, granted: str | None = None) -> list[str]:
    """The requested scopes; 007013 when none, 007006 when unknown, not allowed or beyond ``granted``."""
    scopes = (scope or "").split()
    if not scopes:
        raise EsiaError("ESIA-007013")
    allowed = client.scopes if granted is None else client.scopes & set(granted.split())
    if not set(scopes) <= (allowed & ESIA_SCOPES):
        raise EsiaError("ESIA-007006")
    return scopes


class SecretCheck(Enum):
    VALID = "valid"
    UNUSABLE = "unusable"  # inactive certificate, no key registered, client_secret not base64url
    WRONG = "wrong"  # a well-formed signature that does not verify


async def check_client_secret(client: RegisteredClient, message: bytes, secret: str) -> SecretCheck:
    signature = decode_client_secret(secret)
    if not client.active or client.public_key is None or signature is None:
        return SecretCheck.UNUSABLE
    if signature_kind_is_slow(client):
        valid = await asyncio.to_thread(verify_client_secret, client, message, signature)
    else:
        valid = verify_client_secret(client, message, signature)
    return SecretCheck.VALID if valid else SecretCheck.WRONG
