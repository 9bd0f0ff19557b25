"""Request bodies over real HTTP: limits per kind of route, before and while the body arrives.

Floods are sent on raw sockets (chunked or with a declared length), so the client never holds
them; the server's memory is sampled while they run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.web.provider import SERVICE_ID, SERVICE_SECRET, Provider, basic

CHUNK = b"a=" + b"x" * (64 * 1024 - 3) + b"&"  # one form field of 64 KB per chunk
MB = 1024 * 1024


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    lines = head.split(b"\r\n")
    length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")), 0)
    return int(head.split(b" ", 2)[1]), head, await reader.readexactly(length)


async def _service_token(provider: Provider) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=provider.base, timeout=30) as http:
        form = {"grant_type": "client_credentials", "scope": "frmr.registry.read"}
        answer = await http.post("/token", data=form, headers=basic(SERVICE_ID, SERVICE_SECRET))
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _send(
    provider: Provider, path: str, content_type: str, total: int, *, declared: bool = False,
    head_only: bool = False, headers: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """POST ``total`` bytes of a form to ``path`` on a raw socket: (status, headers, body) of the answer.

    ``declared``: with ``Content-Length`` (and ``head_only``: send no byte of the body), else chunked.
    Sending stops as soon as the server answers or closes."""
    host, port = urlsplit(provider.base).hostname, urlsplit(provider.base).port
    reader, writer = await asyncio.open_connection(host, port)
    framing = f"Content-Length: {total}" if declared else "Transfer-Encoding: chunked"
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
                 f"{framing}\r\n{extra}\r\n".encode())
    answer = asyncio.ensure_future(_answer(reader))
    sent = 0
    try:
        while not head_only and sent < total and not answer.done():
            piece = CHUNK[: total - sent]
            writer.write(piece if declared else b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            sent += len(piece)
        if not declared and not head_only and not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except OSError:  # the server answered and closed while the body was still coming
        pass
    try:
        return await asyncio.wait_for(answer, 60)
    finally:
        writer.close()


@contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Samples this process's resident memory (the server runs in it) every 5 ms; yields [baseline, peak]."""
    def rss() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))

    found = [rss(), rss()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            found[1] = max(found[1], rss())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        stop.set()
        thread.join()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body(provider: Provider) -> None:
    form = "application/x-www-form-urlencoded"
    status, head, body = await _send(provider, "/token", form, 48 * MB, declared=True, head_only=True)
    assert status == 413  # no byte of the body was sent: the answer cannot have waited for it
    assert b"application/json" in head
    assert b'"error": "invalid_request"' in body
    status, head, body = await _send(provider, "/authorize", form, 48 * MB, declared=True, head_only=True)
    assert (status, b"text/html" in head) == (413, True)
    assert "Слишком большой запрос" in body.decode()
    status, head, _ = await _send(provider, "/api/v1/me/statements", "application/json", MB, declared=True,
                                  head_only=True)
    assert (status, b"application/problem+json" in head) == (413, True)


@pytest.mark.parametrize(
    ("path", "media"),
    [("/token", b"application/json"), ("/logout", b"text/html"), ("/login/2fa", b"text/html"),
     ("/api/v1/registry/lookup", b"application/problem+json"), ("/cabinet/logout", b"")],
)
async def test_a_chunked_body_is_cut_off_where_it_crosses_the_limit(
    provider: Provider, path: str, media: bytes
) -> None:
    token = await _service_token(provider) if path.startswith("/api/") else {}
    media_type = "application/json" if token else "application/x-www-form-urlencoded"
    status, head, _ = await _send(provider, path, media_type, 48 * MB, headers=token)
    assert status in ({413} if media else {404, 413})  # the cabinet is not mounted in every test broker
    assert media in head


async def test_uploads_get_their_documented_size(provider: Provider) -> None:
    """A 6 MB support form reaches the route (which judges the file); over the upload limit it does not."""
    mixed = "multipart/form-data; boundary=b0undary"
    status, _, body = await _send(provider, "/api/v1/support-requests", mixed, 6 * MB)
    assert b"larger than" not in body  # the route's own answer (a malformed form), not the size limit
    assert status in (400, 413, 415)
    status, _, body = await _send(provider, "/api/v1/support-requests", mixed, 27 * MB, declared=True,
                                  head_only=True)
    assert status == 413
    assert b"larger than 27262976 bytes" in body


async def test_multipart_without_a_boundary_is_a_400_page(http: httpx.AsyncClient) -> None:
    for path in ("/authorize", "/logout"):
        answer = await http.post(path, content=b"x=1", headers={"Content-Type": "multipart/form-data"})
        assert answer.status_code == 400, (path, answer.text)
        assert "Некорректная форма" in answer.text


async def test_json_nested_too_deep_is_a_400(http: httpx.AsyncClient, provider: Provider) -> None:
    deep = b"[" * 2000 + b"]" * 2000  # within the lookup's 4 KB: once a RecursionError, a 500
    answer = await http.post("/api/v1/registry/lookup", content=deep, headers={
        **await _service_token(provider), "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_floods_leave_the_servers_memory_bounded(provider: Provider) -> None:
    form = "application/x-www-form-urlencoded"
    token = await _service_token(provider)
    floods = [("/authorize", form), ("/logout", form), ("/token", form), ("/login/2fa", form),
              ("/api/v1/registry/lookup", "application/json"), ("/account/2fa", form)]
    with peak_rss() as memory:
        answers = await asyncio.gather(*(
            _send(provider, path, media, 40 * MB, headers=token) for path, media in floods for _ in range(3)
        ))
    grown = (memory[1] - memory[0]) / MB
    print(f"resident memory: {memory[0] / MB:.0f} MB, at most {memory[1] / MB:.0f} MB under the floods")
    assert grown < 60, f"resident memory grew by {grown:.0f} MB under 18 bodies of 40 MB"
    assert {status for status, _, _ in answers} == {413}
