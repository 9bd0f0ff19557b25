"""Upstream identity → FRMR person, and what the login may grant them.

Rules (DESIGN "Identity"): only confirmed accounts; the SNILS is validated
(checksum) by the connector before any lookup; the broker subject is found by
the IdP-verified subject (the ESIA oid, ``<upstream>:<sub>`` elsewhere) or,
for an identity seen first, by the verified SNILS (the identity is then linked
to that subject: one subject per person); never by e-mail. The SNILS is kept
only as a keyed hash. Privileged scopes (``oauth.privileged``) are granted only
to people holding an FRMR role meant for them; a login that asks for one the
client or the person lacks ends on the «Недостаточно прав» page.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any, Protocol

from frmr_sso.identity.snils import Snils
from frmr_sso.oauth.authorization import AuthorizationRequest
from frmr_sso.oauth.privileged import not_covered, privileged
from frmr_sso.oidc.amr import ESIA_AMR_CLAIM
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.upstream.base import UpstreamIdentity

ESIA_CONNECTOR_KIND = "esia"


class MappingFailure(Exception):
    reason = "mapping"


class NotConfirmed(MappingFailure):
    reason = "account_not_confirmed"


class NoFrmrRecord(MappingFailure):
    reason = "no_frmr_record"


class InsufficientRights(MappingFailure):
    reason = "insufficient_rights"

    def __init__(self, scopes: tuple[str, ...]) -> None:
        super().__init__(f"not granted: {' '.join(scopes)}")
        self.scopes = scopes


class PersonLookup(Protocol):
    async def find_by_snils(self, snils_digits: str) -> FrmrPerson | None: ...


def snils_hash(snils: Snils, key: bytes) -> str:
    """HMAC-SHA256 of the SNILS digits under the deployment secret: linkable, not reversible."""
    return hmac.new(key, snils.digits.encode("ascii"), hashlib.sha256).hexdigest()


def link_key(identity: UpstreamIdentity, kind: str) -> str:
    """The key the broker subject is linked on: the ESIA oid, or ``<connector>:<sub>`` elsewhere."""
    return identity.subject if kind == ESIA_CONNECTOR_KIND else f"{identity.connector}:{identity.subject}"


async def find_person(identity: UpstreamIdentity, registry: PersonLookup) -> FrmrPerson:
    if not identity.trusted:
        raise NotConfirmed("the upstream account is not confirmed")
    person = await registry.find_by_snils(identity.snils.digits)
    if person is None:
        raise NoFrmrRecord("no FRMR record for this SNILS")
    return person


def check_rights(request: AuthorizationRequest, roles: tuple[str, ...]) -> None:
    """InsufficientRights when a requested privileged scope is not the client's or not the person's."""
    asked, refused = privileged(request.requested_scope), not_covered(request.requested_scope, roles)
    missing = tuple(scope for scope in asked if scope not in request.scope or scope in refused)
    if missing:
        raise InsufficientRights(missing)


def claims_snapshot(identity: UpstreamIdentity, person: FrmrPerson, today: date) -> dict[str, Any]:
    """What ``oidc.claims`` may release per scope: profile, snils, frmr."""
    snapshot: dict[str, Any] = {
        "family_name": identity.family_name or person.last_name,
        "given_name": identity.given_name or person.first_name,
        "middle_name": identity.middle_name or person.middle_name,
        "birthdate": identity.birthdate or (person.birth_date.isoformat() if person.birth_date else None),
        "gender": identity.gender,
        "snils": identity.snils.formatted,
        ESIA_AMR_CLAIM: list(identity.upstream_amr) or None,
        **person.frmr_claims(today),
    }
    return {name: value for name, value in snapshot.items() if value is not None}
