"""``/rs/prns/{oid}`` over real HTTP: Bearer checks, scope-dependent fields, collections and embed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mock_esia.errors import ESIA_MESSAGES
from tests.e2e.mock_esia.protocol import DOCTOR, STANDARD, Esia, running_esia

ALL_PERSON = "openid fullname birthdate gender snils inn birthplace"
ETAG = re.compile(r"^[0-9A-F]{40}$")


@pytest.fixture(scope="module")
async def esia(redis_url: str | None) -> AsyncIterator[Esia]:
    async with running_esia(redis_url) as running:
        yield running


async def _get(esia: Esia, path: str, token: str | None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await esia.http.get(path, headers=headers, params=params)


async def _token(esia: Esia, scope: str, oid: int = DOCTOR) -> str:
    body = await esia.tokens("RSA01", oid, scope=scope)
    return str(body["access_token"])


async def test_person_with_every_person_scope(esia: Esia) -> None:
    response = await _get(esia, f"/rs/prns/{DOCTOR}", await _token(esia, ALL_PERSON))
    assert response.status_code == 200
    person = response.json()
    assert ETAG.match(person.pop("eTag"))
    assert isinstance(person.pop("updatedOn"), int)
    assert person == {
        "stateFacts": ["EntityRoot"],
        "lastName": "Иванова",
        "firstName": "Мария",
        "middleName": "Петровна",
        "citizenship": "RUS",
        "birthDate": "14.03.1985",
        "gender": "F",
        "inn": "770123456789",
        "birthPlace": "г. Москва",
        "snils": "112-233-445 95",
        "trusted": True,
        "status": "REGISTERED",
        "verifying": False,
    }


async def test_fields_follow_the_scopes(esia: Esia) -> None:
    person = (await _get(esia, f"/rs/prns/{DOCTOR}", await _token(esia, "openid fullname"))).json()
    assert person["lastName"] == "Иванова"
    for absent in ("snils", "birthDate", "gender", "inn", "birthPlace", "contacts", "documents"):
        assert absent not in person
    person = (await _get(esia, f"/rs/prns/{DOCTOR}", await _token(esia, "openid snils"))).json()
    assert person["snils"] == "112-233-445 95"
    assert "lastName" not in person


async def test_unconfirmed_person_is_not_trusted(esia: Esia) -> None:
    token = await _token(esia, "openid fullname", STANDARD)
    person = (await _get(esia, f"/rs/prns/{STANDARD}", token)).json()
    assert person["trusted"] is False
    assert person["lastName"] == "Сидоров"


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer x", "bearer a.b.c"]
)
async def test_missing_or_invalid_token_is_401(esia: Esia, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await esia.http.get(f"/rs/prns/{DOCTOR}", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_id_token_is_not_an_access_token(esia: Esia) -> None:
    body = await esia.tokens(scope="openid fullname")
    response = await _get(esia, f"/rs/prns/{DOCTOR}", body["id_token"])
    assert response.status_code == 401


async def test_token_of_another_esia_is_401(esia: Esia, redis_url: str | None) -> None:
    async with running_esia(redis_url) as other:
        foreign = (await other.tokens(scope="openid fullname"))["access_token"]
    assert (await _get(esia, f"/rs/prns/{DOCTOR}", foreign)).status_code == 401


async def test_another_persons_record_is_403_007019(esia: Esia) -> None:
    token = await _token(esia, "openid fullname")
    for path in (f"/rs/prns/{STANDARD}", f"/rs/prns/{STANDARD}/ctts", "/rs/prns/abc"):
        response = await _get(esia, path, token)
        assert response.status_code == 403
        assert response.json()["error_description"] == f"ESIA-007019: {ESIA_MESSAGES['ESIA-007019']}"


async def test_contacts_collection_and_elements(esia: Esia) -> None:
    token = await _token(esia, "openid contacts")
    response = await _get(esia, f"/rs/prns/{DOCTOR}/ctts", token)
    assert response.status_code == 200
    collection = response.json()
    assert collection["stateFacts"] == ["hasSize"]
    assert collection["size"] == 2
    assert ETAG.match(collection["eTag"])
    urls = collection["elements"]
    assert urls == [f"{esia.base}/rs/prns/{DOCTOR}/ctts/1", f"{esia.base}/rs/prns/{DOCTOR}/ctts/2"]
    first = (await esia.http.get(urls[0], headers={"Authorization": f"Bearer {token}"})).json()
    assert first["type"] == "MBT"
    assert first["vrfStu"] == "VERIFIED"
    assert first["value"] == "+7(999)0000001"
    assert first["id"] == 1
    assert ETAG.match(first["eTag"])
    embedded = (await _get(esia, f"/rs/prns/{DOCTOR}/ctts", token, embed="(elements)")).json()
    assert embedded["size"] == 2
    assert embedded["elements"][0] == first
    assert (await _get(esia, f"/rs/prns/{DOCTOR}/ctts/9", token)).status_code == 404


@pytest.mark.parametrize(
    ("scope", "types"), [("email", ["EML"]), ("mobile", ["MBT"]), ("email mobile", ["MBT", "EML"])]
)
async def test_contact_types_follow_the_scopes(esia: Esia, scope: str, types: list[str]) -> None:
    token = await _token(esia, f"openid {scope}")
    collection = (await _get(esia, f"/rs/prns/{DOCTOR}/ctts", token, embed="(elements)")).json()
    assert [c["type"] for c in collection["elements"]] == types
    assert collection["size"] == len(types)


@pytest.mark.parametrize(("path", "scope"), [("ctts", "fullname"), ("docs", "contacts"), ("addrs", "id_doc")])
async def test_collection_without_its_scope_is_403(esia: Esia, path: str, scope: str) -> None:
    response = await _get(esia, f"/rs/prns/{DOCTOR}/{path}", await _token(esia, f"openid {scope}"))
    assert response.status_code == 403
    assert response.json()["error_description"].startswith("ESIA-007019")


async def test_documents_and_addresses(esia: Esia) -> None:
    token = await _token(esia, "openid id_doc addresses")
    docs = (await _get(esia, f"/rs/prns/{DOCTOR}/docs", token, embed="(elements)")).json()
    (passport,) = docs["elements"]
    assert {k: passport[k] for k in ("type", "vrfStu", "series", "number", "issueDate", "issueId")} == {
        "type": "RF_PASSPORT", "vrfStu": "VERIFIED", "series": "4509", "number": "123456",
        "issueDate": "20.03.2005", "issueId": "770-001",
    }
    addrs = (await _get(esia, f"/rs/prns/{DOCTOR}/addrs", token)).json()
    assert addrs["elements"] == [f"{esia.base}/rs/prns/{DOCTOR}/addrs/1"]
    address = (await _get(esia, f"/rs/prns/{DOCTOR}/addrs/1", token)).json()
    assert address["type"] == "PLV"
    assert address["zipCode"] == "101000"


async def test_person_embeds_the_collections_its_scopes_allow(esia: Esia) -> None:
    token = await _token(esia, "openid fullname contacts id_doc")
    embed = "(contacts.elements,documents.elements,addresses.elements)"
    person: dict[str, Any] = (await _get(esia, f"/rs/prns/{DOCTOR}", token, embed=embed)).json()
    assert person["contacts"]["size"] == 2
    assert [c["type"] for c in person["contacts"]["elements"]] == ["MBT", "EML"]
    assert person["documents"]["elements"][0]["series"] == "4509"
    assert "addresses" not in person  # no "addresses" scope
    plain = (await _get(esia, f"/rs/prns/{DOCTOR}", token)).json()
    assert "contacts" not in plain


async def test_unknown_collection_is_404(esia: Esia) -> None:
    token = await _token(esia, "openid fullname")
    assert (await _get(esia, f"/rs/prns/{DOCTOR}/orgs", token)).status_code == 404
