from __future__ import annotations

from typing import Any

from frmr_sso.oidc.claims import SCOPE_CLAIMS, claims_for_scope, userinfo

SNAPSHOT: dict[str, Any] = {
    "family_name": "Иванова",
    "given_name": "Мария",
    "middle_name": "Петровна",
    "birthdate": "1985-03-14",
    "gender": "female",
    "snils": "112-233-445 95",
    "frmr_person_id": "FRMR-0001",
    "frmr_organizations": [{"oid": "1.2.643.5.1.13", "name": "ГБУЗ ГКБ №1"}],
    "frmr_posts": [{"code": "27", "name": "врач-терапевт"}],
    "esia_oid": "1000299353",
}


def test_profile() -> None:
    assert claims_for_scope(SNAPSHOT, ["openid", "profile"]) == {
        "name": "Иванова Мария Петровна",
        "family_name": "Иванова",
        "given_name": "Мария",
        "middle_name": "Петровна",
        "birthdate": "1985-03-14",
        "gender": "female",
    }


def test_snils_and_frmr() -> None:
    assert claims_for_scope(SNAPSHOT, ["snils"]) == {"snils": "112-233-445 95"}
    assert claims_for_scope(SNAPSHOT, ["frmr"]) == {
        "frmr_person_id": "FRMR-0001",
        "frmr_organizations": SNAPSHOT["frmr_organizations"],
        "frmr_posts": SNAPSHOT["frmr_posts"],
    }


def test_unknown_scopes_and_openid_alone_release_nothing() -> None:
    assert claims_for_scope(SNAPSHOT, ["openid", "offline_access", "email", "esia_oid"]) == {}


def test_snapshot_fields_outside_every_scope_never_leak() -> None:
    everything = claims_for_scope(SNAPSHOT, list(SCOPE_CLAIMS))
    assert "esia_oid" not in everything
    assert set(everything) <= {name for names in SCOPE_CLAIMS.values() for name in names}


def test_missing_and_null_claims_are_left_out() -> None:
    assert claims_for_scope({"given_name": "Мария", "gender": None}, ["profile"]) == {
        "name": "Мария",
        "given_name": "Мария",
    }
    assert claims_for_scope({}, ["profile", "snils", "frmr"]) == {}


def test_an_explicit_name_wins() -> None:
    assert claims_for_scope({"name": "М. П. Иванова", "family_name": "Иванова"}, ["profile"])["name"] == (
        "М. П. Иванова"
    )


def test_userinfo_always_has_the_subject() -> None:
    assert userinfo("sub-1", SNAPSHOT, ["openid"]) == {"sub": "sub-1"}
    assert userinfo("sub-1", {"sub": "forged", "snils": "1"}, ["snils"]) == {"snils": "1", "sub": "sub-1"}
