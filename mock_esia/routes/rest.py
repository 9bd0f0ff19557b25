"""``GET /rs/prns/{oid}`` and its collections: the person as ESIA's REST API shows it.

The Bearer access token must be one of this mock's (signature, ``iss``, ``exp``
and ``nbf``): otherwise 401 with ``WWW-Authenticate: Bearer
error="invalid_token"``. A token of another person, or a collection the
token's scopes do not cover, is 403 ESIA-007019. Fields follow the scopes:
``fullname`` (names, citizenship), ``birthdate``, ``gender``, ``snils``,
``inn``, ``birthplace``; contacts need ``contacts`` (all types), ``email``
(EML, CEM) or ``mobile`` (MBT); documents ``id_doc``; addresses ``addresses``.
Collection element URLs are absolute, on the host the request came to.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mock_esia.accounts import Account
from mock_esia.errors import EsiaError
from mock_esia.jws import InvalidToken
from mock_esia.routes.common import mock_state
from mock_esia.tokens import verify_access_token

router = APIRouter()

PERSON_FIELDS = {
    "fullname": ("lastName", "firstName", "middleName", "citizenship"),
    "birthdate": ("birthDate",),
    "gender": ("gender",),
    "inn": ("inn",),
    "birthplace": ("birthPlace",),
}
CONTACT_TYPES = {"contacts": None, "email": {"EML", "CEM"}, "mobile": {"MBT"}}
COLLECTIONS = {"ctts": "contacts", "addrs": "addresses", "docs": "documents"}
_STARTED = 1_700_000_000  # a fixed updatedOn for fixture accounts that do not set one


class Unauthorized(Exception):
    pass


def etag(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def format_snils(snils: str) -> str:
    d = "".join(ch for ch in snils if ch.isdigit())
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}" if len(d) == 11 else snils


def _granted(request: Request, oid: str) -> tuple[Account, set[str]]:
    st = mock_state(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    try:
        payload = verify_access_token(st.keys, token.strip(), issuer=st.settings.issuer)
    except InvalidToken:
        raise Unauthorized() from None
    subject = payload["urn:esia:sbj_id"]
    account = st.accounts.by_oid(subject)
    if str(subject) != oid or account is None:
        raise EsiaError("ESIA-007019", status_code=403)
    scopes = {s.split("?", 1)[0] for s in str(payload.get("scope", "")).split() if s.endswith(f"?oid={oid}")}
    return account, scopes


def _elements(account: Account, collection: str, scopes: set[str]) -> list[dict[str, Any]]:
    if collection == "contacts":
        kinds = [CONTACT_TYPES[s] for s in scopes if s in CONTACT_TYPES]
        if not kinds:
            raise EsiaError("ESIA-007019", status_code=403)
        entries = [
            (i, c) for i, c in enumerate(account.contacts)
            if any(k is None or c.get("type") in k for k in kinds)
        ]
    else:
        needed = "id_doc" if collection == "documents" else "addresses"
        if needed not in scopes:
            raise EsiaError("ESIA-007019", status_code=403)
        entries = list(enumerate(getattr(account, collection)))
    return [
        {"stateFacts": ["Identifiable"], "id": int(e.get("id", i + 1)), **e, "eTag": etag(e)}
        for i, e in entries
    ]


def _collection(request: Request, oid: str, name: str, elements: list[dict[str, Any]], embed: bool) -> Any:
    path = next(k for k, v in COLLECTIONS.items() if v == name)
    base = f"{str(request.base_url).rstrip('/')}/rs/prns/{oid}/{path}"
    return {
        "stateFacts": ["hasSize"],
        "size": len(elements),
        "eTag": etag(elements),
        "elements": elements if embed else [f"{base}/{e['id']}" for e in elements],
    }


def _embeds(request: Request) -> set[str]:
    raw = request.query_params.get("embed", "")
    return {part.strip() for part in raw.strip("()").split(",") if part.strip()}


def _person(request: Request, oid: str, account: Account, scopes: set[str]) -> dict[str, Any]:
    source = account.person
    person: dict[str, Any] = {"stateFacts": ["EntityRoot"]}
    for scope, fields in PERSON_FIELDS.items():
        if scope in scopes:
            person.update({f: source[f] for f in fields if f in source})
    if "snils" in scopes:
        person["snils"] = format_snils(account.snils)
    person.update(
        trusted=account.trusted,
        updatedOn=int(source.get("updatedOn", _STARTED)),
        status="REGISTERED",
        verifying=False,
    )
    person["eTag"] = etag(person)
    embeds = _embeds(request)
    for name in COLLECTIONS.values():
        if f"{name}.elements" in embeds:
            try:
                elements = _elements(account, name, scopes)
            except EsiaError:
                continue
            person[name] = _collection(request, oid, name, elements, embed=True)
    return person


def _unauthorized() -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_token", "error_description": "access token missing, expired or invalid"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"', "Cache-Control": "no-store"},
    )


def _answer(body: Any) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/rs/prns/{oid}", include_in_schema=False)
async def person(request: Request, oid: str) -> JSONResponse:
    try:
        account, scopes = _granted(request, oid)
    except Unauthorized:
        return _unauthorized()
    return _answer(_person(request, oid, account, scopes))


@router.get("/rs/prns/{oid}/{path}", include_in_schema=False)
async def collection(request: Request, oid: str, path: str) -> JSONResponse:
    if path not in COLLECTIONS:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        account, scopes = _granted(request, oid)
    except Unauthorized:
        return _unauthorized()
    name = COLLECTIONS[path]
    elements = _elements(account, name, scopes)
    return _answer(_collection(request, oid, name, elements, embed="elements" in _embeds(request)))


@router.get("/rs/prns/{oid}/{path}/{element_id}", include_in_schema=False)
async def element(request: Request, oid: str, path: str, element_id: str) -> JSONResponse:
    if path not in COLLECTIONS:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        account, scopes = _granted(request, oid)
    except Unauthorized:
        return _unauthorized()
    found = [e for e in _elements(account, COLLECTIONS[path], scopes) if str(e["id"]) == element_id]
    if not found:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return _answer(found[0])
