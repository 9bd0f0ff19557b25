"""Who calls the cabinet's request API: a worker, a registry administrator, or nobody.

- Worker: a bearer access token of this broker with ``openid`` and ``frmr``,
  issued at a login (its claims snapshot names the FRMR record, ``frmr_person_id``).
- Registry administrator (the review of change requests, the support desk): a
  token with the ``admin`` scope (a client_credentials token of an
  administration service), or a worker's token with ``frmr.admin``, a scope the
  login grants only to persons holding the FRMR role ``registry_admin``.

Failures are ``Refused`` carrying the problem+json answer (401/403 with the
RFC 6750 ``Bearer`` challenge).
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from frmr_sso.bootstrap import Container
from frmr_sso.oauth.access_tokens import AT_JWT, is_denied
from frmr_sso.oauth.errors import BearerError, InsufficientScope, InvalidRequest, InvalidToken
from frmr_sso.oidc.userinfo import load_snapshot
from frmr_sso.registry.cabinet_base import Worker
from frmr_sso.web.errors import problem
from frmr_sso.web.oauth_http import BearerInvalidRequest, bearer_token, oauth_request

FRMR_SCOPE, ADMIN_SCOPE, REGISTRY_ADMIN_SCOPE = "frmr", "admin", "frmr.admin"


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def bearer_refusal(exc: BearerError) -> Refused:
    response = problem(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.description, error=exc.error)
    response.headers.update(exc.headers())
    return Refused(response)


async def _claims(request: Request, container: Container, *, optional: bool = False) -> dict[str, Any] | None:
    if optional and "authorization" not in request.headers:
        return None
    try:
        try:
            token = bearer_token(await oauth_request(request, form=False))
        except InvalidRequest as exc:
            raise BearerInvalidRequest(exc.description) from None
        return await access_claims(token, container)
    except BearerError as exc:
        raise bearer_refusal(exc) from None


async def access_claims(token: str, container: Container) -> dict[str, Any]:
    """The claims of a live access token this broker issued for itself; ``InvalidToken`` otherwise."""
    issuer = container.settings.issuer
    claims = await container.verifier.verify(token, typ=AT_JWT)
    invalid = InvalidToken("the access token is invalid or expired")
    if claims is None or claims.get("iss") != issuer:
        raise invalid
    audience, jti, exp = claims.get("aud"), claims.get("jti"), claims.get("exp")
    if audience != issuer and not (isinstance(audience, list) and issuer in audience):
        raise invalid
    if not isinstance(jti, str) or not isinstance(exp, int) or exp <= time.time():
        raise invalid
    if await is_denied(container.kv, jti):
        raise invalid
    return claims


def _scopes(claims: dict[str, Any]) -> set[str]:
    return set(str(claims.get("scope", "")).split())


async def _worker_of(claims: dict[str, Any], container: Container) -> Worker:
    if FRMR_SCOPE not in _scopes(claims) or "openid" not in _scopes(claims):
        raise bearer_refusal(InsufficientScope("the access token lacks openid or frmr", scope=FRMR_SCOPE))
    snapshot = await load_snapshot(container.kv, str(claims["jti"]))
    if snapshot is None:
        raise bearer_refusal(InvalidToken("the access token was not issued for an end-user"))
    frmr_id = snapshot.get("frmr_person_id")
    if not isinstance(frmr_id, str) or not frmr_id:
        raise Refused(problem(404, "Not Found", "there is no FRMR record of this person"))
    client = claims.get("client_id")
    return Worker(str(claims["sub"]), frmr_id, client if isinstance(client, str) else None)


async def worker(request: Request, container: Container) -> Worker:
    claims = await _claims(request, container)
    assert claims is not None
    return await _worker_of(claims, container)


async def optional_worker(request: Request, container: Container) -> Worker | None:
    """The worker when the request carries a token (which must then be valid), None without one."""
    claims = await _claims(request, container, optional=True)
    return None if claims is None else await _worker_of(claims, container)


async def reviewer(request: Request, container: Container) -> str:
    """The registry administrator's name for ``decided_by``: ``client:<id>`` or ``subject:<sub>``."""
    claims = await _claims(request, container)
    assert claims is not None
    scopes = _scopes(claims)
    if ADMIN_SCOPE in scopes and claims.get("sub") == claims.get("client_id"):
        return f"client:{claims.get('client_id')}"
    if REGISTRY_ADMIN_SCOPE in scopes:
        return f"subject:{claims.get('sub')}"
    raise bearer_refusal(InsufficientScope("the access token lacks admin or frmr.admin", scope=ADMIN_SCOPE))
