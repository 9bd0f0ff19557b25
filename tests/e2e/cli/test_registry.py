"""``frmr-sso registry import FILE`` as an operator runs it: a real subprocess, on the configured backend."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from frmr_sso.identity.snils import control_number, format_snils
from frmr_sso.registry.demo import DEMO_PERSONS_FILE
from frmr_sso.registry.models import FrmrPerson
from frmr_sso.storage.sql import SqlRegistryRepository, create_engine

FRMR_SSO = str(Path(sys.executable).with_name("frmr-sso"))
FULL_SNILS = re.compile(r"\d{3}-\d{3}-\d{3}[ -]\d{2}|\d{11}")


def snils_for(n: int) -> str:
    body = f"{400_000_000 + n:09d}"
    return format_snils(f"{body}{control_number(body):02d}")


def persons(count: int) -> list[dict[str, Any]]:
    entries = yaml.safe_load(DEMO_PERSONS_FILE.read_text(encoding="utf-8"))["persons"]
    demo: list[dict[str, Any]] = json.loads(json.dumps(entries, default=str))
    template = demo[0]
    generated = [dict(template, frmr_id=f"GEN-{n}", snils=snils_for(n)) for n in range(count)]
    return demo + generated


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=database_url)
    migrate = run(env, "migrate")
    assert migrate.returncode == 0, migrate.stderr
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FRMR_SSO, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def write(path: Path, records: list[Any], *, jsonl: bool = False) -> Path:
    if jsonl:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    else:
        path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def assert_no_full_snils(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert FULL_SNILS.search(result.stdout + result.stderr) is None, result.stdout + result.stderr


async def stored_count(env: dict[str, str]) -> int:
    engine = create_engine(env["FRMR_SSO_DATABASE_URL"])
    try:
        return await SqlRegistryRepository(engine).count()
    finally:
        await engine.dispose()


async def test_a_valid_file_imports_everything_and_exits_0(env: dict[str, str], tmp_path: Path) -> None:
    records = persons(120)
    path = write(tmp_path / "persons.json", records)
    for _ in range(2):
        result = run(env, "registry", "import", str(path), "--batch-size", "50")
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"imported {len(records)}, skipped 0\n"
        assert result.stderr == ""
    assert await stored_count(env) == len(records)


async def test_skipped_records_are_listed_masked_and_exit_1(env: dict[str, str], tmp_path: Path) -> None:
    records = persons(3)
    records[1]["employments"][0]["rate"] = 2
    records[2]["snils"] = records[0]["snils"]  # another frmr_id with the doctor's SNILS
    records[3]["snils"] = "112-233-445 96"
    path = write(tmp_path / "persons.json", records)
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"imported {len(records) - 3}, skipped 3"
    assert lines[1] == "problems (3):"
    problems = [re.sub(r"^  record (\d+) \(line \d+\): ", r"\1: ", line) for line in lines[2:]]
    assert problems == [
        "2: employments[0].rate: must be between 0 and 1.5",
        "4: snils: the SNILS control number does not match",
        "3: snils: ***-***-445 95 already belongs to another FRMR person",
    ]
    assert_no_full_snils(result)
    assert await stored_count(env) == len(records) - 3


async def test_json_lines_are_read_line_by_line(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "persons.jsonl", persons(5), jsonl=True)
    with path.open("a", encoding="utf-8") as extra:
        extra.write('{"frmr_id": "BROKEN", "snils": "400-000-001 ' + "\n")
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 1, result.stderr
    count = len(persons(5))
    assert result.stdout.splitlines()[:3] == [
        f"imported {count}, skipped 1",
        "problems (1):",
        f"  record {count + 1} (line {count + 1}): not valid JSON: "
        "Unterminated string starting at (column 32)",
    ]
    assert_no_full_snils(result)
    assert await stored_count(env) == count


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ('{"frmr_id": "F-1"}', "line 1 column 1: expected a JSON array of persons"),
        ('[\n {"frmr_id": "F-1",}\n]', "line 2 column 20: Expecting property name enclosed in double quotes"),
        ("[]\n[]", "line 2 column 1: unexpected data after the array"),
    ],
)
async def test_a_file_that_is_not_a_json_array_exits_2_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, content: str, fault: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 2
    assert result.stderr == f"frmr-sso: {path}: {fault}\n"
    assert result.stdout == ""
    assert await stored_count(env) == 0


async def test_a_cut_file_changes_nothing_and_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    text = json.dumps(persons(2), ensure_ascii=False)[:-1] + ", {oops}]"
    path = tmp_path / "cut.json"
    path.write_text(text, encoding="utf-8")
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"frmr-sso: {path}: line 1 column ")
    assert result.stdout == ""
    assert_no_full_snils(result)
    assert await stored_count(env) == 0


@pytest.mark.parametrize(
    ("name", "content", "fault"),
    [
        (
            "persons.json",
            b"PK\x03\x04\x14\x00\x06\x00",
            "the file is a ZIP archive (or an XLSX/DOCX document), not JSON text",
        ),
        ("persons.jsonl", b"\x89PNG\r\n\x1a\n", "the file is a PNG image, not JSONL text"),
        ("persons.csv", b'[{"frmr_id": "F-1"}]', "the file holds JSON, not CSV: name it .json or .jsonl"),
        (
            "persons.json",
            b"frmr_id,snils\nF-1,112-233-445 95\n",
            "line 1 column 1: expected a JSON array of persons",
        ),
        ("persons.json", b"", "the file is empty"),
        ("persons.jsonl", b'{"frmr_id": "\xff"}\n', "the file is not UTF-8 text (invalid start byte)"),
        (
            "people.csv",
            b"frmr_id\nF-1\n",
            "cannot tell what the CSV file holds: name it <kind>.csv or pass --section"
            " (persons, documents, employments, education, postgraduate, courses,"
            " certificates, accreditations, categories)",
        ),
        (
            "courses.csv",
            b"frmr_id,hours,salary\nF-1,36,1\n",
            "line 1, column 3: unknown column 'salary' in a courses file",
        ),
    ],
)
async def test_disguised_files_are_refused_before_anything_is_written(
    env: dict[str, str], tmp_path: Path, name: str, content: bytes, fault: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(env, "registry", "import", str(path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"frmr-sso: {path}: {fault}\n"
    assert await stored_count(env) == 0


def test_an_unreadable_file_or_bad_option_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    missing = run(env, "registry", "import", str(tmp_path / "missing.json"))
    assert missing.returncode == 2
    no_file = "cannot read the file: No such file or directory"
    assert missing.stderr == f"frmr-sso: {tmp_path / 'missing.json'}: {no_file}\n"
    assert missing.stdout == ""
    binary = tmp_path / "latin1.json"
    binary.write_bytes('[{"last_name": "Müller"}]'.encode("latin-1"))
    assert run(env, "registry", "import", str(binary)).returncode == 2
    bad_option = run(env, "registry", "import", str(binary), "--batch-size", "0")
    assert bad_option.returncode == 2
    assert "--batch-size: must be a whole number from 1 to 1000" in bad_option.stderr


def test_an_unmigrated_database_fails_cleanly(tmp_path: Path, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRMR_SSO_")}
    env.update(FRMR_SSO_MODE="demo", FRMR_SSO_DATABASE_URL=database_url)
    result = run(env, "registry", "import", str(write(tmp_path / "persons.json", persons(1))))
    assert result.returncode == 1
    assert result.stderr.startswith("frmr-sso: the database of FRMR_SSO_DATABASE_URL has no schema yet")
    assert "frmr-sso migrate" in result.stderr
    assert_no_full_snils(result)


async def stored(env: dict[str, str], frmr_id: str) -> FrmrPerson | None:
    engine = create_engine(env["FRMR_SSO_DATABASE_URL"])
    try:
        return await SqlRegistryRepository(engine).get(frmr_id)
    finally:
        await engine.dispose()


PERSONS_CSV = """frmr_id,snils,last_name,first_name,middle_name,gender,birth_date,inn,phone,email,roles
CSV-1,400-000-001 ??,Петрова,Анна,,F,1990-05-01,771234567859,+7 999 123-45-67,anna@example.test,
CSV-2,400-000-002 ??,Смирнов,Игорь,Олегович,M,1975-11-30,,,,registry_admin
"""
COURSES_CSV = """frmr_id,kind,institution,hours,theme,speciality_code,begin_date,end_date,credits
CSV-1,advanced,РМАНПО,36,Терапия сегодня,31.08.49,2023-03-01,2023-03-07,36
CSV-1,continuing,Портал НМО,18,Модули,31.08.49,2024-01-10,2024-10-01,40
CSV-2,advanced,РМАНПО,144,Кардиология,31.08.36,2022-02-01,2022-02-28,
CSV-3,advanced,РМАНПО,36,Нет такого человека,31.08.49,2023-03-01,2023-03-07,
"""


def csv_text(text: str) -> str:
    for n in (1, 2):
        text = text.replace(f"400-000-00{n} ??", snils_for(n))
    return text


async def test_csv_persons_then_a_section_file(env: dict[str, str], tmp_path: Path) -> None:
    persons_csv = tmp_path / "persons.csv"
    persons_csv.write_text(csv_text(PERSONS_CSV), encoding="utf-8")
    result = run(env, "registry", "import", str(persons_csv))
    assert (result.returncode, result.stdout) == (0, "imported 2, skipped 0\n"), result.stderr
    courses = tmp_path / "courses.csv"
    courses.write_text(COURSES_CSV, encoding="utf-8")
    result = run(env, "registry", "import", str(courses))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "imported 3, skipped 1",
        "problems (1):",
        "  record 4 (line 5): frmr_id: no FRMR person with this id (import persons first)",
    ]
    first = await stored(env, "CSV-1")
    assert first is not None
    assert (first.phone, first.middle_name, first.roles) == ("+79991234567", None, ())
    assert [(c.kind, c.hours, c.credits) for c in first.courses] == [
        ("advanced", 36, 36),
        ("continuing", 18, 40),
    ]
    again = run(env, "registry", "import", str(persons_csv))  # persons.csv keeps the sections
    assert again.returncode == 0
    assert await stored(env, "CSV-1") == first
    second = await stored(env, "CSV-2")
    assert second is not None
    assert second.roles == ("registry_admin",)
    assert [c.theme for c in second.courses] == ["Кардиология"]


async def test_a_person_with_a_bad_csv_row_keeps_the_section(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "persons.csv").write_text(csv_text(PERSONS_CSV), encoding="utf-8")
    assert run(env, "registry", "import", str(tmp_path / "persons.csv")).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(COURSES_CSV.replace("CSV-3", "CSV-2"), encoding="utf-8")
    assert run(env, "registry", "import", str(good), "--section", "courses").returncode == 0
    before = await stored(env, "CSV-1")
    bad = tmp_path / "courses.csv"
    bad.write_text(
        "frmr_id,kind,institution,hours,theme,begin_date,end_date\n"
        "CSV-1,advanced,РМАНПО,36,Тема,2023-03-01,2023-03-07\n"
        "CSV-1,advanced,РМАНПО,zero,Тема,2023-03-07,2023-03-01\n"
        "CSV-2,advanced,РМАНПО,36,Тема,2023-03-01,2023-03-07\n"
        "CSV-1,advanced,РМАНПО,36,Тема,2023-03-01,2023-03-07\n",
        encoding="utf-8",
    )
    result = run(env, "registry", "import", str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "imported 1, skipped 3",
        "problems (3):",
        "  record 2 (line 3): end_date: must not be before begin_date",
        "  record 2 (line 3): hours: must be a whole number from 1 to 3000",
        "  record 4 (line 5): frmr_id: the rows of one person must follow each other",
    ]
    assert await stored(env, "CSV-1") == before
    second = await stored(env, "CSV-2")
    assert second is not None
    assert [c.theme for c in second.courses] == ["Тема"]
