"""Rows of a registry CSV file, read as a stream, as import records.

Two kinds of file (see README "Registry import"): ``persons.csv``, one row per
person with the person's own fields (``roles`` separated by spaces), and one
file per section, ``<section>.csv`` (``employments.csv``, ``courses.csv``, …),
one row per item with the person's ``frmr_id`` first; the rows of one person
follow each other. The first line names the columns; a column the kind does not
know is refused before anything is written. Empty cells are absent values;
numeric columns are read as numbers when they look like one (otherwise the
validation reports the field).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from frmr_sso.registry.json_stream import RawRecord, UnreadableFile
from frmr_sso.registry.section_keys import KEYS
from frmr_sso.registry.sections import SECTIONS

PERSON_COLUMNS = (
    "frmr_id",
    "snils",
    "last_name",
    "first_name",
    "middle_name",
    "gender",
    "birth_date",
    "inn",
    "phone",
    "email",
    "roles",
)
_INTEGERS = frozenset({"position_type", "hours", "credits", "graduation_year"})
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")
_DECIMAL = re.compile(r"^-?[0-9]{1,6}([.,][0-9]{1,6})?$")
MAX_FIELD = 64 * 1024


def csv_kind(path: Path, section: str | None = None) -> str:
    """``persons`` or a section name: ``section`` when given, else the file name (``courses.csv``)."""
    kind = section or path.stem.lower()
    if kind not in ("persons", *SECTIONS):
        names = ", ".join(("persons", *SECTIONS))
        raise UnreadableFile(
            f"cannot tell what the CSV file holds: name it <kind>.csv or pass --section ({names})"
        )
    return kind


def columns_of(kind: str) -> tuple[str, ...]:
    return PERSON_COLUMNS if kind == "persons" else ("frmr_id", *sorted(KEYS[kind]))


def _value(column: str, text: str) -> Any:
    if column in _INTEGERS and _INTEGER.match(text):
        return int(text)
    if column == "rate" and _DECIMAL.match(text):
        return float(text.replace(",", "."))
    if column == "roles":
        return text.split()
    return text


def read_csv(stream: TextIO, kind: str) -> Iterator[RawRecord]:
    """One record per row; UnreadableFile for a bad header or a row csv cannot parse."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile("the file is empty")
        names = [name.strip() for name in header]
        known = columns_of(kind)
        for index, name in enumerate(names, 1):
            if name not in known:
                raise UnreadableFile(f"line 1, column {index}: unknown column {name[:64]!r} in a {kind} file")
        if len(set(names)) != len(names) or "frmr_id" not in names:
            raise UnreadableFile("line 1: the columns must include frmr_id and name each column once")
        line, number = reader.line_num + 1, 0
        for row in reader:
            if any(cell.strip() for cell in row):
                number += 1
                if len(row) != len(names):
                    value: Any = None
                    error: str | None = f"has {len(row)} cells where the header names {len(names)} columns"
                else:
                    value = {n: _value(n, cell) for n, cell in zip(names, row, strict=True) if cell != ""}
                    error = None
                yield RawRecord(number, line, value, error)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the file is not UTF-8 text ({exc.reason})") from None
