"""Small but well-formed PDF, JPEG and PNG files, and disguised ones, for the upload tests."""

from __future__ import annotations

import struct
import zlib


def pdf(padding: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    body += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    body += b"% " + b"x" * padding + b"\n" if padding else b""
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 3 >>\n"
    return body + b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"


def jpeg(padding: int = 0) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb\x00\x43\x00" + bytes(range(64))
    return b"\xff\xd8" + app0 + dqt + b"\x00" * padding + b"\xff\xd9"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120  # a Windows program, whatever it is called
HTML_AS_PDF = b"%PDF-1.4\n<script>alert(1)</script>\n"  # the header alone, no PDF structure
TRUNCATED_JPEG = jpeg()[:-2]
