"""The registry API's use cases against an in-memory reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from frmr_sso.registry.api import InvalidParams, NotFound, RegistryApi, lookup_key, page_params
from frmr_sso.registry.demo import DEMO_PERSONS_FILE, load_demo_persons
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS

PERSONS = {p.frmr_id: p for p in load_demo_persons()}
DOCTOR = "FRMR-0000001"


class Reader:
    """The demo records, each at version 1 (``VERSIONS`` raises one)."""

    async def get(self, frmr_id: str) -> FrmrPerson | None:
        return PERSONS.get(frmr_id)

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None:
        person = next((p for p in PERSONS.values() if getattr(p, key) == value), None)
        return None if person is None else (person, VERSIONS.get(person.frmr_id, 1))

    async def version(self, key: str, value: str) -> tuple[str, int] | None:
        found = await self.read(key, value)
        return None if found is None else (found[0].frmr_id, found[1])


VERSIONS: dict[str, int] = {}


API = RegistryApi(Reader())


async def test_me_is_the_whole_record_in_json() -> None:
    body = (await API.me(DOCTOR)).data
    assert json.loads(json.dumps(body)) == body  # plain JSON values only
    entry = yaml.safe_load(DEMO_PERSONS_FILE.read_text(encoding="utf-8"))["persons"][0]
    assert [c["id"] for c in body["courses"]] == [c["id"] for c in entry["courses"]]
    assert body["education"][0]["kind_name"] == "Высшее образование — специалитет"
    assert body["employments"][1]["position_type_name"] == "внешнее совместительство"
    with pytest.raises(NotFound):
        await API.me("FRMR-NOBODY")


async def test_sections_page_by_the_last_id_seen() -> None:
    first = await API.section(DOCTOR, "employments", limit=2, cursor=None)
    assert (len(first.items), first.total, first.next_cursor) == (2, 3, first.items[-1]["id"])
    rest = await API.section(DOCTOR, "employments", limit=2, cursor=first.next_cursor)
    assert (len(rest.items), rest.next_cursor) == (1, None)
    empty = await API.section("FRMR-0000003", "courses", limit=5, cursor=None)
    assert (empty.items, empty.total, empty.next_cursor) == ([], 0, None)
    with pytest.raises(InvalidParams) as bad:
        await API.section(DOCTOR, "employments", limit=2, cursor="crs-0000001-1")
    assert bad.value.params == [("cursor", "must be the id of an item of the previous page")]
    with pytest.raises(NotFound):
        await API.section(DOCTOR, "statements", limit=2, cursor=None)


async def test_an_item_is_found_only_in_its_own_record() -> None:
    assert (await API.item(DOCTOR, "courses", "crs-0000001-2"))["hours"] == 72
    for frmr_id, section, record_id in [
        ("FRMR-0000004", "courses", "crs-0000001-2"),
        (DOCTOR, "employments", "crs-0000001-2"),
        (DOCTOR, "nope", "x"),
    ]:
        with pytest.raises(NotFound):
            await API.item(frmr_id, section, record_id)


@pytest.mark.parametrize(
    ("query", "expected"),
    [({}, (20, None)), ({"limit": "100", "cursor": "c"}, (100, "c"))],
)
def test_page_params(query: dict[str, str], expected: tuple[int, str | None]) -> None:
    assert page_params(query) == expected


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"limit": "0"}, ["limit"]),
        ({"limit": "1e2"}, ["limit"]),
        ({"limit": "٣"}, ["limit"]),
        ({"cursor": ""}, ["cursor"]),
        ({"offset": "3", "limit": "-1"}, ["offset", "limit"]),
    ],
)
def test_bad_page_params_name_each_field(query: dict[str, str], fields: list[str]) -> None:
    with pytest.raises(InvalidParams) as bad:
        page_params(query)
    assert [name for name, _ in bad.value.params] == fields


async def test_lookup_by_snils_or_id_leaves_documents_out() -> None:
    by_snils = (await API.lookup({"snils": "112-233-445 95"})).data
    assert by_snils == (await API.lookup({"frmr_id": DOCTOR})).data
    assert "documents" not in by_snils
    assert by_snils["snils"] == "112-233-445 95"
    with pytest.raises(NotFound):
        await API.lookup({"snils": "123-456-789 64"})


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({"snils": "112-233-445 96"}, [("snils", "the SNILS control number does not match")]),
        ({"frmr_id": 5}, [("frmr_id", "must be a string of 1 to 64 characters")]),
        ({}, [("snils", "give exactly one of snils or frmr_id")]),
        ({"snils": "112-233-445 95", "x": 1}, [("x", "unknown field")]),
        ("112-233-445 95", [("body", "must be a JSON object with snils or frmr_id")]),
    ],
)
def test_bad_lookup_bodies(body: Any, params: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidParams) as bad:
        lookup_key(body)
    assert bad.value.params == params
    assert "445 95" not in str(bad.value)


async def test_etags_come_from_the_version_and_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    me, lookup = await API.me(DOCTOR), await API.lookup({"snils": "112-233-445 95"})
    assert await API.me_etag(DOCTOR) == me.etag
    by_id = await API.lookup({"frmr_id": DOCTOR})
    assert await API.lookup_etag({"frmr_id": DOCTOR}) == lookup.etag == by_id.etag
    without_documents = tuple(s for s in SECTIONS if s != "documents")
    no_documents, other = await API.me(DOCTOR, sections=without_documents), await API.me("FRMR-0000004")
    others = {lookup.etag, no_documents.etag, other.etag}
    assert me.etag not in others
    assert len(others) == 3
    monkeypatch.setitem(VERSIONS, DOCTOR, 2)  # a write of the record
    assert await API.me_etag(DOCTOR) == (await API.me(DOCTOR)).etag != me.etag
    assert await API.me_etag("FRMR-NOBODY") is None
    assert await API.lookup_etag({"snils": "123-456-789 64"}) is None
