"""The cabinet's multipart reader: limits hold while the body streams in."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from frmr_sso.cabinet_backend.change_requests.uploads import DOCUMENT_TYPES
from frmr_sso.web.multipart_form import FilePart, FormRefused, read_multipart
from tests.support import documents

BOUNDARY = "b0undary"


def body(texts: dict[str, str], files: list[tuple[str, str, bytes]]) -> bytes:
    out = b""
    for name, value in texts.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, filename, data in files:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        out += head.encode() + b"Content-Type: application/pdf\r\n\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


class Streamed:
    """An ASGI request whose body arrives in 64 KiB chunks; counts what the reader took."""

    def __init__(self, payload: bytes, *, declare_length: bool = False) -> None:
        self.chunks = [payload[i : i + 65536] for i in range(0, len(payload), 65536)]
        self.taken = 0
        headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
        if declare_length:
            headers.append((b"content-length", str(len(payload)).encode()))
        self.request = Request({"type": "http", "method": "POST", "headers": headers}, self.receive)

    async def receive(self) -> dict[str, Any]:
        chunk = self.chunks[self.taken]
        self.taken += 1
        return {"type": "http.request", "body": chunk, "more_body": self.taken < len(self.chunks)}


async def read(streamed: Streamed, limit: int = 5 * 1024 * 1024) -> Any:
    return await read_multipart(
        streamed.request,
        texts=("section", "fields"),
        files={"documents": FilePart(DOCUMENT_TYPES, count=2)},
        limit=limit,
    )


async def test_texts_and_files_are_read_and_checked() -> None:
    form = await read(Streamed(body({"section": "workplace"}, [("documents", "a.pdf", documents.pdf())])))
    assert form.texts == {"section": "workplace"}
    assert [(f.content_type, f.data) for f in form.files] == [("application/pdf", documents.pdf())]


async def test_an_oversized_file_stops_the_reading_at_the_limit() -> None:
    streamed = Streamed(body({}, [("documents", "big.pdf", documents.pdf(padding=3 * 1024 * 1024))]))
    with pytest.raises(FormRefused) as refused:
        await read(streamed, limit=1024 * 1024)
    assert (refused.value.field, refused.value.status) == ("documents", 413)
    assert streamed.taken < len(streamed.chunks) // 2


async def test_a_declared_length_beyond_every_limit_is_refused_before_reading() -> None:
    streamed = Streamed(
        body({}, [("documents", "big.pdf", documents.pdf(padding=12 * 1024 * 1024))]), declare_length=True
    )
    with pytest.raises(FormRefused) as refused:
        await read(streamed)
    assert (refused.value.field, refused.value.status, streamed.taken) == ("body", 413, 0)


@pytest.mark.parametrize(
    ("texts", "files", "field"),
    [
        ({"salary": "1"}, [], "salary"),
        ({}, [("photo", "a.pdf", documents.pdf())], "photo"),
        ({}, [("documents", "a.pdf", documents.pdf())] * 3, "documents"),
    ],
)
async def test_unknown_repeated_or_undecodable_parts_are_named(
    texts: dict[str, str], files: list[tuple[str, str, bytes]], field: str
) -> None:
    with pytest.raises(FormRefused) as refused:
        await read(Streamed(body(texts, files)))
    assert refused.value.field == field


async def test_a_text_part_must_be_utf8() -> None:
    with pytest.raises(FormRefused) as refused:
        await read(Streamed(body({"section": "@"}, []).replace(b"@", b"\xff")))
    assert refused.value.field == "section"
