"""The start page ``/`` (what the service is, the way to the cabinet) and the personal-data notice."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frmr_sso.web.pages import render
from frmr_sso.web.site import PRIVACY_PATH

router = APIRouter(include_in_schema=False)


@router.get("/")
async def start_page(request: Request) -> HTMLResponse:
    return render(request, "index.html")


@router.get(PRIVACY_PATH)
async def privacy_notice(request: Request) -> HTMLResponse:
    return render(request, "privacy.html")
