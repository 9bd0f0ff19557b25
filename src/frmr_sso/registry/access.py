"""Who may read the registry through the REST API: bearer access tokens of this broker, by scope.

- ``frmr`` (with ``openid``): an end-user token; ``/api/v1/me`` is that
  worker's own record. The token's FRMR person is the one its login was mapped
  to: the ``frmr_person_id`` claim the token endpoint kept with the token for
  UserInfo (``oidc.userinfo``, stored for exactly the token's lifetime; on
  refresh it comes again from the refresh family). A client_credentials token
  has no such claim and never reaches a worker's record.
- ``frmr.registry.read``: a service (client_credentials) looks persons up by
  SNILS or FRMR id.

Every token is checked by ``oauth.bearer.BearerValidator``: ``InvalidToken``
(401) for anything but a live access token of this broker, ``InsufficientScope``
(403) when a scope is missing. The identity documents section needs
``frmr.documents`` besides (``oauth.resources``).
"""

from __future__ import annotations

from dataclasses import dataclass

from frmr_sso.oauth.bearer import AccessClaims, BearerValidator, check
from frmr_sso.oauth.errors import InsufficientScope
from frmr_sso.oauth.resources import DOCUMENTS_API, FRMR_DOCUMENTS, api_audience
from frmr_sso.oauth.scope import OPENID
from frmr_sso.oidc.userinfo import load_snapshot
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.storage.ports import KeyValueStore

WORKER_SCOPE = "frmr"
REGISTRY_READ_SCOPE = "frmr.registry.read"
WORKER_SCOPES = frozenset({OPENID, WORKER_SCOPE})
DOCUMENTS = "documents"


@dataclass(frozen=True, slots=True)
class WorkerAccess:
    """A worker's token at ``/api/v1/me``: whose record, and which of its sections it may read."""

    frmr_id: str
    sections: tuple[str, ...]


class RegistryAccess:
    def __init__(self, *, bearer: BearerValidator, kv: KeyValueStore) -> None:
        self._bearer, self._kv = bearer, kv

    async def worker(self, token: str, *, section: str | None = None) -> WorkerAccess:
        """The worker an end-user token with ``openid frmr`` was issued for; the documents section
        (asked for by ``section`` or within the whole record) needs ``frmr.documents`` and its audience."""
        claims = await self._bearer.require(token, scopes=WORKER_SCOPES)
        documents_api = api_audience(self._bearer.issuer, DOCUMENTS_API)
        if section == DOCUMENTS:
            check(claims, scopes=WORKER_SCOPES | {FRMR_DOCUMENTS}, audience=documents_api)
        with_documents = claims.has(FRMR_DOCUMENTS) and documents_api in claims.audiences
        sections = SECTIONS if with_documents else tuple(s for s in SECTIONS if s != DOCUMENTS)
        snapshot = await load_snapshot(self._kv, claims.jti)
        frmr_id = None if snapshot is None else snapshot.get("frmr_person_id")
        if not isinstance(frmr_id, str):
            needed = f"{OPENID} {WORKER_SCOPE}"
            raise InsufficientScope("the access token was not issued for a medical worker", scope=needed)
        return WorkerAccess(frmr_id, sections)

    async def service(self, token: str) -> AccessClaims:
        """The claims of a token holding ``frmr.registry.read``."""
        return await self._bearer.require(token, scopes={REGISTRY_READ_SCOPE})
