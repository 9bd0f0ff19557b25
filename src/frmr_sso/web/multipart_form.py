"""A ``multipart/form-data`` body read as it streams: size limits hold before the body is all read.

Text parts are UTF-8, at most ``MAX_TEXT`` bytes each; file parts go into an
``UploadBuffer`` that refuses the chunk crossing its limit, so an oversized file
stops the reading there. Only the part names the endpoint declares are
accepted, each file part at most ``count`` times; every refusal is a
``FormRefused`` naming the part, and nothing has been stored yet when it comes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from frmr_sso.cabinet_backend.change_requests.uploads import MAX_BYTES, Upload, UploadBuffer, UploadRejected

MAX_TEXT = 64 * 1024
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


class FormRefused(Exception):
    def __init__(self, field: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


@dataclass(frozen=True, slots=True)
class FilePart:
    allowed: Collection[str]
    count: int = 1


@dataclass
class ParsedForm:
    texts: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


class _Reader:
    def __init__(self, texts: Collection[str], files: Mapping[str, FilePart], limit: int) -> None:
        self._texts, self._files, self._limit = texts, files, limit
        self.form = ParsedForm()
        self._header_name = self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._text: bytearray | None = None
        self._file: UploadBuffer | None = None
        self._counts: dict[str, int] = {}

    def on_part_begin(self) -> None:
        self._disposition, self._text, self._file = b"", None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")[:64]
        self._name = name
        if b"filename" in options:
            part = self._files.get(name)
            if part is None:
                raise FormRefused(name or "body", "unknown field (or not a file field)")
            self._counts[name] = self._counts.get(name, 0) + 1
            if self._counts[name] > part.count:
                raise FormRefused(name, f"at most {part.count} file(s)")
            filename = options[b"filename"].decode("utf-8", "replace")
            self._file = UploadBuffer(name, filename, limit=self._limit)
        elif name in self._texts:
            if name in self.form.texts:
                raise FormRefused(name, "given more than once")
            self._text = bytearray()
        else:
            raise FormRefused(name or "body", "unknown field")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.feed(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > MAX_TEXT:
                raise FormRefused(self._name, f"at most {MAX_TEXT} bytes")

    def on_part_end(self) -> None:
        if self._file is not None:
            self.form.files.append(self._file.finish(self._files[self._name].allowed))
        elif self._text is not None:
            try:
                self.form.texts[self._name] = self._text.decode("utf-8")
            except UnicodeDecodeError:
                raise FormRefused(self._name, "must be UTF-8 text") from None


async def read_multipart(
    request: Request, *, texts: Collection[str], files: Mapping[str, FilePart], limit: int = MAX_BYTES
) -> ParsedForm:
    content_type = request.headers.get("content-type", "")
    kind, params = parse_options_header(content_type)
    if kind == URLENCODED.encode():  # a form without files may come this way too
        return await _read_urlencoded(request, texts)
    boundary = params.get(b"boundary")
    if kind != MULTIPART.encode() or not boundary:
        raise FormRefused("body", f"the body must be {MULTIPART}", status=415)
    most = sum(part.count for part in files.values()) * limit + len(texts) * MAX_TEXT + 64 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise FormRefused("body", "the request body is too large", status=413)
    reader = _Reader(texts, files, limit)
    callbacks = {name: getattr(reader, name) for name in dir(reader) if name.startswith("on_")}
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > most:
                raise FormRefused("body", "the request body is too large", status=413)
            parser.write(chunk)
        parser.finalize()
    except UploadRejected as exc:
        status = {"too_large": 413, "type": 415}.get(exc.reason, 400)
        raise FormRefused(exc.field, exc.message, status=status) from None
    except FormParserError:
        raise FormRefused("body", "the multipart body is malformed") from None
    return reader.form


async def _read_urlencoded(request: Request, texts: Collection[str]) -> ParsedForm:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > len(texts) * MAX_TEXT:
            raise FormRefused("body", "the request body is too large", status=413)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("body", "the form body is malformed") from None
    form = ParsedForm()
    for name, value in pairs:
        if name not in texts:
            raise FormRefused(name[:64] or "body", "unknown field")
        if name in form.texts:
            raise FormRefused(name, "given more than once")
        form.texts[name] = value
    return form
