"""Identity claims released per scope, for the ID Token and userinfo (OIDC Core §5.1, §5.4).

The values come from the claims snapshot taken at login (the FRMR identity in
the ``CodeGrant`` or the refresh family). A scope releases only the claims it
names; a claim missing from the snapshot is left out, never sent as null;
unknown scopes release nothing. ``name`` is composed from the parts when the
snapshot lacks it ("Фамилия Имя Отчество").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from frmr_sso.oidc.amr import ESIA_AMR_CLAIM

SCOPE_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "openid": (ESIA_AMR_CLAIM,),  # ESIA's own method names beside the RFC 8176 ``amr``
    "profile": ("name", "family_name", "given_name", "middle_name", "birthdate", "gender"),
    "snils": ("snils",),
    "frmr": ("frmr_person_id", "frmr_organizations", "frmr_posts"),
}
_NAME_PARTS = ("family_name", "given_name", "middle_name")


def claims_for_scope(snapshot: Mapping[str, Any], scope: Iterable[str]) -> dict[str, Any]:
    released: dict[str, Any] = {}
    for token in scope:
        for name in SCOPE_CLAIMS.get(token, ()):
            value = snapshot.get(name)
            if name == "name" and value is None:
                value = " ".join(str(snapshot[p]) for p in _NAME_PARTS if snapshot.get(p)) or None
            if value is not None:
                released[name] = value
    return released


def userinfo(subject: str, snapshot: Mapping[str, Any], scope: Iterable[str]) -> dict[str, Any]:
    """The userinfo response (OIDC Core §5.3.2): ``sub`` and the claims of the token's scope."""
    return {**claims_for_scope(snapshot, scope), "sub": subject}
