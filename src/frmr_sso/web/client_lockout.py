"""Client authentication under lockout, per (client_id, client IP) and per client IP.

A client as a whole is never locked: its id is public, so such a lock would
let anyone shut it out. Wrong secrets lock the address that sent them, for
that client (``LOCKOUT_MAX_FAILURES``) and for every client
(``LOCKOUT_IP_MAX_FAILURES``); the right secret from any other address
authenticates. A secret the verifier already knows to be right (its cache of
recent successes) is no guess: it costs at most one KV read per second and
process to see whether its address is locked (``Lockout.status_cached``).
Any other secret first reserves a slot for the IP and for the (client, IP)
pair (``security/limiter.py``); only then is it checked. A locked client or IP gets
the same ``invalid_client`` as a wrong secret: RFC 6749 §5.2 has no other
answer, and a distinct one would tell an attacker the lock is in force.
"""

from __future__ import annotations

from frmr_sso.audit.events import AuditContext
from frmr_sso.oauth.client_service import AUTH_METHODS, ClientService
from frmr_sso.oauth.clients import Client
from frmr_sso.oauth.errors import InvalidClient
from frmr_sso.security.services import Security, client_key

_FAILED = "client authentication failed"


async def authenticate_locked_out(
    security: Security, clients: ClientService, client_id: str, *, secret: str | None, method: str,
    context: AuditContext,
) -> Client:
    if secret is None or method == "none":  # a public client: no secret to guess
        return await clients.authenticate(client_id, secret=secret, method=method)
    key = client_key(client_id, context.ip)
    known = await clients.get(client_id)
    if known is not None and clients.verifier.remembered(client_id, secret, known.secret_hash):
        if (await security.clients.status_cached(key)).locked or (
            context.ip and (await security.ips.status_cached(context.ip)).locked
        ):
            raise InvalidClient(_FAILED)
        if method in AUTH_METHODS:  # the secret is the one proven right: no second look-up
            return known
        return await clients.authenticate(client_id, secret=secret, method=method)
    authenticated: list[Client] = []

    async def verify() -> bool:
        try:
            authenticated.append(await clients.authenticate(client_id, secret=secret, method=method))
        except InvalidClient:
            return False
        return True

    checked = await security.check("client", key, context, verify)
    if not checked.ok:
        raise InvalidClient(_FAILED)
    return authenticated[0]
