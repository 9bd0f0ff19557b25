"""The one place where errors become HTTP responses.

API and protocol endpoints answer ``application/problem+json`` (RFC 9457) with
the request id; nothing ever shows a stack trace. Unexpected exceptions are
logged and answered by ``web/request_id.py`` with a 500 problem naming only the request id.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from frmr_sso.logs import request_id_var
from frmr_sso.web.pages import NOT_FOUND, render

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["request_id"] = request_id_var.get()
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers={"Cache-Control": "no-store"})


NOT_FOUND_PAGE_STATUSES = frozenset({404, 405})


def wants_page(request: Request) -> bool:
    """A browser's navigation (it accepts HTML first), not an API or protocol call."""
    accept = request.headers.get("accept", "")
    return request.method in ("GET", "HEAD") and "text/html" in accept.split(",", 1)[0]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in NOT_FOUND_PAGE_STATUSES and wants_page(request):
            return render(request, "message.html", status=exc.status_code, page=NOT_FOUND)
        response = problem(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "message": err.get("msg")}
            for err in exc.errors()
        ]
        return problem(400, "Invalid request", "one or more fields are invalid", errors=fields)
