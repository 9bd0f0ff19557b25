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

from frmr_sso.registry.demo import DEMO_PERSONS_FILE
from frmr_sso.registry.snils import control_number, format_snils
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
def test_a_file_that_is_not_a_json_array_exits_2(
    env: dict[str, str], tmp_path: Path, content: str, fault: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 2
    assert result.stderr == f"frmr-sso: {path}: {fault}\n"
    assert result.stdout.splitlines() == ["imported 0, skipped 0", f"stopped: {fault}"]
    assert "Traceback" not in result.stderr


async def test_records_before_a_fault_are_kept_and_the_exit_is_2(env: dict[str, str], tmp_path: Path) -> None:
    text = json.dumps(persons(2), ensure_ascii=False)[:-1] + ", {oops}]"
    path = tmp_path / "cut.json"
    path.write_text(text, encoding="utf-8")
    result = run(env, "registry", "import", str(path))
    assert result.returncode == 2
    assert result.stdout.startswith(f"imported {len(persons(2))}, skipped 0\nstopped: line 1 column ")
    assert_no_full_snils(result)
    assert await stored_count(env) == len(persons(2))


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
    assert result.stderr.startswith("frmr-sso: saving FRMR persons failed")
    assert "frmr-sso migrate" in result.stderr
    assert_no_full_snils(result)
