from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from frmr_sso.registry import json_stream
from frmr_sso.registry.json_stream import RawRecord, UnreadableFile, open_records, read_records

NESTED = """[
  {"frmr_id": "F-1", "name": "Иванова \\"Мария\\" ]}", "rate": 0.25, "jobs": [{"a": [1, 2, {}]}]},
  12345.678e-2,
  "a string with , and ] inside",

  {"frmr_id": "F-2", "unicode": "\\u0418\\u0432\\u0430\\u043d", "empty": {}, "list": []} ,
  true, null, -0.5
]
"""


def _records(text: str, chunk: int = 64 * 1024, *, jsonl: bool = False) -> list[RawRecord]:
    return list(read_records(io.StringIO(text), jsonl=jsonl, chunk_chars=chunk))


def _failure(text: str, chunk: int = 64 * 1024) -> str:
    with pytest.raises(UnreadableFile) as failure:
        _records(text, chunk)
    return str(failure.value)


@pytest.mark.parametrize("chunk", [*range(1, 41), 97, 4096])
def test_an_array_split_at_any_buffer_boundary_decodes_like_json_loads(chunk: int) -> None:
    records = _records(NESTED, chunk)
    assert [r.value for r in records] == json.loads(NESTED)
    assert [r.number for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.line for r in records] == [2, 3, 4, 6, 7, 7, 7]


def test_a_long_array_is_read_incrementally() -> None:
    persons = [{"frmr_id": f"F-{n}", "employments": [{"rate": 1.0}] * 3} for n in range(3000)]
    text = json.dumps(persons, indent=1)
    stream = io.StringIO(text)
    records = read_records(stream, chunk_chars=256)
    first = next(records)
    assert first.value == persons[0]
    assert stream.tell() <= 512  # not the whole file
    rest = list(records)
    assert [r.value for r in [first, *rest]] == persons
    assert rest[-1].number == 3000
    assert rest[-1].line == text[: text.rindex('{\n  "frmr_id"')].count("\n") + 1


def test_an_array_on_one_long_line_reports_the_exact_column() -> None:
    body = ", ".join(json.dumps({"frmr_id": f"F-{n}"}) for n in range(500))
    text = f"[{body}, {{\"frmr_id\": oops}}]"
    expected = text.index("oops") + 1
    for chunk in (7, 100, 4096):
        assert _failure(text, chunk) == f"line 1 column {expected}: Expecting value"


@pytest.mark.parametrize(
    "broken",
    [
        '[\n {"a": 1},\n {"b": tru},\n {"c": 3}\n]',
        '[\n {"a": 1},\n {"b": "unterminated\n]',
        '[\n {"a": 1},\n {"b" 2}\n]',
        '[\n {"a": 1},\n {"b": [1, 2,]}\n]',
        '[\n {"a": 1},\n]',
        '[\n  {"a": 1},\n\n  {"b": 2, "c": {"d": NaX}}]',
    ],
)
@pytest.mark.parametrize("chunk", [1, 3, 8, 64 * 1024])
def test_a_syntax_error_is_reported_where_json_loads_finds_it(broken: str, chunk: int) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    where = f"line {expected.value.lineno} column {expected.value.colno}: {expected.value.msg}"
    assert _failure(broken, chunk) == where


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1 column 1: expected a JSON array of persons"),
        ('\n\n  {"frmr_id": "F-1"}', "line 3 column 3: expected a JSON array of persons"),
        ('[{"a": 1} {"b": 2}]', "line 1 column 11: expected ',' or ']' (found '{')"),
        ('[{"a": 1}', "line 1 column 10: expected ',' or ']' (the file ends)"),
        ('[{"a": 1},\n', "line 2 column 1: the file ends inside the array"),
        ("[\n", "line 2 column 1: the file ends inside the array"),
        ('[{"a": 1}]\n x', "line 2 column 2: unexpected data after the array"),
    ],
)
def test_structural_faults_name_line_and_column(text: str, message: str) -> None:
    assert _failure(text) == message
    assert _failure(text, 2) == message


def test_empty_arrays_and_surrounding_blanks_are_fine() -> None:
    assert _records("[]") == []
    assert _records(" \n[ \n ]\n\n", 1) == []


def test_a_fault_is_found_without_reading_the_rest_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_stream, "MAX_RECORD_CHARS", 1000)
    text = '[{"a": tru},\n' + ",\n".join('{"frmr_id": "F"}' for _ in range(10_000)) + "]"
    stream = io.StringIO(text)
    with pytest.raises(UnreadableFile, match=r"^line 1 column 8: Expecting value"):
        list(read_records(stream, chunk_chars=100))
    assert stream.tell() < 1200


def test_json_lines_skip_blank_lines_and_keep_a_bad_line_to_its_record() -> None:
    text = '{"frmr_id": "F-1"}\n\n  \n{"frmr_id": \n[1, 2]\n'
    records = _records(text, jsonl=True)
    assert [(r.number, r.line) for r in records] == [(1, 1), (2, 4), (3, 5)]
    assert records[0].value == {"frmr_id": "F-1"}
    assert records[1].value is None
    assert records[1].error == "not valid JSON: Expecting value (column 13)"
    assert records[2].value == [1, 2]


def _written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _values(path: Path) -> list[Any]:
    with open_records(path) as records:
        return [r.value for r in records]


def test_open_records_picks_the_format_by_suffix_and_accepts_a_bom(tmp_path: Path) -> None:
    rows = [{"frmr_id": "F-1", "last_name": "Иванова"}, {"frmr_id": "F-2"}]
    array = json.dumps(rows, ensure_ascii=False).encode()
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    assert _values(_written(tmp_path, "a.json", b"\xef\xbb\xbf" + array)) == rows
    assert _values(_written(tmp_path, "a.JSONL", lines)) == rows
    assert _values(_written(tmp_path, "a.txt", array)) == rows


def test_open_records_refuses_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"^cannot read the file: No such file or directory$"):
        _values(tmp_path / "missing.json")
    with pytest.raises(UnreadableFile, match=r"^cannot read the file: Is a directory$"):
        _values(tmp_path)
    latin1 = _written(tmp_path, "latin1.json", '[{"last_name": "Müller"}]'.encode("latin-1"))
    with pytest.raises(UnreadableFile, match=re.escape("the file is not UTF-8 text (invalid start byte)")):
        _values(latin1)
