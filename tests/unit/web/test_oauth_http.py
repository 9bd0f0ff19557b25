"""The HTTP adapter of the protocol endpoints, on hand-built ASGI requests."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from frmr_sso.oauth.errors import InvalidClient, InvalidRequest
from frmr_sso.web.oauth_http import (
    FORM_TYPE,
    MAX_FORM_BYTES,
    BearerInvalidRequest,
    BearerMissing,
    authenticate_client,
    bearer_token,
    error_response,
    oauth_request,
    read_form,
)

FORM = {"content-type": FORM_TYPE}


def make_request(
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    method: str = "POST",
    query: bytes = b"",
    chunks: int = 1,
) -> Request:
    scope = {
        "type": "http",
        "method": method,
        "path": "/token",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()],
        "query_string": query,
        "client": ("192.0.2.7", 40000),
    }
    size = max(1, len(body) // chunks + 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def receive() -> dict[str, Any]:
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    return Request(scope, receive)


async def test_form_keeps_repeated_parameters_for_the_core_to_refuse() -> None:
    form = await read_form(make_request(b"grant_type=a&grant_type=b&scope=x+y%20z", FORM))
    assert form.get("scope") == "x y z"
    with pytest.raises(InvalidRequest, match="repeated"):
        form.get("grant_type")


async def test_form_with_a_charset_parameter() -> None:
    form = await read_form(make_request(b"a=%D0%96", {"content-type": f"{FORM_TYPE}; charset=UTF-8"}))
    assert form.get("a") == "Ж"


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain", ""]
)
async def test_only_form_bodies_are_read(content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with pytest.raises(InvalidRequest, match="must be"):
        await read_form(make_request(b"a=b", headers))


@pytest.mark.parametrize(
    "body",
    [b"a=%FF", b"a=\xff", b"&".join(b"f%d=1" % i for i in range(65))],
    ids=["percent-invalid-utf8", "raw-invalid-utf8", "too-many-fields"],
)
async def test_malformed_bodies(body: bytes) -> None:
    with pytest.raises(InvalidRequest, match="malformed"):
        await read_form(make_request(body, FORM))


async def test_oversized_body_by_declared_length_and_by_stream() -> None:
    big = b"a=" + b"x" * MAX_FORM_BYTES
    with pytest.raises(InvalidRequest, match="too large"):
        await read_form(make_request(big, {**FORM, "content-length": str(len(big))}))
    with pytest.raises(InvalidRequest, match="too large"):
        await read_form(make_request(big, FORM, chunks=8))  # no Content-Length: counted while streaming


async def test_oauth_request_carries_query_form_headers_and_ip() -> None:
    request = await oauth_request(make_request(b"a=1", {**FORM, "X-Thing": "v"}, query=b"q=2"))
    assert request.method == "POST"
    assert request.form.get("a") == "1"
    assert request.query.get("q") == "2"
    assert request.header("X-Thing") == "v"
    assert request.client_ip == "192.0.2.7"
    bare = await oauth_request(make_request(b"junk", {}, method="GET"), form=False)
    assert bare.form.names() == frozenset()


class FakeClients:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []

    async def authenticate(self, client_id: str, *, secret: str | None, method: str) -> str:
        self.calls.append((client_id, secret, method))
        return client_id


async def test_client_authentication_methods() -> None:
    clients = FakeClients()
    basic = {"authorization": "Basic " + __import__("base64").b64encode(b"svc:p%40ss").decode()}
    await authenticate_client(clients, await oauth_request(make_request(b"", {**FORM, **basic})))  # type: ignore[arg-type]
    await authenticate_client(
        clients, await oauth_request(make_request(b"client_id=svc&client_secret=s", FORM))
    )  # type: ignore[arg-type]
    await authenticate_client(clients, await oauth_request(make_request(b"client_id=spa", FORM)))  # type: ignore[arg-type]
    assert clients.calls == [
        ("svc", "p@ss", "client_secret_basic"),
        ("svc", "s", "client_secret_post"),
        ("spa", None, "none"),
    ]


@pytest.mark.parametrize(
    ("body", "headers", "error"),
    [
        (b"client_id=" + b"c" * 200, {}, InvalidRequest),
        (b"client_id=a&client_id=b", {}, InvalidRequest),
        (b"", {"authorization": "Basic " + "QQ==" * 2000}, InvalidClient),
        (b"", {}, InvalidClient),
    ],
    ids=["long-id", "repeated-id", "huge-header", "none"],
)
async def test_client_authentication_failures(
    body: bytes, headers: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await authenticate_client(FakeClients(), await oauth_request(make_request(body, {**FORM, **headers})))  # type: ignore[arg-type]


async def bearer_of(body: bytes = b"", headers: dict[str, str] | None = None, query: bytes = b"") -> str:
    return bearer_token(await oauth_request(make_request(body, {**FORM, **(headers or {})}, query=query)))


async def test_bearer_from_header_or_form() -> None:
    assert await bearer_of(headers={"authorization": "Bearer abc.def"}) == "abc.def"
    assert await bearer_of(headers={"authorization": "bearer  abc "}) == "abc"
    assert await bearer_of(b"access_token=xyz") == "xyz"


@pytest.mark.parametrize(
    ("body", "headers", "query", "error"),
    [
        (b"", {}, b"access_token=q", BearerInvalidRequest),
        (b"access_token=a", {"authorization": "Bearer b"}, b"", BearerInvalidRequest),
        (b"access_token=a&access_token=b", {}, b"", BearerInvalidRequest),
        (b"", {"authorization": "Bearer "}, b"", BearerInvalidRequest),
        (b"", {"authorization": "Basic abc"}, b"", BearerMissing),
        (b"", {}, b"", BearerMissing),
    ],
    ids=["query", "two-carriers", "repeated", "empty", "other-scheme", "none"],
)
async def test_bearer_failures(
    body: bytes, headers: dict[str, str], query: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await bearer_of(body, headers, query)


def test_bearer_challenges() -> None:
    missing = error_response(BearerMissing("no token"))
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="frmr-sso"'
    invalid = error_response(BearerInvalidRequest("bad"))
    assert invalid.status_code == 400
    assert 'error="invalid_request"' in invalid.headers["www-authenticate"]
