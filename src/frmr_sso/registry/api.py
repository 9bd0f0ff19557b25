"""The registry's REST use cases, framework-free: the worker's own record and the services' lookup.

``RegistryApi`` reads through ``RecordReader`` (``SqlRegistryRepository``) and
raises ``NotFound`` for a record, or a section item, that is not there or not
the caller's: the answer never tells another worker's id from an unknown one.
Bad parameters raise ``InvalidParams`` naming each field. Services get every
section but identity documents.

The whole record (``me``, ``lookup``) comes as a ``Reading`` with its ETag, made
from the record's version stamp (raised by every write of the record), the view
(which sections, which answer) and the software's version: ``*_etag`` finds the
current one with a single-integer read, so a revalidation (If-None-Match) never
reads the record. A reading is made once per ETag: the same version of the same view
is answered with the bytes encoded before (the last ``RENDERED`` of them are kept).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from frmr_sso.errors import FrmrSsoError
from frmr_sso.identity.snils import InvalidSnils, parse_snils
from frmr_sso.registry.api_json import item_json, person_json, service_length_json
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.version import package_version

RENDERED = 500
LENGTH = "length-of-service"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SERVICE_SECTIONS = tuple(s for s in SECTIONS if s != "documents")
LOOKUP_FIELDS = ("snils", "frmr_id")


class RecordReader(Protocol):
    async def get(self, frmr_id: str) -> FrmrPerson | None: ...

    async def read(self, key: str, value: str) -> tuple[FrmrPerson, int] | None:
        """The whole record and its version stamp by ``key`` ``"frmr_id"`` or ``"snils"``."""

    async def version(self, key: str, value: str) -> tuple[str, int] | None:
        """(frmr_id, version stamp) by ``key``, without reading the record."""


class NotFound(FrmrSsoError):
    pass


class InvalidParams(FrmrSsoError):
    """``params``: (field, reason) pairs, as RFC 9457 ``invalid-params``."""

    def __init__(self, params: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in params))
        self.params = params


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Reading:
    etag: str  # a strong entity tag, quoted
    data: dict[str, Any]
    body: bytes  # ``data`` as compact UTF-8 JSON


def encoded(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_etag(frmr_id: str, version: int, view: str) -> str:
    """The ETag of ``view`` of version ``version`` of the record ``frmr_id`` in this software version."""
    text = "\x00".join((package_version(), frmr_id, str(version), view))
    return '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


def page_params(query: Mapping[str, str]) -> tuple[int, str | None]:
    """``limit`` (1..MAX_LIMIT) and ``cursor`` (the id of the last item seen) of a section page."""
    problems = [(name, "unknown parameter") for name in query if name not in ("limit", "cursor")]
    limit = DEFAULT_LIMIT
    raw = query.get("limit")
    if raw is not None:
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            problems.append(("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
        else:
            limit = int(raw)
    cursor = query.get("cursor")
    if cursor is not None and not 0 < len(cursor) <= 64:
        problems.append(("cursor", "must be the id of an item of the previous page"))
    if problems:
        raise InvalidParams(problems)
    return limit, cursor


def lookup_key(body: Any) -> tuple[str, str]:
    """``("snils", digits)`` or ``("frmr_id", id)`` from the lookup body; InvalidParams otherwise."""
    if not isinstance(body, dict):
        raise InvalidParams([("body", "must be a JSON object with snils or frmr_id")])
    problems = [(str(name)[:64], "unknown field") for name in body if name not in LOOKUP_FIELDS]
    given = [name for name in LOOKUP_FIELDS if name in body]
    if len(given) != 1:
        problems.append(("snils", "give exactly one of snils or frmr_id"))
    elif given == ["snils"]:
        try:
            digits = parse_snils(body["snils"]).digits
        except InvalidSnils as exc:
            problems.append(("snils", str(exc)))
    else:
        value = body["frmr_id"]
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            problems.append(("frmr_id", "must be a string of 1 to 64 characters"))
    if problems:
        raise InvalidParams(problems)
    return ("snils", digits) if given == ["snils"] else ("frmr_id", body["frmr_id"])


class RegistryApi:
    def __init__(self, records: RecordReader) -> None:
        self._records = records
        self._rendered: OrderedDict[str, Reading] = OrderedDict()

    def _reading(
        self, person: FrmrPerson, version: int, answer: str, sections: tuple[str, ...], on: date | None = None
    ) -> Reading:
        etag = record_etag(person.frmr_id, version, _view(answer, sections, on))
        reading = self._rendered.get(etag)
        if reading is None:
            data = person_json(person, sections=sections) if on is None else service_length_json(person, on)
            reading = Reading(etag, data, encoded(data))
            self._rendered[etag] = reading
            if len(self._rendered) > RENDERED:
                self._rendered.popitem(last=False)
        return reading

    async def _own(self, frmr_id: str) -> FrmrPerson:
        person = await self._records.get(frmr_id)
        if person is None:
            raise NotFound("no FRMR record")
        return person

    async def me_etag(self, frmr_id: str, *, sections: tuple[str, ...] = SECTIONS) -> str | None:
        """The current ETag of ``me``; None when there is no such record."""
        found = await self._records.version("frmr_id", frmr_id)
        return None if found is None else record_etag(frmr_id, found[1], _view("me", sections))

    async def me(self, frmr_id: str, *, sections: tuple[str, ...] = SECTIONS) -> Reading:
        found = await self._records.read("frmr_id", frmr_id)
        if found is None:
            raise NotFound("no FRMR record")
        return self._reading(*found, "me", sections)

    async def service_length_etag(self, frmr_id: str, on: date) -> str | None:
        """The current ETag of ``service_length(frmr_id, on)``; None when there is no such record."""
        found = await self._records.version("frmr_id", frmr_id)
        return None if found is None else record_etag(frmr_id, found[1], _view(LENGTH, (), on))

    async def service_length(self, frmr_id: str, on: date) -> Reading:
        """The worker's length of service on the day ``on``, computed once per record version and day."""
        found = await self._records.read("frmr_id", frmr_id)
        if found is None:
            raise NotFound("there is no FRMR record of this person")
        return self._reading(*found, LENGTH, (), on)

    async def section(self, frmr_id: str, section: str, *, limit: int, cursor: str | None) -> Page:
        if section not in SECTIONS:
            raise NotFound("no such section")
        items = getattr(await self._own(frmr_id), section)
        start = 0
        if cursor is not None:
            ids = [item.record_id for item in items]
            if cursor not in ids:
                raise InvalidParams([("cursor", "must be the id of an item of the previous page")])
            start = ids.index(cursor) + 1
        chosen = items[start : start + limit]
        more = start + limit < len(items)
        return Page(
            [item_json(section, i) for i in chosen], len(items), chosen[-1].record_id if more else None
        )

    async def item(self, frmr_id: str, section: str, record_id: str) -> dict[str, Any]:
        if section not in SECTIONS:
            raise NotFound("no such section")
        for item in getattr(await self._own(frmr_id), section):
            if item.record_id == record_id:
                return item_json(section, item)
        raise NotFound("no such item in this record")

    async def lookup_etag(self, body: Any) -> str | None:
        """The current ETag of ``lookup(body)``; None when there is no such record."""
        found = await self._records.version(*lookup_key(body))
        return None if found is None else record_etag(found[0], found[1], _view("lookup", SERVICE_SECTIONS))

    async def lookup(self, body: Any) -> Reading:
        found = await self._records.read(*lookup_key(body))
        if found is None:
            raise NotFound("no FRMR record")
        return self._reading(*found, "lookup", SERVICE_SECTIONS)


def _view(answer: str, sections: tuple[str, ...], on: date | None = None) -> str:
    if on is not None:
        return f"{answer}:{on.isoformat()}"
    return f"{answer}:{','.join(sections)}"
