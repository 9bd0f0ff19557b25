"""Who calls the cabinet's request API: a worker, a registry administrator, or nobody.

- Worker: a bearer access token of this broker with ``openid`` and ``frmr``,
  issued at a login (its claims snapshot names the FRMR record, ``frmr_person_id``).
- Registry administrator (the review of change requests, the support desk): a
  token with the ``admin`` scope (a client_credentials token of an
  administration service), or a worker's token with ``frmr.admin``, a scope the
  login grants only to persons holding the FRMR role ``registry_admin``.

A refused token raises its ``BearerError`` (401/403 with the RFC 6750 ``Bearer`` challenge,
answered as problem+json by the error table); ``Refused`` carries any other ready answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from frmr_sso.cabinet_backend.base import Worker
from frmr_sso.oauth.bearer import AccessClaims, BearerValidator
from frmr_sso.oauth.errors import InsufficientScope, InvalidToken
from frmr_sso.oauth.scope import OPENID
from frmr_sso.oidc.userinfo import load_snapshot
from frmr_sso.storage.ports import KeyValueStore
from frmr_sso.web.errors import problem
from frmr_sso.web.oauth_http import api_bearer

FRMR_SCOPE, ADMIN_SCOPE, REGISTRY_ADMIN_SCOPE = "frmr", "admin", "frmr.admin"
WORKER_SCOPES = frozenset({OPENID, FRMR_SCOPE})


@dataclass(frozen=True)
class Callers:
    """What telling the caller uses: the bearer check and the claims snapshots of issued tokens (KV)."""

    bearer: BearerValidator
    kv: KeyValueStore


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _claims(
    request: Request, callers: Callers, *, scopes: frozenset[str] = frozenset(), optional: bool = False
) -> AccessClaims | None:
    if optional and "authorization" not in request.headers:
        return None
    _, token = await api_bearer(request)
    return await callers.bearer.require(token, scopes=scopes)


async def _worker_of(claims: AccessClaims, callers: Callers) -> Worker:
    snapshot = await load_snapshot(callers.kv, claims.jti)
    if snapshot is None:
        raise InvalidToken("the access token was not issued for an end-user")
    frmr_id = snapshot.get("frmr_person_id")
    if not isinstance(frmr_id, str) or not frmr_id:
        raise Refused(problem(404, "Not Found", "there is no FRMR record of this person"))
    return Worker(claims.subject, frmr_id, claims.client_id)


async def worker(request: Request, callers: Callers) -> Worker:
    claims = await _claims(request, callers, scopes=WORKER_SCOPES)
    assert claims is not None
    return await _worker_of(claims, callers)


async def optional_worker(request: Request, callers: Callers) -> Worker | None:
    """The worker when the request carries a token (which must then be valid), None without one."""
    claims = await _claims(request, callers, scopes=WORKER_SCOPES, optional=True)
    return None if claims is None else await _worker_of(claims, callers)


async def reviewer(request: Request, callers: Callers) -> str:
    """The registry administrator's name for ``decided_by``: ``client:<id>`` or ``subject:<sub>``."""
    claims = await _claims(request, callers)
    assert claims is not None
    if claims.has(ADMIN_SCOPE) and claims.subject == claims.client_id:
        return f"client:{claims.client_id}"
    if claims.has(REGISTRY_ADMIN_SCOPE):
        return f"subject:{claims.subject}"
    raise InsufficientScope("the access token lacks admin or frmr.admin", scope=ADMIN_SCOPE)
