from __future__ import annotations

from pathlib import Path

import pytest

from frmr_sso.registry.import_file import FileKind, inspect_file
from frmr_sso.registry.json_stream import UnreadableFile


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.json", b"\xef\xbb\xbf [ ]", FileKind.JSON),
        ("a.jsonl", b'{"x": 1}\n{oops\n', FileKind.JSONL),
        ("persons.csv", b"frmr_id,snils\n", FileKind.CSV),
    ],
)
def test_files_that_read_as_their_name_says(
    tmp_path: Path, name: str, content: bytes, kind: FileKind
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert inspect_file(path) is kind


def test_a_json_array_is_read_to_its_end_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[{"a": 1},\n {"b": 2}', encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"line 2 column 10: expected ',' or '\]' \(the file ends\)"):
        inspect_file(path)


def test_size_and_section_limits(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="larger than 1 bytes"):
        inspect_file(path, max_bytes=1)
    with pytest.raises(UnreadableFile, match="--section is for CSV files"):
        inspect_file(path, section="courses")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"frmr_id\x00\x01")
    with pytest.raises(UnreadableFile, match="binary"):
        inspect_file(binary, section="persons")
