"""The organisations directory: found by a part of the name or of the OID, with the OKTMO."""

from __future__ import annotations

from frmr_sso.registry.directories import Organization, directories, find_organizations

ORGS = {
    "1.2.3.10": Organization("1.2.3.10", "ГБУЗ «Городская клиническая больница № 1 ДЗМ»", "45383000"),
    "1.2.3.11": Organization("1.2.3.11", "ГБУЗ «Городская поликлиника № 5 ДЗМ»", "45374000"),
    "1.2.4.20": Organization("1.2.4.20", "ГАУЗ «Республиканская клиническая больница»", "92701000"),
    "1.2.4.21": Organization("1.2.4.21", "Областная больница имени Семёна", "36701000"),
}


def _names(query: str) -> list[str]:
    return [org.oid for org in find_organizations(query, ORGS)]


def test_every_word_of_the_query_is_in_the_name_whatever_the_case_quotes_and_yo() -> None:
    assert _names("клиническая больница") == ["1.2.4.20", "1.2.3.10"]  # sorted by name
    assert _names("БОЛЬНИЦА № 1") == ["1.2.3.10"]
    assert _names("поликлиника 1") == []  # a number is a whole number: «№ 1» is not «№ 15» nor «№ 5»
    assert _names("«поликлиника»") == ["1.2.3.11"]
    assert _names("семена") == ["1.2.4.21"]


def test_a_part_of_the_oid_finds_the_organisation() -> None:
    assert _names("1.2.4.") == ["1.2.4.20", "1.2.4.21"]  # by name: «ГАУЗ…» before «Областная…»
    assert _names("1.2.3.10") == ["1.2.3.10"]


def test_nothing_for_an_empty_or_unknown_query_and_at_most_the_limit() -> None:
    assert _names("   ") == []
    assert _names("аптека") == []
    assert len(find_organizations("ГБУЗ", ORGS, at_most=1)) == 1


def test_the_shipped_directory_knows_the_demo_organisations_with_their_oktmo() -> None:
    found = directories().organizations["1.2.643.5.1.13.13.12.2.77.7871"]
    assert (found.name, found.oktmo) == ("ГБУЗ «Городская клиническая больница № 1 ДЗМ»", "45383000")
    assert all(
        len(org.oktmo) in (8, 11) and org.oktmo.isdigit() for org in directories().organizations.values()
    )
