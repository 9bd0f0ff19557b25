"""Client authentication under lockout, per client_id and per client IP (DESIGN.md "Security policy").

A secret the verifier already knows to be right (its cache of recent
successes) is no guess: it costs at most one KV read per second and process
to see whether the client is locked (``Lockout.status_cached``). Any other
secret first reserves a slot for the IP and for the client
(``security/limiter.py``); only then is it checked. A locked client or IP gets
the same ``invalid_client`` as a wrong secret: RFC 6749 §5.2 has no other
answer, and a distinct one would tell an attacker the lock is in force.
"""

from __future__ import annotations

from frmr_sso.audit.events import AuditContext
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidClient
from frmr_sso.oauth.registry import ClientService
from frmr_sso.security.services import Security

_FAILED = "client authentication failed"


async def authenticate_locked_out(
    security: Security, clients: ClientService, client_id: str, *, secret: str | None, method: str,
    context: AuditContext,
) -> Client:
    if secret is None or method == "none":  # a public client: no secret to guess
        return await clients.authenticate(client_id, secret=secret, method=method)
    known = await clients.get(client_id)
    if known is not None and clients.verifier.remembered(client_id, secret, known.secret_hash):
        if (await security.clients.status_cached(client_id)).locked:
            raise InvalidClient(_FAILED)
        return await clients.authenticate(client_id, secret=secret, method=method)
    authenticated: list[Client] = []

    async def verify() -> bool:
        try:
            authenticated.append(await clients.authenticate(client_id, secret=secret, method=method))
        except InvalidClient:
            return False
        return True

    checked = await security.check("client", client_id, context, verify)
    if not checked.ok:
        raise InvalidClient(_FAILED)
    return authenticated[0]
