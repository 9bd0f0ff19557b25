"""``/api/v1/me``: the medical worker's own FRMR record, whole and by section (token scopes ``openid frmr``).

The identity documents (``/api/v1/me/documents``, and that section of the whole
record) need ``frmr.documents`` besides, a scope only first-party clients get,
and the token's audience ``<issuer>/api/v1/me/documents``; without them the
section answers 403 ``insufficient_scope`` and the whole record leaves it out.

``GET /api/v1/me`` is the record with every section; ``GET /api/v1/me/{section}``
one section a page at a time (``limit`` 1..100, ``cursor`` = the last item id of
the previous page; the ``next`` link and ``Link: rel="next"`` give it);
``GET /api/v1/me/{section}/{id}`` one item, 404 for an id that is not in this
worker's record (whether it exists elsewhere is never told). Sections:
``registry.sections.SECTIONS``. ETags and problems: ``api_v1_registry_http``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frmr_sso.registry.api import DEFAULT_LIMIT, MAX_LIMIT, InvalidParams, page_params
from frmr_sso.registry.sections import SECTIONS
from frmr_sso.web import api_docs
from frmr_sso.web.deps import RegistryAccessDep, RegistryApiDep
from frmr_sso.web.routes.api_v1_registry_http import (
    AUTH_ERRORS,
    JSON_DOC,
    json_answer,
    reading_answer,
    revalidated,
    token_of,
)

router = APIRouter(prefix="/api/v1/me", tags=["registry"])
_PAGE_DOC = {
    "parameters": [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        {
            "name": "cursor",
            "in": "query",
            "schema": {"type": "string"},
            "description": "id of the previous page's last item",
        },
    ]
}


@router.get(
    "",
    response_class=Response,
    dependencies=api_docs.BEARER_AUTH,
    responses={200: {"description": "the worker's record with every section", **JSON_DOC}, **AUTH_ERRORS},
)
async def me(request: Request, access_check: RegistryAccessDep, api: RegistryApiDep) -> Response:
    access = await access_check.worker(await token_of(request))
    if request.query_params:
        raise InvalidParams([(name, "unknown parameter") for name in request.query_params])
    frmr_id, sections = access.frmr_id, access.sections
    unchanged = await revalidated(request, lambda: api.me_etag(frmr_id, sections=sections))
    return unchanged or reading_answer(request, await api.me(frmr_id, sections=sections))


async def _worker(request: Request, access: RegistryAccessDep, section: str) -> str:
    return (await access.worker(await token_of(request), section=section)).frmr_id


def _section_routes(section: str) -> None:
    async def page(request: Request, access: RegistryAccessDep, api: RegistryApiDep) -> Response:
        frmr_id = await _worker(request, access, section)
        limit, cursor = page_params(request.query_params)
        found = await api.section(frmr_id, section, limit=limit, cursor=cursor)
        next_link = None
        if found.next_cursor is not None:
            next_link = f"{request.url.path}?{urlencode({'limit': limit, 'cursor': found.next_cursor})}"
        body: dict[str, Any] = {"items": found.items, "total": found.total, "next": next_link}
        headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else {}
        return json_answer(request, body, headers)

    async def item(
        request: Request, access: RegistryAccessDep, api: RegistryApiDep, record_id: str
    ) -> Response:
        frmr_id = await _worker(request, access, section)
        return json_answer(request, await api.item(frmr_id, section, record_id))

    router.add_api_route(
        f"/{section}",
        page,
        methods=["GET"],
        response_class=Response,
        dependencies=api_docs.BEARER_AUTH,
        name=f"me_{section}",
        openapi_extra=_PAGE_DOC,
        responses={
            200: {"description": f"a page of {section}: items, total, next", **JSON_DOC},
            **AUTH_ERRORS,
        },
    )
    router.add_api_route(
        f"/{section}/{{record_id}}",
        item,
        methods=["GET"],
        response_class=Response,
        dependencies=api_docs.BEARER_AUTH,
        name=f"me_{section}_item",
        responses={200: {"description": f"one item of {section}", **JSON_DOC}, **AUTH_ERRORS},
    )


for _section in SECTIONS:
    _section_routes(_section)
