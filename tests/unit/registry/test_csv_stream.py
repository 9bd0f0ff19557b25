from __future__ import annotations

import io
from pathlib import Path

import pytest

from frmr_sso.registry.csv_stream import csv_kind, read_csv
from frmr_sso.registry.json_stream import UnreadableFile


def rows(text: str, kind: str = "courses") -> list[tuple[int, int, object, str | None]]:
    return [(r.number, r.line, r.value, r.error) for r in read_csv(io.StringIO(text, newline=""), kind)]


def test_rows_become_records_with_their_line() -> None:
    text = 'frmr_id,hours,theme,credits\r\nF-1,36,"Две\nстроки",\r\n\r\nF-2,x,Тема,5\r\n'
    assert rows(text) == [
        (1, 2, {"frmr_id": "F-1", "hours": 36, "theme": "Две\nстроки"}, None),
        (2, 5, {"frmr_id": "F-2", "hours": "x", "theme": "Тема", "credits": 5}, None),
    ]


def test_persons_columns_and_numbers() -> None:
    text = "frmr_id,roles,gender\nF-1,registry_admin other,F\n"
    assert rows(text, "persons")[0][2] == {
        "frmr_id": "F-1",
        "roles": ["registry_admin", "other"],
        "gender": "F",
    }
    jobs = 'frmr_id,rate,position_type\nF-1,"0,25",2\nF-1,1.5.0,x\n'
    assert [r[2] for r in rows(jobs, "employments")] == [
        {"frmr_id": "F-1", "rate": 0.25, "position_type": 2},
        {"frmr_id": "F-1", "rate": "1.5.0", "position_type": "x"},
    ]


def test_a_row_with_the_wrong_number_of_cells_is_its_own_problem() -> None:
    assert rows("frmr_id,hours\nF-1,36,extra\n") == [
        (1, 2, None, "has 3 cells where the header names 2 columns")
    ]


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("frmr_id,hours,salary\n", "line 1, column 3: unknown column 'salary' in a courses file"),
        ("hours\n", "line 1: the columns must include frmr_id and name each column once"),
        ("frmr_id,hours,hours\n", "line 1: the columns must include frmr_id and name each column once"),
        ("", "the file is empty"),
        ('frmr_id,theme\nF-1,"open\n', "line 2: unexpected end of data"),
    ],
)
def test_a_bad_header_or_syntax_stops_the_file(text: str, fault: str) -> None:
    with pytest.raises(UnreadableFile) as stopped:
        rows(text)
    assert str(stopped.value) == fault


def test_the_kind_comes_from_the_option_or_the_name() -> None:
    assert csv_kind(Path("x/Courses.csv")) == "courses"
    assert csv_kind(Path("2026-11.csv"), "employments") == "employments"
    with pytest.raises(UnreadableFile, match=r"name it <kind>\.csv or pass --section"):
        csv_kind(Path("export.csv"))
