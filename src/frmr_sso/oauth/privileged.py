"""Privileged scopes: who may hold them, checked at issue, at every refresh and at SSO reuse.

``PRIVILEGED_SCOPES`` is the one list. A registered service gets them through
``client_credentials`` when it is registered for them; a person gets one only
while their FRMR record holds a role that ``ROLE_SCOPES`` maps to it. A client
registered for ``admin`` does not make the people who log in through it
administrators.

A login that asks for a privileged scope the person's roles do not cover ends
on the «Недостаточно прав» page (audited). A refresh looks the person's roles
up again (``RoleLookup``, by the FRMR id the grant keeps under ``PERSON_KEY``):
a privileged scope whose role is gone is left out of the new tokens and the
refusal is audited; the rest of the grant goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

PRIVILEGED_SCOPES: tuple[str, ...] = ("admin", "audit.read", "frmr.registry.read", "frmr.admin")
"""Every privileged scope; a new one is added here (and, when a person may hold it, to ROLE_SCOPES)."""

ROLE_SCOPES: Mapping[str, frozenset[str]] = {
    "sso_admin": frozenset({"admin"}),
    "auditor": frozenset({"audit.read"}),
    "registry_admin": frozenset({"frmr.admin"}),
}
"""FRMR role → the privileged scopes a person holding it may be granted (``frmr.registry.read``: services
only)."""

PERSON_KEY = "frmr_person_id"
"""The grant's claim that names the person's FRMR record, for looking their roles up again."""


class RoleLookup(Protocol):
    async def __call__(self, frmr_id: str) -> tuple[str, ...] | None:
        """The FRMR roles of the record ``frmr_id`` now; None when there is no such record."""
        ...


def privileged(scope: Iterable[str]) -> tuple[str, ...]:
    return tuple(token for token in scope if token in PRIVILEGED_SCOPES)


def allowed_by_roles(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(scope for role in roles for scope in ROLE_SCOPES.get(role, ()))


def not_covered(scope: Iterable[str], roles: Iterable[str]) -> tuple[str, ...]:
    """The privileged scopes of ``scope`` that the person's ``roles`` do not cover."""
    allowed = allowed_by_roles(roles)
    return tuple(token for token in privileged(scope) if token not in allowed)
