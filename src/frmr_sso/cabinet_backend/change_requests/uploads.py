"""Uploaded documents: size enforced while the bytes arrive, type decided by the content alone.

- ``UploadBuffer.feed`` refuses the chunk that takes a file past ``limit`` (5 MB
  by default) at once, so an oversized upload is never read to its end.
- ``sniff`` names the type from the bytes, never from the file name or the
  declared media type: a PDF starts with ``%PDF-1.x``/``%PDF-2.x``, holds an
  object (``N G obj``), and ends with ``startxref``, a byte offset inside the file,
  then ``%%EOF``; a JPEG starts with the SOI marker and a valid first segment and
  ends with EOI; a PNG (screenshots only) has its signature, an IHDR chunk first
  and IEND last. Anything else, or a file of the wrong type, is refused.
- Stored documents get a random id (``new_document_id``) and a cleaned file name
  used only for the download's Content-Disposition.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
DOCUMENT_TYPES = frozenset({PDF, JPEG})
SCREENSHOT_TYPES = frozenset({PNG, JPEG})
_PDF_HEADER = re.compile(rb"^%PDF-[12]\.[0-9]")
_PDF_OBJECT = re.compile(rb"(?:^|[\r\n\s])[0-9]{1,10}\s+[0-9]{1,5}\s+obj\b")
_PDF_TRAILER = re.compile(rb"startxref\s+([0-9]{1,10})\s+%%EOF\s*$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UNSAFE_NAME = re.compile(r"[^\w.() -]+")


class UploadRejected(ValueError):
    """``field`` names the form part; ``reason`` is ``too_large``, ``type`` or ``empty``."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field, self.reason, self.message = field, reason, message


@dataclass
class UploadBuffer:
    field: str
    filename: str
    limit: int = MAX_BYTES
    _chunks: list[bytes] = dataclasses.field(default_factory=list)
    size: int = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self._chunks.clear()
            raise UploadRejected(self.field, "too_large", f"the file is larger than {self.limit} bytes")
        self._chunks.append(chunk)

    def finish(self, allowed: Collection[str]) -> Upload:
        data = b"".join(self._chunks)
        self._chunks.clear()
        if not data:
            raise UploadRejected(self.field, "empty", "the file is empty")
        content_type = sniff(data)
        if content_type is None or content_type not in allowed:
            kinds = " or ".join(sorted(t.split("/")[1].upper() for t in allowed))
            raise UploadRejected(self.field, "type", f"the file content is not a valid {kinds}")
        return Upload(self.field, safe_filename(self.filename, content_type), content_type, data)


@dataclass(frozen=True, slots=True)
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes = dataclasses.field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    if _is_pdf(data):
        return PDF
    if _is_jpeg(data):
        return JPEG
    if _is_png(data):
        return PNG
    return None


def _is_pdf(data: bytes) -> bool:
    if not _PDF_HEADER.match(data):
        return False
    trailer = _PDF_TRAILER.search(data[-1024:])
    if trailer is None or int(trailer.group(1)) >= len(data):
        return False
    return _PDF_OBJECT.search(data) is not None


def _is_jpeg(data: bytes) -> bool:
    """SOI, then a well-formed marker segment (APPn, DQT, SOF, DHT…), and EOI at the end."""
    if len(data) < 8 or not data.startswith(b"\xff\xd8\xff"):
        return False
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return False
    marker, length = data[3], int.from_bytes(data[4:6], "big")
    return 0xC0 <= marker <= 0xFE and marker not in (0xD8, 0xD9) and length >= 2 and 4 + length < len(data)


def _is_png(data: bytes) -> bool:
    return data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"


def safe_filename(name: str, content_type: str) -> str:
    """A plain name for Content-Disposition: no path, no control characters, the type's extension."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = _UNSAFE_NAME.sub("_", base.rsplit(".", 1)[0]).strip(" ._")[:100] or "document"
    extension = {PDF: "pdf", JPEG: "jpg", PNG: "png"}[content_type]
    return f"{stem}.{extension}"


def new_document_id() -> str:
    return secrets.token_urlsafe(18)
