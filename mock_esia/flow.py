"""The authorization transaction between ``/v2/ac``, the login pages and ``/v3/te``.

``/v2/ac`` validates the client's request and opens a transaction; the login
pages authenticate the person and close it with ``issue_code``; ``/v3/te``
redeems the code exactly once. Everything lives in the KV store with a TTL, and
one-time reads use ``get_and_delete`` so a code can never be redeemed twice.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from frmr_sso.storage.ports import KeyValueStore
from mock_esia.errors import EsiaError


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    redirect_uri: str
    scope: str
    scope_org: str
    state: str
    access_type: str
    created_at: float


@dataclass(frozen=True)
class Grant:
    """What an authorization code or refresh token stands for."""

    client_id: str
    redirect_uri: str
    scope: str
    scope_org: str
    oid: int
    auth_time: int
    amr: str
    sid: str
    access_type: str


def _dump(obj: AuthRequest | Grant) -> str:
    return json.dumps(asdict(obj), separators=(",", ":"))


async def open_transaction(kv: KeyValueStore, request: AuthRequest, ttl: float) -> str:
    tx = secrets.token_urlsafe(24)
    await kv.set(f"tx:{tx}", _dump(request), ttl)
    return tx


async def load_transaction(kv: KeyValueStore, tx: str) -> AuthRequest | None:
    raw = await kv.get(f"tx:{tx}")
    return None if raw is None else AuthRequest(**json.loads(raw))


async def close_transaction(kv: KeyValueStore, tx: str) -> AuthRequest | None:
    raw = await kv.get_and_delete(f"tx:{tx}")
    return None if raw is None else AuthRequest(**json.loads(raw))


async def issue_code(kv: KeyValueStore, grant: Grant, ttl: float) -> str:
    code = secrets.token_urlsafe(32)
    await kv.set(f"code:{code}", _dump(grant), ttl)
    return code


async def redeem_code(kv: KeyValueStore, code: str) -> Grant | None:
    raw = await kv.get_and_delete(f"code:{code}")
    return None if raw is None else Grant(**json.loads(raw))


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def success_redirect(request: AuthRequest, code: str) -> str:
    return _with_query(request.redirect_uri, {"code": code, "state": request.state})


def error_redirect(request: AuthRequest, error: EsiaError) -> str:
    return _with_query(request.redirect_uri, error.body(request.state))
