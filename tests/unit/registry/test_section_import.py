"""Section CSV rows → groups per person, written in batches; bad rows keep the person's section."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from frmr_sso.registry.csv_stream import read_csv
from frmr_sso.registry.section_import import import_section_rows

HEADER = "frmr_id,kind,institution,hours,theme,begin_date,end_date\n"


def row(frmr_id: str, hours: str = "36", theme: str = "Тема") -> str:
    return f"{frmr_id},advanced,РМАНПО,{hours},{theme},2023-03-01,2023-03-07\n"


class Writer:
    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.batches: list[list[tuple[str, tuple[Any, ...]]]] = []

    async def replace_sections(self, section: str, groups: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        assert section == "courses"
        self.batches.append([(f, tuple(items)) for f, items in groups])
        return [i for i, (f, _) in enumerate(groups) if f not in self.known]


async def run(text: str, writer: Writer, batch_size: int = 500) -> Any:
    records = read_csv(io.StringIO(HEADER + text, newline=""), "courses")
    return await import_section_rows(records, writer, "courses", batch_size=batch_size)


async def test_rows_of_each_person_go_together_in_batches() -> None:
    writer = Writer({"A", "B", "C"})
    report = await run(row("A") + row("A", theme="Вторая") + row("B") + row("C"), writer, batch_size=2)
    assert [[f for f, _ in b] for b in writer.batches] == [["A", "B"], ["C"]]
    assert [c.theme for c in writer.batches[0][0][1]] == ["Тема", "Вторая"]
    assert (report.imported, report.skipped, report.problems) == (4, 0, [])


async def test_bad_rows_unknown_persons_and_scattered_rows_are_reported() -> None:
    writer = Writer({"A", "B"})
    text = row("A") + row("A", hours="0") + row("B") + row("Z") + row("Z") + row("A") + ",advanced\n"
    report = await run(text, writer)
    assert [[f for f, _ in b] for b in writer.batches] == [["B", "Z"]]
    assert (report.imported, report.skipped) == (1, 6)
    assert report.problems == [
        "record 2 (line 3): hours: must be a whole number from 1 to 3000",
        "record 6 (line 7): frmr_id: the rows of one person must follow each other",
        "record 7 (line 8): has 2 cells where the header names 7 columns",
        "record 4 (line 5): frmr_id: no FRMR person with this id (import persons first)",
    ]


async def test_repeated_ids_in_one_group_refuse_the_group() -> None:
    header_with_id = "frmr_id,id,kind,institution,hours,theme,begin_date,end_date\n"
    text = "A,c1,advanced,И,36,Т,2023-03-01,2023-03-07\nA,c1,advanced,И,72,Т,2023-03-01,2023-03-07\n"
    writer = Writer({"A"})
    records = read_csv(io.StringIO(header_with_id + text, newline=""), "courses")
    report = await import_section_rows(records, writer, "courses")
    assert writer.batches == []
    assert (report.imported, report.skipped) == (0, 2)
    assert report.problems == ["record 1 (line 2): courses[1].id: repeats the id of courses[0]"]
