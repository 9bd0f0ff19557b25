from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from frmr_sso.identity.snils import Snils
from frmr_sso.login.mapping import (
    InsufficientRights,
    NoFrmrRecord,
    NotConfirmed,
    check_rights,
    claims_snapshot,
    find_person,
    link_key,
    snils_hash,
)
from frmr_sso.oauth.authorization import AuthorizationRequest, validate_authorization_request
from frmr_sso.oauth.privileged import PRIVILEGED_SCOPES, ROLE_SCOPES
from frmr_sso.oauth.request import OAuthRequest
from tests.support.oauth import CLIENTS, WEB_REDIRECT, client, lookup
from tests.unit.login.fakes import IDENTITY, PERSON, FakeRegistry


async def test_find_person_requires_a_confirmed_account_and_a_record() -> None:
    assert await find_person(IDENTITY, FakeRegistry(PERSON)) == PERSON
    with pytest.raises(NotConfirmed):
        await find_person(replace(IDENTITY, trusted=False), FakeRegistry(PERSON))
    with pytest.raises(NoFrmrRecord):
        await find_person(IDENTITY, FakeRegistry())


def test_snils_hash_is_keyed_and_stable() -> None:
    snils = Snils.parse("112-233-445 95")
    assert snils_hash(snils, b"a" * 32) == snils_hash(Snils.parse("11223344595"), b"a" * 32)
    assert snils_hash(snils, b"a" * 32) != snils_hash(snils, b"b" * 32)
    assert "11223344595" not in snils_hash(snils, b"a" * 32)


def test_link_key_is_the_esia_oid_or_a_namespaced_subject() -> None:
    assert link_key(IDENTITY, "esia") == "1000299654"
    assert link_key(replace(IDENTITY, connector="corp", subject="u1"), "oidc") == "corp:u1"


def test_claims_snapshot_has_profile_snils_and_current_jobs() -> None:
    snapshot = claims_snapshot(IDENTITY, PERSON, date(2026, 1, 1))
    assert snapshot["family_name"] == "Иванова"
    assert snapshot["gender"] == "female"
    assert snapshot["birthdate"] == "1985-03-14"
    assert snapshot["snils"] == "112-233-445 95"
    assert snapshot["frmr_person_id"] == "FRMR-0000001"
    assert snapshot["frmr_posts"] == ["врач-терапевт"]
    assert len(snapshot["frmr_organizations"]) == 1


async def _request(client_id: str, scope: str) -> AuthorizationRequest:
    query = {"client_id": client_id, "redirect_uri": WEB_REDIRECT, "response_type": "code", "scope": scope}
    return await validate_authorization_request(OAuthRequest.build("GET", query=query), lookup)


async def test_role_bound_scopes_need_the_client_and_the_role() -> None:
    admin_client = client("admin-app", redirect_uris=(WEB_REDIRECT,), scopes=("openid", "frmr.admin"))
    CLIENTS[admin_client.client_id] = admin_client
    try:
        req = await _request("admin-app", "openid frmr.admin")
        check_rights(req, ("registry_admin",))
        with pytest.raises(InsufficientRights) as denied:
            check_rights(req, ())
        assert denied.value.scopes == ("frmr.admin",)
        not_registered = await _request("demo-web", "openid frmr.admin")
        with pytest.raises(InsufficientRights):
            check_rights(not_registered, ("registry_admin",))
        check_rights(await _request("demo-web", "openid profile"), ())
    finally:
        del CLIENTS[admin_client.client_id]


@pytest.mark.parametrize(
    ("scope", "roles", "refused"),
    [
        ("openid admin audit.read", (), ("admin", "audit.read")),  # the client's registration is not enough
        ("openid admin audit.read", ("sso_admin",), ("audit.read",)),
        ("openid admin audit.read", ("sso_admin", "auditor"), ()),
        ("openid frmr.registry.read", ("registry_admin", "sso_admin", "auditor"), ("frmr.registry.read",)),
        ("openid frmr.admin", ("registry_admin",), ()),
        ("openid profile", (), ()),
    ],
)
async def test_privileged_scopes_need_a_role_meant_for_them(
    scope: str, roles: tuple[str, ...], refused: tuple[str, ...]
) -> None:
    privileged_client = client(
        "ops-app", redirect_uris=(WEB_REDIRECT,),
        scopes=("openid", "profile", "admin", "audit.read", "frmr.registry.read", "frmr.admin"),
    )
    CLIENTS[privileged_client.client_id] = privileged_client
    try:
        req = await _request("ops-app", scope)
        if not refused:
            check_rights(req, roles)
            return
        with pytest.raises(InsufficientRights) as denied:
            check_rights(req, roles)
        assert denied.value.scopes == refused
    finally:
        del CLIENTS[privileged_client.client_id]


def test_every_role_maps_only_to_declared_privileged_scopes() -> None:
    assert set(PRIVILEGED_SCOPES) >= {"admin", "audit.read", "frmr.registry.read"}
    for scopes in ROLE_SCOPES.values():
        assert scopes <= set(PRIVILEGED_SCOPES)
    assert not any("frmr.registry.read" in scopes for scopes in ROLE_SCOPES.values())  # services only
