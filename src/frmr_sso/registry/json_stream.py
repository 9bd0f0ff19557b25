"""Records of a JSON array or JSON Lines file, read as a stream.

A JSON array is decoded one element at a time (``json.JSONDecoder.raw_decode``
over a buffer refilled from the file, about one chunk long), JSON Lines one line
at a time, so a file of a million records never sits in memory at once. Each
record carries its number and the line it starts on. A file that cannot be read
or is not a JSON array raises ``UnreadableFile`` with the line and column of the
fault; a JSON Lines line that does not decode spoils only its own record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from frmr_sso.errors import FrmrSsoError

CHUNK_CHARS = 64 * 1024
MAX_RECORD_CHARS = 1024 * 1024  # a record that does not decode within this is a syntax error
_BLANK = re.compile(r"[ \t\n\r]*")
_SCALAR_END = re.compile(r"[ \t\n\r,\]]")
_DECODER = json.JSONDecoder()


class UnreadableFile(FrmrSsoError):
    """The file cannot be read, or is not a JSON array: nothing after this point is read."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    number: int  # 1-based, in file order
    line: int  # where the record starts
    value: Any
    error: str | None = None  # a JSON Lines line that does not decode


class _ArrayReader:
    """Elements of a top-level JSON array, decoded from a buffer that holds about one chunk."""

    def __init__(self, stream: TextIO, chunk_chars: int) -> None:
        self._stream, self._chunk = stream, chunk_chars
        self._buf, self._pos, self._eof = "", 0, False
        self._line, self._counted = 1, 0  # the line number at buffer index self._counted
        self._carry = 0  # characters of the buffer's first line already dropped from it

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(self._chunk)
        if not chunk:
            self._eof = True
            return False
        if self._pos >= self._chunk:  # drop what is decoded, keeping line and column counts
            self._line_at(self._pos)
            newline = self._buf.rfind("\n", 0, self._pos)
            self._carry = self._pos - newline - 1 if newline >= 0 else self._carry + self._pos
            self._buf, self._counted, self._pos = self._buf[self._pos :], 0, 0
        self._buf += chunk
        return True

    def _line_at(self, index: int) -> int:
        if index >= self._counted:
            self._line += self._buf.count("\n", self._counted, index)
        else:
            self._line -= self._buf.count("\n", index, self._counted)
        self._counted = index
        return self._line

    def _where(self, index: int) -> str:
        newline = self._buf.rfind("\n", 0, index)
        column = index - newline if newline >= 0 else index + self._carry + 1
        return f"line {self._line_at(index)} column {column}"

    def _peek(self) -> str:
        """The next non-blank character, or '' at the end of the file."""
        while True:
            self._pos = _BLANK.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _decode(self) -> Any:
        if self._buf[self._pos] not in '{["':  # a bare number or literal: read on to where it ends
            while _SCALAR_END.search(self._buf, self._pos) is None and self._fill():
                pass
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos < MAX_RECORD_CHARS and self._fill():
                    continue  # perhaps cut by the chunk boundary
                raise UnreadableFile(f"{self._where(exc.pos)}: {exc.msg}") from None
            self._pos = end
            return value

    def records(self) -> Iterator[RawRecord]:
        if self._peek() != "[":
            raise UnreadableFile(f"{self._where(self._pos)}: expected a JSON array of persons")
        self._pos += 1
        number = 0
        if self._peek() != "]":
            while True:  # after a comma a value must follow: a ']' there fails to decode
                if not self._peek():
                    raise UnreadableFile(f"{self._where(self._pos)}: the file ends inside the array")
                number += 1
                yield RawRecord(number, self._line_at(self._pos), self._decode())
                after = self._peek()
                if after == "]":
                    break
                if after != ",":
                    found = f"found {after!r}" if after else "the file ends"
                    raise UnreadableFile(f"{self._where(self._pos)}: expected ',' or ']' ({found})")
                self._pos += 1
        self._pos += 1
        if self._peek():
            raise UnreadableFile(f"{self._where(self._pos)}: unexpected data after the array")


def _json_lines(stream: TextIO) -> Iterator[RawRecord]:
    number = 0
    for line, text in enumerate(stream, 1):
        if not text.strip():
            continue
        number += 1
        try:
            value = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as exc:  # one bad line spoils only its own record
            yield RawRecord(number, line, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield RawRecord(number, line, value)


def read_records(
    stream: TextIO, *, jsonl: bool = False, chunk_chars: int = CHUNK_CHARS
) -> Iterator[RawRecord]:
    try:
        yield from (_json_lines(stream) if jsonl else _ArrayReader(stream, chunk_chars).records())
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None


@contextmanager
def open_records(path: Path, *, chunk_chars: int = CHUNK_CHARS) -> Iterator[Iterator[RawRecord]]:
    """The records of ``path``: JSON Lines when it ends in ``.jsonl``, otherwise a JSON array."""
    try:
        stream = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    with stream:
        yield read_records(stream, jsonl=path.suffix.lower() == ".jsonl", chunk_chars=chunk_chars)
