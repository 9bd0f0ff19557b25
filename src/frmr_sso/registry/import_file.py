"""What an import file is, checked before anything is written.

``inspect_file`` refuses a file that is too large, empty, or another format in
disguise (a ZIP/XLSX, gzip, PDF, image or binary file under a ``.json`` or
``.csv`` name; JSON named ``.csv`` or the other way round), and then reads it
once without writing: a file that is not UTF-8 or whose JSON array cannot be
parsed to the end changes nothing. Faults of single records are left to the
import, which reports and skips them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

from frmr_sso.registry.csv_stream import csv_kind, read_csv
from frmr_sso.registry.json_stream import RawRecord, UnreadableFile, open_records

MAX_FILE_BYTES = 16 * 2**30
_READ = 1 << 20
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (or an XLSX/DOCX document)",
    b"\x1f\x8b": "a gzip archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office document",
    b"\x7fELF": "a program",
}


class FileKind(Enum):
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def _kind_of(path: Path) -> FileKind:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return FileKind.CSV
    return FileKind.JSONL if suffix == ".jsonl" else FileKind.JSON


def inspect_file(path: Path, *, section: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> FileKind:
    """The file's kind (by its name), after the checks above; UnreadableFile otherwise."""
    kind = _kind_of(path)
    if kind is FileKind.CSV:
        csv_kind(path, section)
    elif section is not None:
        raise UnreadableFile("--section is for CSV files: a JSON record holds every section")
    try:
        size = path.stat().st_size
        with path.open("rb") as raw:
            head = raw.read(64)
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise UnreadableFile(f"the file is larger than {max_bytes} bytes")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise UnreadableFile(f"the file is {what}, not {kind.value.upper()} text")
    if b"\x00" in head:
        raise UnreadableFile("the file is binary, not text")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not start:
        raise UnreadableFile("the file is empty")
    if kind is FileKind.CSV and start in (b"[", b"{"):
        raise UnreadableFile("the file holds JSON, not CSV: name it .json or .jsonl")
    if kind is not FileKind.CSV and start not in (b"[", b"{"):
        raise UnreadableFile(
            f"line 1 column 1: expected a JSON {'object' if kind is FileKind.JSONL else 'array'} of persons"
        )
    _read_through(path, kind, section)
    return kind


def _read_through(path: Path, kind: FileKind, section: str | None) -> None:
    """A dry read: the text must decode; a JSON array or a CSV file must parse to its end."""
    if kind is not FileKind.JSONL:
        with open_import(path, kind, section) as records:
            for _ in records:
                pass
        return
    try:
        with path.open(encoding="utf-8-sig") as text:
            while text.read(_READ):
                pass
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the file is not UTF-8 text ({exc.reason})") from None


@contextmanager
def open_import(path: Path, kind: FileKind, section: str | None = None) -> Iterator[Iterator[RawRecord]]:
    """The records of an inspected file: JSON persons, or the rows of a CSV file."""
    if kind is not FileKind.CSV:
        with open_records(path) as records:
            yield records
        return
    try:
        stream = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    with stream:
        yield read_csv(stream, csv_kind(path, section))
